/**
 * The usage event: one per served request, emitted by the gateway after the response ended and
 * consumed by the recorder. It carries everything the usage record needs, so the recorder never
 * has to ask the gateway anything. Versioned: a consumer reads `detail.version` first.
 *
 * On AWS it travels as an EventBridge entry (`Source` = {@link USAGE_EVENT_SOURCE},
 * `DetailType` = {@link USAGE_EVENT_DETAIL_TYPE}); locally the in-process bus wraps it in the
 * same envelope. Kept well under EventBridge's 256 KB entry limit: no bodies, only counts.
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

export type CutShortReason = 'client_disconnect' | 'upstream_error' | 'idle_timeout' | 'deadline';

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
