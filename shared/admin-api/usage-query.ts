/**
 * Usage by user, key, account or model and by UTC day, read from the daily aggregates the
 * recorder keeps (`AGG#<dimension>#<id>` / `<yyyy-mm-dd>`): one Query per question, however many
 * requests the days hold. Money stays integer nano-USD, with exact decimal USD strings beside it.
 *
 * @example
 * ```ts
 * const query = parseUsageQuery({ by: 'user', id: 'usr_1', from: '2026-11-01', to: '2026-11-30' }, Date.now());
 * const report = await usageByDay(reader, query);
 * report.total.billedUsd; // '12.34'
 * ```
 */
import { AdminError } from '../admin/admin-error.ts';
import { formatNanoAsUsd } from '../admin/money.ts';
import { AGGREGATE_COUNTERS, type AggregateCounters } from '../recorder/usage-record.ts';
import type { AggregateDimension, DailyAggregate, UsageAggregateReader } from '../store/usage-reader.ts';

export interface UsageQueryParams {
  by?: string;
  id?: string;
  from?: string;
  to?: string;
}

export interface UsageQuery {
  by: AggregateDimension;
  id: string;
  /** First and last day, inclusive, `yyyy-mm-dd`. */
  from: string;
  to: string;
}

export interface UsageTotals extends AggregateCounters {
  costUsd: string;
  chargeUsd: string;
  billedUsd: string;
}

export interface UsageByDay extends UsageQuery {
  days: (UsageTotals & { day: string })[];
  total: UsageTotals;
}

const DIMENSIONS: readonly AggregateDimension[] = ['user', 'key', 'account', 'model'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

function day(value: string | undefined, name: string, fallback: string): string {
  if (value === undefined || value.trim() === '') return fallback;
  const text = value.trim();
  const ms = DAY.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    throw AdminError.invalid(`"${name}" must be a UTC day such as 2026-11-01, got "${text}".`);
  }
  return text;
}

/** Defaults: the current UTC month up to today. */
export function parseUsageQuery(params: UsageQueryParams, now: number): UsageQuery {
  const by = params.by?.trim();
  if (!by || !DIMENSIONS.includes(by as AggregateDimension)) {
    throw AdminError.invalid(`"by" must be one of ${DIMENSIONS.join(', ')}, got "${by ?? ''}".`);
  }
  const id = params.id?.trim() ?? '';
  if (id === '' || id.length > 200) throw AdminError.invalid(`"id" is required: the ${by} to report on.`);
  const today = new Date(now).toISOString().slice(0, 10);
  const to = day(params.to, 'to', today);
  const from = day(params.from, 'from', `${to.slice(0, 7)}-01`);
  if (from > to) throw AdminError.invalid('"from" must not be after "to".');
  if (Date.parse(to) - Date.parse(from) >= MAX_DAYS * DAY_MS) {
    throw AdminError.invalid(`The range is longer than ${MAX_DAYS} days.`);
  }
  return { by: by as AggregateDimension, id, from, to };
}

function totals(counters: AggregateCounters): UsageTotals {
  return {
    ...counters,
    costUsd: formatNanoAsUsd(counters.costNano),
    chargeUsd: formatNanoAsUsd(counters.chargeNano),
    billedUsd: formatNanoAsUsd(counters.billedNano),
  };
}

function countersOf(aggregate: Partial<AggregateCounters>): AggregateCounters {
  return Object.fromEntries(
    AGGREGATE_COUNTERS.map((counter) => [counter, aggregate[counter] ?? 0]),
  ) as unknown as AggregateCounters;
}

export async function usageByDay(reader: UsageAggregateReader, query: UsageQuery): Promise<UsageByDay> {
  const aggregates: DailyAggregate[] = await reader.dailyAggregates(query.by, query.id, query.from, query.to);
  const sum = countersOf({});
  const days = aggregates
    .sort((a, b) => a.day.localeCompare(b.day))
    .map((aggregate) => {
      const counters = countersOf(aggregate);
      for (const counter of AGGREGATE_COUNTERS) sum[counter] += counters[counter];
      return { day: aggregate.day, ...totals(counters) };
    });
  return { ...query, days, total: totals(sum) };
}
