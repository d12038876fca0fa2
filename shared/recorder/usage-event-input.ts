/**
 * What the recorder accepts: the EventBridge envelope a rule target (or the local bus) delivers,
 * or the bare detail (a parked event being replayed). The detail is checked field by field before
 * anything is written, because a malformed event must fail loudly (and land in the dead-letter
 * queue) rather than write a record finance cannot trust.
 *
 * @example
 * ```ts
 * const detail = usageDetailOf(event); // throws InvalidUsageEventError on anything unexpected
 * ```
 */
import {
  type CutShortReason,
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
  type UsageEventDetail,
  type UsageEventEnvelope,
} from '../events/usage-event.ts';

/** The event cannot be recorded as it is; retrying will not help. */
export class InvalidUsageEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUsageEventError';
  }
}

const CUT_SHORT_REASONS: readonly CutShortReason[] = [
  'client_disconnect',
  'upstream_error',
  'idle_timeout',
  'deadline',
];
const STRING_FIELDS = [
  'requestId',
  'startedAt',
  'endedAt',
  'userId',
  'apiKeyId',
  'groupId',
  'accountId',
  'modelRequested',
  'modelSent',
] as const;
const COUNT_FIELDS = ['status', 'upstreamStatus', 'durationMs', 'failovers'] as const;
const TOKEN_FIELDS = ['inputTokens', 'cachedInputTokens', 'outputTokens', 'reasoningTokens'] as const;

function fail(requestId: unknown, problem: string): never {
  const id = typeof requestId === 'string' ? ` ${requestId}` : '';
  throw new InvalidUsageEventError(`usage event${id}: ${problem}`);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a detail and returns it typed; throws {@link InvalidUsageEventError}. */
export function validateUsageDetail(value: unknown): UsageEventDetail {
  if (!isRecord(value)) fail(undefined, 'detail is not an object');
  const id = value.requestId;
  if (value.version !== 1) fail(id, `unsupported version ${JSON.stringify(value.version)}`);
  for (const field of STRING_FIELDS) {
    if (typeof value[field] !== 'string' || value[field] === '')
      fail(id, `${field} must be a non-empty string`);
  }
  for (const field of ['startedAt', 'endedAt'] as const) {
    if (Number.isNaN(Date.parse(value[field] as string))) fail(id, `${field} is not an ISO time`);
  }
  if (value.billingMode !== 'balance' && value.billingMode !== 'subscription')
    fail(id, 'billingMode is invalid');
  const multiplier = value.rateMultiplier;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 0) {
    fail(id, 'rateMultiplier must be a non-negative number');
  }
  for (const field of COUNT_FIELDS)
    if (!isCount(value[field])) fail(id, `${field} must be a non-negative integer`);
  if (value.firstTokenMs !== undefined && !isCount(value.firstTokenMs)) fail(id, 'firstTokenMs is invalid');
  if (
    value.route !== undefined &&
    (typeof value.route !== 'string' || !/^\/[\w./-]{0,99}$/.test(value.route))
  )
    fail(id, 'route is invalid');
  if (
    value.upstreamRequestId !== undefined &&
    (typeof value.upstreamRequestId !== 'string' || !/^[\w.:-]{1,200}$/.test(value.upstreamRequestId))
  )
    fail(id, 'upstreamRequestId is invalid');
  if (typeof value.stream !== 'boolean' || typeof value.cutShort !== 'boolean') {
    fail(id, 'stream and cutShort must be booleans');
  }
  if (
    value.cutShortReason !== undefined &&
    !CUT_SHORT_REASONS.includes(value.cutShortReason as CutShortReason)
  ) {
    fail(id, 'cutShortReason is invalid');
  }
  if (
    value.usageSource !== undefined &&
    value.usageSource !== 'upstream' &&
    value.usageSource !== 'observed'
  ) {
    fail(id, 'usageSource is invalid');
  }
  const usage = value.usage;
  if (!isRecord(usage)) fail(id, 'usage is missing');
  for (const field of TOKEN_FIELDS)
    if (!isCount(usage[field])) fail(id, `usage.${field} must be a non-negative integer`);
  if (value.apiKeyHash !== undefined && !/^[0-9a-f]{64}$/.test(String(value.apiKeyHash))) {
    fail(id, 'apiKeyHash must be a SHA-256 hex digest');
  }
  if (value.codexHeaders !== undefined) {
    const headers = value.codexHeaders;
    if (!isRecord(headers) || Object.values(headers).some((header) => typeof header !== 'string')) {
      fail(id, 'codexHeaders must map names to strings');
    }
  }
  return value as unknown as UsageEventDetail;
}

function isEnvelope(value: Record<string, unknown>): boolean {
  return 'detail' in value && 'detail-type' in value;
}

/** The detail of an envelope (checking its source and detail-type) or of a bare detail. */
export function usageDetailOf(input: UsageEventEnvelope | UsageEventDetail | unknown): UsageEventDetail {
  if (!isRecord(input)) fail(undefined, 'event is not an object');
  if (!isEnvelope(input)) return validateUsageDetail(input);
  if (input.source !== USAGE_EVENT_SOURCE || input['detail-type'] !== USAGE_EVENT_DETAIL_TYPE) {
    fail(undefined, `unexpected source/detail-type ${String(input.source)}/${String(input['detail-type'])}`);
  }
  return validateUsageDetail(input.detail);
}
