/**
 * The usage event contract, whole: one event per served request, emitted by the gateway after
 * the response ended and consumed by the recorder. It carries everything the usage record needs,
 * so the recorder never has to ask the gateway anything. Versioned: a consumer reads
 * `detail.version` first. This module holds its type, its cut-short reasons and its parser (what
 * the recorder accepts); its two builders, from a served request (the gateway) and from a stored
 * record (the sweep, finishing a record whose event was lost), are in `usage-event-builders.ts`,
 * which needs the record's and the ledger's types this module must not import (they import it).
 *
 * On AWS it travels as an EventBridge entry (`Source` = {@link USAGE_EVENT_SOURCE},
 * `DetailType` = {@link USAGE_EVENT_DETAIL_TYPE}); locally the in-process bus wraps it in the
 * same envelope. Kept well under EventBridge's 256 KB entry limit: no bodies, only counts.
 *
 * @example
 * ```ts
 * const detail = usageEventOfServed({ request, caller, body, served, route }, Date.now()); // gateway
 * const same = parseUsageEvent(envelope); // recorder; throws InvalidUsageEventError
 * ```
 */
import type { BillingMode } from '../domain/types.ts';

export const USAGE_EVENT_SOURCE = 'quotagate.gateway';
export const USAGE_EVENT_DETAIL_TYPE = 'quotagate.usage.v1';

export interface TokenUsage {
  inputTokens: number;
  /** Part of `inputTokens` served from the prompt cache. */
  cachedInputTokens: number;
  outputTokens: number;
  /** Part of `outputTokens` spent on reasoning. */
  reasoningTokens: number;
}

/**
 * Where the token counts come from: `upstream`, the upstream's own usage report; `observed`,
 * counted by the gateway (a stream that ended without that report: the request body's text and
 * the output text that reached the client, see docs/finance.md).
 */
export type UsageSource = 'upstream' | 'observed';

/** Why a served answer ended early; its usage is then what was observed until then. */
export const CUT_SHORT_REASONS = ['client_disconnect', 'upstream_error', 'idle_timeout', 'deadline'] as const;
export type CutShortReason = (typeof CUT_SHORT_REASONS)[number];

export interface UsageEventDetail {
  version: 1;
  /** The gateway's request id, also returned to the client as `x-request-id`; the idempotency key. */
  requestId: string;
  /** ISO time the request arrived. */
  startedAt: string;
  /** ISO time the response ended. */
  endedAt: string;
  userId: string;
  apiKeyId: string;
  /**
   * SHA-256 of the key, the key item's own key in the Config table, so the recorder charges the
   * key's quota without an (eventually consistent) index lookup. Not the secret.
   */
  apiKeyHash?: string;
  groupId: string;
  accountId: string;
  billingMode: BillingMode;
  /** Multiplier of the group at request time. */
  rateMultiplier: number;
  /** The model the client asked for. */
  modelRequested: string;
  /** The model sent upstream after mapping. */
  modelSent: string;
  stream: boolean;
  /** The route the client called (`/v1/responses`, `/v1/chat/completions`, …); absent in older events. */
  route?: string;
  /** HTTP status the client received. */
  status: number;
  /** Status of the upstream response that was served. */
  upstreamStatus: number;
  usage: TokenUsage;
  /** Absent in events from before the field existed: those are `upstream`. */
  usageSource?: UsageSource;
  /** True when usage is what was observed before the stream ended early. */
  cutShort: boolean;
  cutShortReason?: CutShortReason;
  durationMs: number;
  /** Milliseconds from arrival to the first byte of the upstream body; absent when none came. */
  firstTokenMs?: number;
  /** Accounts that failed before this one served the request. */
  failovers: number;
  /** The upstream's `x-codex-*` usage headers, as received. */
  codexHeaders?: Record<string, string>;
  /** The upstream's id of its answer (OpenAI's `x-request-id`), to match a user's report with OpenAI's. */
  upstreamRequestId?: string;
}

/** The EventBridge envelope, as a rule target (and the local bus) delivers it. */
export interface UsageEventEnvelope {
  version: '0';
  id: string;
  'detail-type': typeof USAGE_EVENT_DETAIL_TYPE;
  source: typeof USAGE_EVENT_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: UsageEventDetail;
}

/** Where the gateway hands its usage events; EventBridge on AWS, the in-process bus locally. */
export interface UsageEventPublisher {
  /** Resolves once the event is accepted (or durably parked); never drops silently. */
  publish(detail: UsageEventDetail): Promise<void>;
}

/** The event cannot be recorded as it is; retrying will not help. */
export class InvalidUsageEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUsageEventError';
  }
}

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

/**
 * Checks every field a detail must or may carry; throws {@link InvalidUsageEventError}. The
 * detail is checked field by field before anything is written, because a malformed event must
 * fail loudly (and land in the dead-letter queue) rather than write a record finance cannot trust.
 */
function assertUsageDetail(value: unknown): asserts value is UsageEventDetail {
  if (!isRecord(value)) fail(undefined, 'detail is not an object');
  const id = value.requestId;
  if (value.version !== 1) fail(id, `unsupported version ${JSON.stringify(value.version)}`);
  for (const field of STRING_FIELDS) {
    if (typeof value[field] !== 'string' || value[field] === '')
      fail(id, `${field} must be a non-empty string`);
  }
  for (const field of ['startedAt', 'endedAt'] as const) {
    const time = value[field];
    if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) fail(id, `${field} is not an ISO time`);
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
  const reason = value.cutShortReason;
  if (reason !== undefined && !CUT_SHORT_REASONS.some((known) => known === reason)) {
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
}

/** Checks a detail and returns it typed; throws {@link InvalidUsageEventError}. */
export function validateUsageDetail(value: unknown): UsageEventDetail {
  assertUsageDetail(value);
  return value;
}

/**
 * What the recorder accepts: the EventBridge envelope a rule target (or the local bus) delivers,
 * checking its source and detail-type, or the bare detail (a parked event being replayed).
 */
export function parseUsageEvent(input: UsageEventEnvelope | UsageEventDetail | unknown): UsageEventDetail {
  if (!isRecord(input)) fail(undefined, 'event is not an object');
  if (!('detail' in input && 'detail-type' in input)) return validateUsageDetail(input);
  if (input.source !== USAGE_EVENT_SOURCE || input['detail-type'] !== USAGE_EVENT_DETAIL_TYPE) {
    fail(undefined, `unexpected source/detail-type ${String(input.source)}/${String(input['detail-type'])}`);
  }
  return validateUsageDetail(input.detail);
}
