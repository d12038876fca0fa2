/**
 * The end of every gateway request, seen once: EMF metrics for all of them, and an ops record
 * for each failure of an authenticated caller. Unauthenticated refusals (bad keys, unknown
 * routes) are counted and logged but never written to DynamoDB, so nobody without a key can make
 * the gateway write.
 */
import type { SessionGuess } from '../concurrency/contracts.ts';
import type { GatewayMetrics } from '../observability/gateway-metrics.ts';
import type { OpsRecorder } from '../ops/create-ops-recorder.ts';
import type { Caller } from './authenticate.ts';
import type { GatewayRequest } from './http.ts';

export interface RequestOutcome {
  /** The route as matched, or `unmatched`. */
  route: string;
  /**
   * Status the client got (200 for an error reported inside a started stream, 499 when it left
   * first), as its `ResponseChannel` noted it: no other code decides it.
   */
  status: number;
  /** Set when the request failed or was refused, also after the stream started. */
  errorType?: string;
  message?: string;
  accountId?: string;
  /** The model the client asked for and whether it streams, once the body was read. */
  model?: string;
  stream?: boolean;
  upstreamStatus?: number;
  /** The upstream's own error message (redacted when stored), when its answer was an error. */
  upstreamMessage?: string;
  /** The upstream's id of its answer (OpenAI's `x-request-id`), to match a report with OpenAI's. */
  upstreamRequestId?: string;
  upstreamLatencyMs?: number;
  ttftMs?: number;
  slotWaitMs?: number;
  failovers?: number;
  /** For a request with a session: whether this instance guessed its account, and whether the guess held. */
  sessionGuess?: SessionGuess;
}

/**
 * What a route tells of its request at its end, besides the answer its response channel noted
 * (the status, and the failure the client was told of): the router adds the two.
 */
export type RouteDetails = Omit<RequestOutcome, 'route' | 'status'>;

/** What the attempts note of the last upstream answer, for the outcome even when a later step throws. */
export type UpstreamNotes = Pick<
  RequestOutcome,
  'upstreamStatus' | 'upstreamLatencyMs' | 'upstreamRequestId' | 'upstreamMessage'
>;

export interface RequestObserver {
  requestEnded(request: GatewayRequest, caller: Caller | undefined, outcome: RequestOutcome): Promise<void>;
}

export function createRequestObserver(
  metrics: GatewayMetrics,
  ops: OpsRecorder,
  now: () => number,
): RequestObserver {
  return {
    async requestEnded(request, caller, outcome) {
      metrics.requestEnded({
        requestId: request.requestId,
        route: outcome.route,
        status: outcome.status,
        ...(outcome.errorType ? { errorType: outcome.errorType } : {}),
        ...(outcome.upstreamLatencyMs !== undefined ? { upstreamLatencyMs: outcome.upstreamLatencyMs } : {}),
        ...(outcome.ttftMs !== undefined ? { ttftMs: outcome.ttftMs } : {}),
        ...(outcome.slotWaitMs !== undefined ? { slotWaitMs: outcome.slotWaitMs } : {}),
        ...(outcome.failovers !== undefined ? { failovers: outcome.failovers } : {}),
        ...(outcome.sessionGuess !== undefined ? { sessionGuess: outcome.sessionGuess } : {}),
      });
      if (!caller || !outcome.errorType) return;
      await ops.recordError({
        requestId: request.requestId,
        at: request.receivedAt,
        route: outcome.route,
        method: request.method,
        status: outcome.status,
        errorType: outcome.errorType,
        message: outcome.message ?? '',
        userId: caller.user.id,
        apiKeyId: caller.key.id,
        groupId: caller.group.id,
        ...(outcome.accountId ? { accountId: outcome.accountId } : {}),
        ...(outcome.model !== undefined ? { model: outcome.model } : {}),
        ...(outcome.stream !== undefined ? { stream: outcome.stream } : {}),
        ...(request.sourceIp ? { clientIp: request.sourceIp } : {}),
        ...(request.headers['user-agent'] ? { userAgent: request.headers['user-agent'] } : {}),
        ...(outcome.upstreamStatus !== undefined ? { upstreamStatus: outcome.upstreamStatus } : {}),
        ...(outcome.upstreamMessage ? { upstreamMessage: outcome.upstreamMessage } : {}),
        ...(outcome.upstreamRequestId ? { upstreamRequestId: outcome.upstreamRequestId } : {}),
        latencyMs: now() - request.receivedAt,
      });
    },
  };
}
