/**
 * Usage records a page at a time, oldest first, for the console's Usage table and CSV download
 * and for `quotagate usage export --api`: the records of `[from, to)` that match a filter, at
 * most `limit` of them, and a `nextCursor` (the listing's sort key `gsi1sk` of the last one) to read on.
 *
 * @example
 * ```ts
 * const page = await listUsageRecords(parseRecordListing({ from: '2026-12-01' }, Date.now()), reader);
 * const next = page.nextCursor && (await listUsageRecords({ ...query, cursor: page.nextCursor }, reader));
 * ```
 */
import { AdminError } from '../admin/admin-error.ts';
import { parseTimeBound } from '../ops/ops-query.ts';
import type { UsageRecord } from '../recorder/usage-record.ts';
import type { UsageRecordSource } from '../store/usage-reader.ts';
import { usageRecordSortKey } from '../tables/keys.ts';
import { parseSummaryFilter, type SummaryFilter, type SummaryQueryParams } from './summary-query.ts';
import { matchingRecords } from './usage-summary.ts';

export const RECORD_PAGE_DEFAULT = 100;
export const RECORD_PAGE_MAX = 1000;
const DAY_MS = 86_400_000;
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#[\w.:-]{1,200}$/;

export interface RecordListingQuery extends SummaryFilter {
  from: number;
  to: number;
  limit: number;
  /** Only records whose sort key comes after this one. */
  cursor?: string;
}

export interface RecordPage {
  data: UsageRecord[];
  nextCursor?: string;
}

/** Defaults: the last 24 hours, 100 records. */
export function parseRecordListing(
  params: SummaryQueryParams & { limit?: string | undefined; cursor?: string | undefined },
  now: number,
): RecordListingQuery {
  const to = params.to?.trim() ? parseTimeBound(params.to, 'to') : now;
  const from = params.from?.trim() ? parseTimeBound(params.from, 'from') : to - DAY_MS;
  if (from >= to) throw AdminError.invalid('"from" must be before "to".');
  const limitText = params.limit?.trim() || String(RECORD_PAGE_DEFAULT);
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > RECORD_PAGE_MAX) {
    throw AdminError.invalid(
      `"limit" must be a whole number from 1 to ${RECORD_PAGE_MAX}, got "${params.limit}".`,
    );
  }
  const query: RecordListingQuery = { from, to, limit, ...parseSummaryFilter(params) };
  if (params.cursor !== undefined) {
    if (!CURSOR.test(params.cursor)) throw AdminError.invalid('"cursor" is not a cursor this API returned.');
    query.cursor = params.cursor;
  }
  return query;
}

export async function listUsageRecords(
  query: RecordListingQuery,
  source: UsageRecordSource,
): Promise<RecordPage> {
  const cursorTime = query.cursor ? Date.parse(CURSOR.exec(query.cursor)?.[1] ?? '') : undefined;
  const from = cursorTime === undefined ? query.from : Math.max(query.from, cursorTime);
  const data: UsageRecord[] = [];
  for await (const record of matchingRecords({ ...query, from }, source)) {
    const sortKey = usageRecordSortKey(record.startedAt, record.requestId);
    if (query.cursor !== undefined && sortKey <= query.cursor) continue;
    if (data.length === query.limit) return { data, nextCursor: cursorOf(data) };
    data.push(record);
  }
  return { data };
}

function cursorOf(data: UsageRecord[]): string {
  const last = data[data.length - 1] as UsageRecord;
  return usageRecordSortKey(last.startedAt, last.requestId);
}
