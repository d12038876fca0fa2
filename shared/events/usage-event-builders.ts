/**
 * The two ways a usage event is made: from a request the gateway served, and from a stored
 * record (the pending sweep finishes a record whose event was lost by recording this again). The
 * event's type and parser are in `usage-event.ts`; the builders sit apart because the second one
 * reads the record's and the ledger's types, which themselves use the event's types.
 *
 * @example
 * ```ts
 * const detail = usageEventOfServed({ request, caller, body, served, route }, Date.now()); // gateway
 * const again = usageEventOfRecord(stored.record, stored.pendingContext); // sweep
 * ```
 */
import type { BillingMode } from '../domain/types.ts';
import type { UsageRecord } from '../recorder/usage-record.ts';
import type { PendingContext } from '../store/usage-ledger.ts';
import type { CutShortReason, TokenUsage, UsageEventDetail, UsageSource } from './usage-event.ts';

/** What the gateway observed of a request it served (its own types fit these as they are). */
export interface ServedRequest {
  request: { requestId: string; receivedAt: number };
  caller: {
    user: { id: string };
    key: { id: string; hash: string };
    group: { id: string; billingMode: BillingMode; rateMultiplier: number };
  };
  body: { model: string; stream: boolean };
  served: {
    accountId: string;
    modelSent: string;
    clientStatus: number;
    upstreamStatus: number;
    usage: TokenUsage;
    usageSource: UsageSource;
    cutShortReason: CutShortReason | undefined;
    /** Epoch ms of the first byte of the upstream body. */
    firstTokenAt: number | undefined;
    failovers: number;
    codexHeaders: Record<string, string>;
    upstreamRequestId?: string;
  };
  /** The route the client called. */
  route: string;
}

/** The usage event of a request the gateway served, its response having ended at `endedAt`. */
export function usageEventOfServed(
  { request, caller, body, served, route }: ServedRequest,
  endedAt: number,
): UsageEventDetail {
  return {
    version: 1,
    requestId: request.requestId,
    startedAt: new Date(request.receivedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    userId: caller.user.id,
    apiKeyId: caller.key.id,
    apiKeyHash: caller.key.hash,
    groupId: caller.group.id,
    accountId: served.accountId,
    billingMode: caller.group.billingMode,
    rateMultiplier: caller.group.rateMultiplier,
    modelRequested: body.model,
    modelSent: served.modelSent,
    stream: body.stream,
    route,
    status: served.clientStatus,
    upstreamStatus: served.upstreamStatus,
    usage: served.usage,
    usageSource: served.usageSource,
    cutShort: served.cutShortReason !== undefined,
    ...(served.cutShortReason ? { cutShortReason: served.cutShortReason } : {}),
    durationMs: endedAt - request.receivedAt,
    ...(served.firstTokenAt !== undefined ? { firstTokenMs: served.firstTokenAt - request.receivedAt } : {}),
    failovers: served.failovers,
    ...(Object.keys(served.codexHeaders).length > 0 ? { codexHeaders: served.codexHeaders } : {}),
    ...(served.upstreamRequestId ? { upstreamRequestId: served.upstreamRequestId } : {}),
  };
}

/**
 * The usage event a stored record was built from, as far as its effects need it: the sweep
 * finishes a record whose event was lost by recording this again. Every field the event carries
 * is on the record, except the Codex headers (kept in the pending context) and the key's hash.
 */
export function usageEventOfRecord(record: UsageRecord, context: PendingContext = {}): UsageEventDetail {
  const detail: UsageEventDetail = {
    version: 1,
    requestId: record.requestId,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    userId: record.userId,
    apiKeyId: record.apiKeyId,
    groupId: record.groupId,
    accountId: record.accountId,
    billingMode: record.billingMode,
    rateMultiplier: record.rateMultiplier,
    modelRequested: record.modelRequested,
    modelSent: record.modelSent,
    stream: record.stream,
    status: record.status,
    upstreamStatus: record.upstreamStatus,
    usage: {
      inputTokens: record.inputTokens,
      cachedInputTokens: record.cachedInputTokens,
      outputTokens: record.outputTokens,
      reasoningTokens: record.reasoningTokens,
    },
    cutShort: record.cutShort,
    usageSource: record.usageSource ?? 'upstream',
    durationMs: record.durationMs,
    failovers: record.failovers,
  };
  if (record.cutShortReason !== undefined) detail.cutShortReason = record.cutShortReason;
  if (record.firstTokenMs !== undefined) detail.firstTokenMs = record.firstTokenMs;
  if (record.route !== undefined) detail.route = record.route;
  if (record.upstreamRequestId !== undefined) detail.upstreamRequestId = record.upstreamRequestId;
  if (context.codexHeaders !== undefined) detail.codexHeaders = context.codexHeaders;
  return detail;
}
