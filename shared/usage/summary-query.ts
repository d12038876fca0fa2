/**
 * What a usage summary (or a record listing) covers, read from the admin API's query parameters:
 * the range, its bucket size, the user/key/account/model filters and the size of the top-N lists,
 * each checked with an error the caller can act on. Kept apart from the summing in
 * `usage-summary.ts`: parsing parameters and reading records change for different reasons.
 *
 * @example
 * ```ts
 * const query = parseSummaryQuery({ bucket: 'day', user: 'u_1' }, Date.now());
 * query.from; // the start of this UTC month
 * ```
 */
import { AdminError } from '../admin/admin-error.ts';
import { parseTimeBound } from '../ops/ops-query.ts';
import type { RecordFilter } from '../store/usage-reader.ts';

export const SUMMARY_DEFAULT_TOP = 10;
const MAX_TOP = 100;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Hour buckets cover at most a week, day buckets a year: a chart of at most 366 points. */
const MAX_SPAN_MS = { hour: 7 * DAY_MS, day: 366 * DAY_MS } as const;

export type Bucket = 'hour' | 'day';

/** The user, key, account and model a summary or listing is narrowed to; each optional. */
export interface SummaryFilter extends RecordFilter {
  model?: string;
}

/** A checked summary query: a whole-bucket range no longer than its bucket allows. */
export interface SummaryQuery extends SummaryFilter {
  /** Epoch ms, inclusive; the start of a bucket. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  bucket: Bucket;
  top: number;
}

/** The query string as the admin API received it; every value unchecked. */
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

/** The length of one bucket in milliseconds. */
export function bucketMs(bucket: Bucket): number {
  return bucket === 'hour' ? HOUR_MS : DAY_MS;
}

function floorTo(ms: number, bucket: Bucket): number {
  const size = bucketMs(bucket);
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
  // `to` is exclusive, so the default ends just after `now`: at 00:00:00.000 of the 1st this month
  // has begun (else from === to and the console's month view was refused), and at hh:00:00.000 the
  // hour just begun is the 24th bucket.
  const to = params.to?.trim() ? parseTimeBound(params.to, 'to') : now + 1;
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
