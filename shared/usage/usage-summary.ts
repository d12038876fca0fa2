/**
 * Usage over time and who used most, for the console's Overview and Usage pages and
 * `quotagate ops usage`: the usage records of a range (read day by day through the Usage
 * table's `gsi1`, as the export reads them) summed into hour or day buckets and into top-N
 * lists by user, key, model and account; the ops error log of the same range counted per bucket.
 *
 * It reads records, so its cost grows with the requests in the range: at most
 * {@link SUMMARY_MAX_RECORDS} records and {@link SUMMARY_MAX_ERRORS} ops records are read, and
 * `truncated` says when a range held more (the sums then cover its oldest part only).
 *
 * @example
 * ```ts
 * const query = parseSummaryQuery({ bucket: 'hour' }, Date.now());
 * const summary = await summarizeUsage(query, { records: reader, ops: opsLog });
 * summary.series[0]; // { start: '2026-12-02T08:00:00.000Z', requests: 3, … }
 * ```
 */
import { AdminError } from '../admin/admin-error.ts';
import { formatNanoAsUsd } from '../admin/money.ts';
import { OPS_QUERY_MAX_LIMIT, parseTimeBound } from '../ops/ops-query.ts';
import {
  AGGREGATE_COUNTERS,
  type AggregateCounters,
  aggregateCountersOf,
  type UsageRecord,
} from '../recorder/usage-record.ts';
import type { OpsErrorLog } from '../store/ops-log.ts';
import type { RecordFilter, UsageRecordSource } from '../store/usage-reader.ts';
import { exportUsageRecords } from './export.ts';

export const SUMMARY_MAX_RECORDS = 200_000;
export const SUMMARY_MAX_ERRORS = 50_000;
export const SUMMARY_DEFAULT_TOP = 10;
const MAX_TOP = 100;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Hour buckets cover at most a week, day buckets a year: a chart of at most 366 points. */
const MAX_SPAN_MS = { hour: 7 * DAY_MS, day: 366 * DAY_MS } as const;

export type Bucket = 'hour' | 'day';
export const TOP_DIMENSIONS = ['user', 'key', 'model', 'account'] as const;
export type TopDimension = (typeof TOP_DIMENSIONS)[number];

export interface SummaryFilter extends RecordFilter {
  model?: string;
}

