/**
 * Reads an ops query from the words an admin typed (query-string parameters of
 * `GET /admin/v1/ops`, or the flags of `quotagate ops errors`), so both refuse the same input
 * with the same sentence. Days are UTC: a bare day in `from` means its start, in `to` its end
 * (inclusive); an ISO time in `to` is exclusive. Without `from`, the last 24 hours.
 *
 * @example
 * ```ts
 * parseOpsQuery({ from: '2026-11-27', status: '5xx', type: 'upstream_error' }, Date.now());
 * ```
 */
import { AdminError } from '../admin/admin-error.ts';
import type { OpsQuery, StatusFilter } from '../store/ops-log.ts';

export interface OpsQueryParams {
  from?: string;
  to?: string;
  status?: string;
  type?: string;
  user?: string;
  key?: string;
  account?: string;
  limit?: string;
  cursor?: string;
}

export const OPS_QUERY_DEFAULT_LIMIT = 100;
export const OPS_QUERY_MAX_LIMIT = 1000;
/** Records live 30 days; a longer range reads nothing more but costs more queries. */
export const OPS_QUERY_MAX_DAYS = 31;

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const CURSOR = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[\w.-]{1,200}$/;
/** Writers' clocks may run a little ahead of the reader's: the default end leaves a minute. */
const CLOCK_SKEW_MS = 60_000;

/**
 * A range bound as epoch ms: a UTC day (its start for `from`, its end for `to`) or an ISO time
 * with a zone. The usage summary reads its range the same way.
 */
export function parseTimeBound(text: string, name: 'from' | 'to'): number {
  const value = text.trim();
  const isDay = DAY.test(value);
  const ms = isDay
    ? Date.parse(`${value}T00:00:00.000Z`)
    : ISO_TIME.test(value)
      ? Date.parse(value)
      : Number.NaN;
  if (Number.isNaN(ms) || (isDay && new Date(ms).toISOString().slice(0, 10) !== value)) {
    throw AdminError.invalid(
      `"${name}" must be a UTC day (2026-11-27) or an ISO time with a zone, got "${value}".`,
    );
  }
  return isDay && name === 'to' ? ms + DAY_MS : ms;
}

function statusFilter(text: string): StatusFilter {
  const value = text.trim().toLowerCase();
  const exact = /^[1-5]\d\d$/.test(value) ? Number(value) : undefined;
  if (exact !== undefined) return { min: exact, max: exact };
  const klass = /^([1-5])xx$/.exec(value)?.[1];
  if (klass !== undefined) return { min: Number(klass) * 100, max: Number(klass) * 100 + 99 };
  throw AdminError.invalid(`"status" must be a status such as 429 or a class such as 5xx, got "${text}".`);
}

function id(text: string | undefined, name: string): string | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (!/^[\w.:@*-]{1,200}$/.test(value))
    throw AdminError.invalid(`"${name}" is not a valid id, got "${value}".`);
  return value;
}

function limitOf(text: string | undefined): number {
  if (text === undefined) return OPS_QUERY_DEFAULT_LIMIT;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > OPS_QUERY_MAX_LIMIT) {
    throw AdminError.invalid(
      `"limit" must be a whole number from 1 to ${OPS_QUERY_MAX_LIMIT}, got "${text}".`,
    );
  }
  return value;
}

export function parseOpsQuery(params: OpsQueryParams, now: number): OpsQuery {
  const toMs = params.to === undefined ? now + CLOCK_SKEW_MS : parseTimeBound(params.to, 'to');
  const fromMs = params.from === undefined ? toMs - DAY_MS : parseTimeBound(params.from, 'from');
  if (fromMs >= toMs) throw AdminError.invalid('"from" must be before "to".');
  if (toMs - fromMs > OPS_QUERY_MAX_DAYS * DAY_MS) {
    throw AdminError.invalid(
      `The range is longer than ${OPS_QUERY_MAX_DAYS} days; ops records are kept for 30 days.`,
    );
  }
  const query: OpsQuery = { fromMs, toMs, limit: limitOf(params.limit) };
  if (params.status !== undefined) query.status = statusFilter(params.status);
  const errorType = id(params.type, 'type');
  const userId = id(params.user, 'user');
  const apiKeyId = id(params.key, 'key');
  const accountId = id(params.account, 'account');
  if (errorType) query.errorType = errorType;
  if (userId) query.userId = userId;
  if (apiKeyId) query.apiKeyId = apiKeyId;
  if (accountId) query.accountId = accountId;
  if (params.cursor !== undefined) {
    if (!CURSOR.test(params.cursor)) throw AdminError.invalid('"cursor" is not a cursor this API returned.');
    query.cursor = params.cursor;
  }
  return query;
}
