/**
 * Usage over time and who used most, for the console's Overview and Usage pages and
 * `quotagate ops usage`: the usage records of a range (read day by day through the Usage
 * table's `listing` index, as the export reads them) summed into hour or day buckets and into top-N
 * lists by user, key, model and account; the ops error log of the same range counted per bucket.
 *
 * What a summary covers (range, bucket, filters, top-N size) is read from request parameters by
 * `summary-query.ts`.
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
import { formatNanoAsUsd } from '../admin/money.ts';
import { OPS_QUERY_MAX_LIMIT } from '../ops/ops-query.ts';
import {
  AGGREGATE_COUNTERS,
  type AggregateCounters,
  aggregateCountersOf,
  type UsageRecord,
} from '../recorder/usage-record.ts';
import type { OpsErrorLog } from '../store/ops-log.ts';
import type { RecordFilter, UsageRecordSource } from '../store/usage-reader.ts';
import { exportUsageRecords } from './export.ts';
import { type Bucket, bucketMs, type SummaryFilter, type SummaryQuery } from './summary-query.ts';

export const SUMMARY_MAX_RECORDS = 200_000;
export const SUMMARY_MAX_ERRORS = 50_000;
export const TOP_DIMENSIONS = ['user', 'key', 'model', 'account'] as const;
export type TopDimension = (typeof TOP_DIMENSIONS)[number];

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
  const size = bucketMs(query.bucket);
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
