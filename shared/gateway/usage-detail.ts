/** Builds the usage event of a served request from what the request flow observed. */
import type { UsageEventDetail } from '../events/usage-event.ts';
import type { Caller } from './authenticate.ts';
import type { AttemptOutcome } from './forward-attempt.ts';
import type { GatewayRequest } from './http.ts';
import type { ResponsesBody } from './responses-body.ts';

export type Served = Extract<AttemptOutcome, { kind: 'served' }> & {
  accountId: string;
  modelSent: string;
  failovers: number;
};

export function usageDetailOf(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  served: Served,
  endedAt: number,
  route: string,
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
