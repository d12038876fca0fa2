/**
 * GET /v1/usage: what a key holder may know about their own key. The gateway authenticates the
 * caller and passes what it loaded (key, user, group, subscription); this adds the key's daily
 * aggregates of the current UTC month (one Query) and shapes the answer:
 *
 * - balance mode: the user's balance; subscription mode: each window's use, limit, what is left
 *   and when it resets (a window that ran out shows as empty and not started, as the check sees it);
 * - the key's quota: limit, spent, left (absent when the key has no quota);
 * - today's and this month's usage of the key: requests, tokens, list cost and billed amount.
 *
 * Money is given as exact decimal USD strings (from integer nano-USD), never as floats.
 *
 * @example
 * ```ts
 * const body = await usageReport({ ...caller, now: Date.now() }, new DynamoUsageReader(client, tables));
 * ```
 */
import { formatNanoAsUsd } from '../admin/money.ts';
import { WINDOWS, windowUsage } from '../billing/subscription-windows.ts';
import type { ApiKey, BillingMode, Group, Subscription, User } from '../domain/types.ts';
import { AGGREGATE_COUNTERS, type AggregateCounters } from '../recorder/usage-record.ts';
import type { DailyAggregate, UsageAggregateReader } from '../store/usage-reader.ts';

/**
 * Day totals of aggregate items (several per day when a subject's usage is spread over shards,
 * keys or accounts), oldest day first; a counter an item lacks counts 0.
 */
export function sumByDay(
  items: readonly Record<string, unknown>[],
  dayOf: (item: Record<string, unknown>) => string,
): DailyAggregate[] {
  const days = new Map<string, DailyAggregate>();
  for (const item of items) {
    const day = dayOf(item);
    let total = days.get(day);
    if (!total) {
      total = {
        day,
        ...(Object.fromEntries(AGGREGATE_COUNTERS.map((c) => [c, 0])) as unknown as AggregateCounters),
      };
      days.set(day, total);
    }
    for (const counter of AGGREGATE_COUNTERS) total[counter] += Number(item[counter] ?? 0);
  }
  return [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

export interface UsageReportInput {
  key: ApiKey;
  user: User;
  group: Group;
  subscription: Subscription | undefined;
  now: number;
}

export interface PeriodUsage {
  requests: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /** List price of the tokens, before the group's multiplier. */
  cost_usd: string;
  /** What the requests took from the balance or counted against the subscription. */
  billed_usd: string;
}

export interface UsageReport {
  object: 'usage';
  billing_mode: BillingMode;
  key: {
    id: string;
    name: string;
    expires_at: string | null;
    allowed_models: string[] | null;
    quota: { limit_usd: string; used_usd: string; remaining_usd: string } | null;
  };
  balance: { usd: string } | null;
  subscription: {
    status: string;
    expires_at: string;
    windows: {
      window: string;
      used_usd: string;
      limit_usd: string | null;
      remaining_usd: string | null;
      resets_at: string | null;
    }[];
  } | null;
  usage: { today: PeriodUsage & { date: string }; month: PeriodUsage & { month: string } };
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const remaining = (limit: number, used: number) => formatNanoAsUsd(Math.max(0, limit - used));

function periodUsage(aggregates: DailyAggregate[]): PeriodUsage {
  const total = Object.fromEntries(
    AGGREGATE_COUNTERS.map((counter) => [counter, 0]),
  ) as unknown as AggregateCounters;
  for (const aggregate of aggregates) {
    for (const counter of AGGREGATE_COUNTERS) total[counter] += aggregate[counter] ?? 0;
  }
  return {
    requests: total.requests,
    input_tokens: total.inputTokens,
    cached_input_tokens: total.cachedInputTokens,
    output_tokens: total.outputTokens,
    reasoning_tokens: total.reasoningTokens,
    cost_usd: formatNanoAsUsd(total.costNano),
    billed_usd: formatNanoAsUsd(total.billedNano),
  };
}

function subscriptionPart(group: Group, subscription: Subscription | undefined, now: number) {
  if (group.billingMode !== 'subscription' || !subscription) return null;
  return {
    status: subscription.status,
    expires_at: subscription.expiresAt,
    windows: WINDOWS.map((window) => {
      const usage = windowUsage(subscription, window, now, group);
      return {
        window: window.name,
        used_usd: formatNanoAsUsd(usage.usedNano),
        limit_usd: usage.limitNano === undefined ? null : formatNanoAsUsd(usage.limitNano),
        remaining_usd: usage.limitNano === undefined ? null : remaining(usage.limitNano, usage.usedNano),
        resets_at: iso(usage.resetsAt),
      };
    }),
  };
}

export async function usageReport(
  input: UsageReportInput,
  reader: UsageAggregateReader,
): Promise<UsageReport> {
  const { key, user, group, subscription, now } = input;
  const today = new Date(now).toISOString().slice(0, 10);
  const month = today.slice(0, 7);
  const days = await reader.dailyAggregates('key', key.id, `${month}-01`, `${month}-31`);
  const used = key.usedNano ?? 0;
  return {
    object: 'usage',
    billing_mode: group.billingMode,
    key: {
      id: key.id,
      name: key.name,
      expires_at: key.expiresAt ?? null,
      allowed_models: key.allowedModels?.length ? key.allowedModels : null,
      quota:
        key.quotaNano === undefined
          ? null
          : {
              limit_usd: formatNanoAsUsd(key.quotaNano),
              used_usd: formatNanoAsUsd(used),
              remaining_usd: remaining(key.quotaNano, used),
            },
    },
    balance: group.billingMode === 'balance' ? { usd: formatNanoAsUsd(user.balanceNano) } : null,
    subscription: subscriptionPart(group, subscription, now),
    usage: {
      today: { date: today, ...periodUsage(days.filter((aggregate) => aggregate.day === today)) },
      month: { month, ...periodUsage(days) },
    },
  };
}