export interface SummaryQuery extends SummaryFilter {
  /** Epoch ms, inclusive; the start of a bucket. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  bucket: Bucket;
  top: number;
}

export interface SummaryQueryParams {
  from?: string | undefined;
  to?: string | undefined;
  bucket?: string | undefined;
  user?: string | undefined;
  key?: string | undefined;
  account?: string | undefined;
  model?: string | undefined;
  top?: string | undefined;
}

/** The recorder's daily counters a usage summary does not report. */
const NOT_SUMMED = ['chargeNano', 'cutShortRequests'] as const;
type SummaryCounter = Exclude<keyof AggregateCounters, (typeof NOT_SUMMED)[number]>;

/** The recorder's daily counters a summary adds up from the records themselves, in output order. */
const SUMMARY_COUNTERS = AGGREGATE_COUNTERS.filter(
  (name): name is SummaryCounter => !(NOT_SUMMED as readonly string[]).includes(name),
);

/** Counted as the recorder counts its aggregates (`failedRequests`: records of status 400 or more). */
export type UsageCounters = Pick<AggregateCounters, SummaryCounter>;

export interface SeriesPoint extends UsageCounters {
  /** ISO start of the bucket. */
  start: string;
  /** Ops error records (every refused or failed request of a known caller) in the bucket. */
  errors: number;
}

export interface TopEntry extends UsageCounters {
  id: string;
  billedUsd: string;
  costUsd: string;
}

export interface UsageSummary {
  from: string;
  to: string;
  bucket: Bucket;
  series: SeriesPoint[];
  total: UsageCounters & { errors: number; billedUsd: string; costUsd: string };
  top: Record<TopDimension, TopEntry[]>;
  recordsRead: number;
  /** True when the range held more records or ops records than one summary reads. */
  truncated: boolean;
}

export interface SummarySources {
  records: UsageRecordSource;
  ops: Pick<OpsErrorLog, 'query'>;
}

function floorTo(ms: number, bucket: Bucket): number {
  const size = bucket === 'hour' ? HOUR_MS : DAY_MS;
  return Math.floor(ms / size) * size;
}

function idParam(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (text.length > 200) throw AdminError.invalid(`"${name}" is longer than 200 characters.`);
  return text;
}

/**
 * Defaults: hour buckets over the last 24 hours, day buckets over this UTC month. `from` is
 * moved back to the start of its bucket so the first bucket is whole.
 */
export function parseSummaryQuery(params: SummaryQueryParams, now: number): SummaryQuery {
  const bucket = (params.bucket?.trim() || 'hour') as Bucket;
  if (bucket !== 'hour' && bucket !== 'day') {
    throw AdminError.invalid(`"bucket" must be hour or day, got "${params.bucket}".`);
  }
  const to = params.to?.trim() ? parseTimeBound(params.to, 'to') : now;
  const defaultFrom =
    bucket === 'hour' ? to - DAY_MS + HOUR_MS : Date.parse(`${new Date(to).toISOString().slice(0, 7)}-01`);
  const from = floorTo(params.from?.trim() ? parseTimeBound(params.from, 'from') : defaultFrom, bucket);
  if (from >= to) throw AdminError.invalid('"from" must be before "to".');
  if (to - from > MAX_SPAN_MS[bucket]) {
    throw AdminError.invalid(
      bucket === 'hour'
        ? 'Hour buckets cover at most 7 days; use bucket=day for a longer range.'
        : 'The range is longer than 366 days.',
    );
  }
  const topText = params.top?.trim();
  const top = topText ? Number(topText) : SUMMARY_DEFAULT_TOP;
  if (!/^\d+$/.test(topText ?? '0') || !Number.isSafeInteger(top) || top < 1 || top > MAX_TOP) {
    throw AdminError.invalid(`"top" must be a whole number from 1 to ${MAX_TOP}, got "${params.top}".`);
  }
  return { from, to, bucket, top, ...parseSummaryFilter(params) };
}

/** The `user`, `key`, `account` and `model` parameters, each optional. */
export function parseSummaryFilter(params: SummaryQueryParams): SummaryFilter {
  const filter: SummaryFilter = {};
  const given = { userId: params.user, apiKeyId: params.key, accountId: params.account, model: params.model };
  for (const [field, value] of Object.entries(given)) {
    const id = idParam(value, field === 'apiKeyId' ? 'key' : field.replace(/Id$/, ''));
    if (id !== undefined) filter[field as keyof SummaryFilter] = id;
  }
  return filter;
}

function zero(): UsageCounters {
  return Object.fromEntries(SUMMARY_COUNTERS.map((name) => [name, 0])) as UsageCounters;
}

function add(into: UsageCounters, record: UsageRecord): void {
  const counters = aggregateCountersOf(record);
  for (const name of SUMMARY_COUNTERS) into[name] += counters[name];
}

const SUBJECT: Record<TopDimension, (record: UsageRecord) => string> = {
  user: (record) => record.userId,
  key: (record) => record.apiKeyId,
  model: (record) => record.modelRequested,
  account: (record) => record.accountId,
};

function ranked(counters: Map<string, UsageCounters>, top: number): TopEntry[] {
  return [...counters.entries()]
    .sort(
      ([idA, a], [idB, b]) =>
        b.billedNano - a.billedNano || b.requests - a.requests || idA.localeCompare(idB),
    )
    .slice(0, top)
    .map(([id, entry]) => ({
      id,
      ...entry,
      billedUsd: formatNanoAsUsd(entry.billedNano),
      costUsd: formatNanoAsUsd(entry.costNano),
    }));
}

/** Records of the query's range that match its filter, oldest first. */
export async function* matchingRecords(
  query: SummaryFilter & { from: number; to: number },
  source: UsageRecordSource,
): AsyncGenerator<UsageRecord> {
  const { from, to, userId, apiKeyId, accountId, model } = query;
  const filter: RecordFilter = {
    ...(userId ? { userId } : {}),
    ...(apiKeyId ? { apiKeyId } : {}),
    ...(accountId ? { accountId } : {}),
  };
  for await (const record of exportUsageRecords({ from, to, ...filter }, source)) {
    // In flight (`started`) or never finished (`lost`): no usage to count, and no account yet.
    if (record.state === 'started' || record.state === 'lost') continue;
    if (model === undefined || record.modelRequested === model) yield record;
  }
}

/** Feeds every ops record of the range to `count`; true when there were more than it reads. */
async function countErrors(
  query: SummaryQuery,
  ops: SummarySources['ops'],
  count: (atMs: number) => void,
): Promise<boolean> {
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await ops.query({
      fromMs: query.from,
      toMs: query.to,
      limit: OPS_QUERY_MAX_LIMIT,
      ...(query.userId ? { userId: query.userId } : {}),
      ...(query.apiKeyId ? { apiKeyId: query.apiKeyId } : {}),
      ...(query.accountId ? { accountId: query.accountId } : {}),
      ...(cursor ? { cursor } : {}),
    });
    for (const record of page.records) count(record.at);
    read += page.records.length;
    cursor = page.nextCursor;
  } while (cursor && read < SUMMARY_MAX_ERRORS);
  return cursor !== undefined;
}

export async function summarizeUsage(query: SummaryQuery, sources: SummarySources): Promise<UsageSummary> {
  const size = query.bucket === 'hour' ? HOUR_MS : DAY_MS;
  const series: SeriesPoint[] = [];
  for (let at = query.from; at < query.to; at += size) {
    series.push({ start: new Date(at).toISOString(), ...zero(), errors: 0 });
  }
  const pointAt = (ms: number) => series[Math.floor((ms - query.from) / size)];
  const total = zero();
  const tops = Object.fromEntries(TOP_DIMENSIONS.map((dimension) => [dimension, new Map()])) as Record<
    TopDimension,
    Map<string, UsageCounters>
  >;
  let recordsRead = 0;
  let truncated = false;
  for await (const record of matchingRecords(query, sources.records)) {
    if (recordsRead >= SUMMARY_MAX_RECORDS) {
      truncated = true;
      break;
    }
    recordsRead += 1;
    const point = pointAt(Date.parse(record.startedAt));
    if (point) add(point, record);
    add(total, record);
    for (const dimension of TOP_DIMENSIONS) {
      const id = SUBJECT[dimension](record);
      const counters = tops[dimension].get(id) ?? zero();
      add(counters, record);
      tops[dimension].set(id, counters);
    }
  }
  let errors = 0;
  const errorsTruncated = await countErrors(query, sources.ops, (atMs) => {
    const point = pointAt(atMs);
    if (point) {
      point.errors += 1;
      errors += 1;
    }
  });
  return {
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    bucket: query.bucket,
    series,
    total: {
      ...total,
      errors,
      billedUsd: formatNanoAsUsd(total.billedNano),
      costUsd: formatNanoAsUsd(total.costNano),
    },
    top: Object.fromEntries(
      TOP_DIMENSIONS.map((dimension) => [dimension, ranked(tops[dimension], query.top)]),
    ) as Record<TopDimension, TopEntry[]>,
    recordsRead,
    truncated: truncated || errorsTruncated,
  };
}
