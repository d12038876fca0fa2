/**
 * The recorder's billing rules: which effects a usage record has, worked out without I/O. A
 * balance request is taken from the user's balance, a subscription request is counted in the
 * subscription's windows, and either counts against its key's quota (all three only when it
 * billed something); every request adds to two daily aggregates — its key's, and one item per
 * model, account and request shard — and moves its account's last-used time (and Codex usage
 * snapshot). Two, not four: a user's day is the sum of its keys' and an account's the sum of
 * its model items (`usage-reader.ts`), and each marked item costs two writes (apply, clear), so
 * the fold keeps a request within 10 recorder writes.
 *
 * The plan says what to change and by how much; the ledger (`UsageLedger.effectsOf`) says how:
 * on DynamoDB each planned effect becomes one marked UpdateItem. The same plan serves applying
 * the effects and, once the record is applied, clearing their markers, so both address the same
 * items (the key item by its hash when the event carried it).
 *
 * @example
 * ```ts
 * const plan = planEffects(record, { codexUsage, apiKeyHash: detail.apiKeyHash });
 * plan.skipped; // e.g. ['subscription'] for a balance request
 * const effects = ledger.effectsOf(plan);
 * ```
 */
import type { CodexUsageSnapshot } from '../domain/types.ts';
import { shardOf, USAGE_SHARDS } from '../tables/keys.ts';
import {
  type AggregateCounters,
  aggregateCountersOf,
  type EffectName,
  type UsageRecord,
} from './usage-record.ts';

/** Data for the effects that is not part of the record (it does not go to finance). */
export interface EffectContext {
  codexUsage: CodexUsageSnapshot | undefined;
  /** The key's SHA-256 (its Config item key), when the event carried it: no index lookup needed. */
  apiKeyHash?: string;
}

/** The key item to charge: by its hash, or (older events without it) by its owner and id. */
export type KeyItemRef = { hash: string } | { userId: string; keyId: string };

export type PlannedEffect =
  | { name: 'balance'; userId: string; amountNano: number }
  | { name: 'subscription'; userId: string; groupId: string; amountNano: number; atMs: number }
  | { name: 'keyQuota'; key: KeyItemRef; amountNano: number }
  | { name: 'keyDaily'; keyId: string; day: string; counters: AggregateCounters }
  | {
      name: 'modelAccountDaily';
      model: string;
      accountId: string;
      /** The request's shard ({@link USAGE_SHARDS}): a busy model's day is spread over them. */
      shard: number;
      day: string;
      counters: AggregateCounters;
    }
  | {
      name: 'account';
      accountId: string;
      /** Epoch ms the request ended: the account's last-used time. */
      usedAt: number;
      codexUsage: CodexUsageSnapshot | undefined;
    };

export interface EffectPlan {
  requestId: string;
  /** What to change, in the order the effects are applied. */
  effects: PlannedEffect[];
  /** Effects this record does not have (nothing billed, other billing mode): results `skipped`. */
  skipped: EffectName[];
}

/** The effects of `record`; pure, so a redelivery or a sweep plans exactly what the first did. */
export function planEffects(record: UsageRecord, context: EffectContext): EffectPlan {
  const billed = record.billedNano;
  const effects: PlannedEffect[] = [];
  const skipped: EffectName[] = [];
  if (record.billingMode === 'balance' && billed > 0) {
    effects.push({ name: 'balance', userId: record.userId, amountNano: billed });
  } else skipped.push('balance');
  if (record.billingMode === 'subscription' && billed > 0) {
    effects.push({
      name: 'subscription',
      userId: record.userId,
      groupId: record.groupId,
      amountNano: billed,
      // Windows are those in force when the request arrived, whenever it is recorded.
      atMs: Date.parse(record.startedAt),
    });
  } else skipped.push('subscription');
  if (billed > 0) {
    const key: KeyItemRef = context.apiKeyHash
      ? { hash: context.apiKeyHash }
      : { userId: record.userId, keyId: record.apiKeyId };
    effects.push({ name: 'keyQuota', key, amountNano: billed });
  } else skipped.push('keyQuota');
  const counters = aggregateCountersOf(record);
  effects.push(
    { name: 'keyDaily', keyId: record.apiKeyId, day: record.day, counters },
    {
      name: 'modelAccountDaily',
      model: record.modelRequested,
      accountId: record.accountId,
      shard: shardOf(record.requestId, USAGE_SHARDS),
      day: record.day,
      counters,
    },
    {
      name: 'account',
      accountId: record.accountId,
      usedAt: Date.parse(record.endedAt),
      codexUsage: context.codexUsage,
    },
  );
  return { requestId: record.requestId, effects, skipped };
}
