/**
 * The ops error record: one per refused or failed request, written by the gateway (through
 * {@link createOpsRecorder}) and read by admins through the admin API and `quotagate ops errors`.
 * It says what went wrong for whom, never with what credentials: every text field is redacted
 * and capped before it is stored, and records expire after {@link OPS_RETENTION_DAYS} days.
 *
 * @example
 * ```ts
 * const stored = toStoredOpsRecord({ requestId: 'req_1', at: Date.now(), route: '/v1/responses', method: 'POST',
 *   status: 502, errorType: 'upstream_error', message: 'Upstream request failed', latencyMs: 840 });
 * stored.expiresAt; // now + 30 days, in epoch seconds
 * ```
 */
import { redactAndCap } from './redact.ts';

export const OPS_RETENTION_DAYS = 30;
/** Longest message kept; upstream error bodies can be long, and the record is for a glance. */
export const OPS_MESSAGE_MAX_LENGTH = 1000;
const SHORT_FIELD_MAX_LENGTH = 200;

/** What the gateway reports about one failed request. */
export interface OpsRecord {
  /** The request id the client got as `x-request-id`. */
  requestId: string;
  /** Epoch ms the request arrived. */
  at: number;
  /** The route as matched, e.g. `/v1/responses` (no query string). */
  route: string;
  method: string;
  /** HTTP status the client got (200 for an error reported inside an already started stream). */
  status: number;
  /** OpenAI error type (`rate_limit_error`, `upstream_error`, …) or a short internal name. */
  errorType: string;
  /** The human message; redacted and capped when stored. */
  message: string;
  userId?: string;
  apiKeyId?: string;
  groupId?: string;
  accountId?: string;
  /** The model the client asked for, and whether it asked for a stream. */
  model?: string;
  stream?: boolean;
  /** The caller's address as the edge saw it, and its `User-Agent`. */
  clientIp?: string;
  userAgent?: string;
  /** Status of the last upstream response, when the request got that far. */
  upstreamStatus?: number;
  /** The last upstream error's own message; redacted and capped when stored. */
  upstreamMessage?: string;
  /** The upstream's id of its answer (OpenAI's `x-request-id`). */
  upstreamRequestId?: string;
  /** Time from arrival to the end of the response, in ms. */
  latencyMs: number;
}

/** An ops record as stored and as admins read it. */
export interface StoredOpsRecord extends OpsRecord {
  /** ISO form of `at`; records sort by it. */
  time: string;
  /** UTC day of `at`, `yyyy-mm-dd`. */
  day: string;
  /** Epoch seconds after which DynamoDB's TTL may delete the record. */
  expiresAt: number;
}

const DAY_SECONDS = 86_400;
/** Optional text fields stored redacted and cut to 200 characters. */
const SHORT_FIELDS = [
  'userId',
  'apiKeyId',
  'groupId',
  'accountId',
  'model',
  'clientIp',
  'userAgent',
  'upstreamRequestId',
] as const;

function short(value: string | undefined): string | undefined {
  return value === undefined ? undefined : redactAndCap(value, SHORT_FIELD_MAX_LENGTH);
}

function wholeNumber(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) ? Math.max(0, Math.round(value)) : fallback;
}

/** Redacts and caps every text field, normalises numbers and adds the time, day and expiry. */
export function toStoredOpsRecord(record: OpsRecord): StoredOpsRecord {
  const at = Number.isFinite(record.at) ? Math.trunc(record.at) : Date.now();
  const time = new Date(at).toISOString();
  const stored: StoredOpsRecord = {
    requestId: short(record.requestId) || 'unknown',
    at,
    time,
    day: time.slice(0, 10),
    route: short(record.route) || '/',
    method: (short(record.method) || 'GET').toUpperCase(),
    status: wholeNumber(record.status, 0),
    errorType: short(record.errorType) || 'unknown',
    message: redactAndCap(record.message ?? '', OPS_MESSAGE_MAX_LENGTH),
    latencyMs: wholeNumber(record.latencyMs, 0),
    expiresAt: Math.floor(at / 1000) + OPS_RETENTION_DAYS * DAY_SECONDS,
  };
  for (const field of SHORT_FIELDS) {
    const value = short(record[field]);
    if (value) stored[field] = value;
  }
  if (typeof record.stream === 'boolean') stored.stream = record.stream;
  const upstreamMessage = redactAndCap(record.upstreamMessage ?? '', OPS_MESSAGE_MAX_LENGTH);
  if (upstreamMessage) stored.upstreamMessage = upstreamMessage;
  if (record.upstreamStatus !== undefined && Number.isFinite(record.upstreamStatus)) {
    stored.upstreamStatus = wholeNumber(record.upstreamStatus, 0);
  }
  return stored;
}
