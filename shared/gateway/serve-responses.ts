/**
 * Steps 4–12 of POST /v1/responses and /v1/chat/completions once the caller and the body are
 * known (the {@link ClientApi} says what differs between the two): hold a user slot
 * (waiting with pings if the client streams) while reading the billing state fresh and writing
 * the request's `started` usage record (request-admission.ts), re-check billing on those fresh
 * values, pick an account and hold one of its slots, forward, fail over on account errors (at
 * most three switches), and in `finally`
 * release every slot and emit the one usage event, before the body ends.
 *
 * The failover loop itself is failover-loop.ts.
 */
import type { AccountSelectionRequest, HeldSlot } from '../concurrency/contracts.ts';
import { answerOf } from '../error-answers.ts';
import { GatewayError } from '../errors.ts';
import { type UsageEventDetail, usageEventOfServed } from '../events/usage-event.ts';
import type { Caller } from './authenticate.ts';
import type { ClientApi } from './client-api.ts';
import type { GatewayDeps } from './deps.ts';
import { failoverLoop, type Served } from './failover-loop.ts';
import type { GatewayRequest } from './http.ts';
import { beginAdmission } from './request-admission.ts';
import type { RequestOutcome } from './request-observer.ts';
import type { ResponsesPrefetch } from './request-prefetch.ts';
import type { ResponseChannel } from './response-channel.ts';
import type { ResponsesBody } from './responses-body.ts';
import { SSE_PING, sseHeaders } from './stream-frames.ts';
import { takeSlots } from './take-slots.ts';

/** Time kept back from Lambda's deadline to end the stream and do the bookkeeping. */
export const DEADLINE_MARGIN_MS = 5_000;
/** Timers may fire a little before the wall clock says their delay passed. */
const TIMER_SLACK_MS = 50;

export async function serveResponses(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  channel: ResponseChannel,
  deps: GatewayDeps,
  route: string,
  api: ClientApi,
  prefetch?: ResponsesPrefetch,
): Promise<void> {
  const outcome: RequestOutcome = {
    route,
    status: 200,
    failovers: 0,
    model: body.model,
    stream: body.stream,
  };
  // A timer cleared in `finally`: AbortSignal.timeout would keep every request's signal alive
  // until its (15-minute) deadline, which a long-running local server cannot afford.
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(
    () => deadline.abort(new Error('deadline')),
    Math.max(0, request.deadlineAt - deps.now() - DEADLINE_MARGIN_MS),
  );
  const deadlineSignal = deadline.signal;
  const signal = AbortSignal.any([
    channel.signal,
    deadlineSignal,
    ...(request.clientGone ? [request.clientGone] : []),
  ]);
  // A wait reports itself when it starts and then every ping interval. The first ping fixes status
  // 200, so it goes out only once the request has waited a whole interval: a short wait keeps the
  // real status of a refusal that follows (429, 402/403, 503), which the SDKs act on.
  const firstPingAt = request.receivedAt + deps.settings.pingIntervalSeconds * 1000 - TIMER_SLACK_MS;
  const onWaiting = body.stream
    ? async () => {
        if (!channel.isOpen && deps.now() < firstPingAt) return;
        channel.open(200, sseHeaders(request.requestId));
        await channel.write(SSE_PING);
      }
    : undefined;
  const slots: HeldSlot[] = [];
  let served: Served | undefined;
  const sessionHash = deps.sessionHashOf(request.headers, body.json);
  // Started with the caller's records (request-prefetch.ts), so stickiness costs no round trip of
  // its own; the account list and request defaults come from the cache, or from that prefetch when cold.
  const sticky = prefetch
    ? prefetch.sticky(caller.group.id, sessionHash)
    : sessionHash
      ? deps.lookupSticky(caller.group.id, sessionHash)
      : undefined;
  const requestDefaultsRead = deps.directory.getRequestDefaults();
  const accountsRead = deps.directory.listAccounts();
  // Either may go unawaited when the request ends early; a failure surfaces where it is used.
  for (const read of [requestDefaultsRead, accountsRead]) read.catch(() => {});
  // In the slot's wave: the fresh billing state and the `started` usage record.
  const admission = beginAdmission(request, caller, body, deps, route);
  try {
    const waitStartedAt = deps.now();
    const selection = (): AccountSelectionRequest => ({
      group: caller.group,
      model: body.model,
      sessionHash,
      sticky,
      excluded: new Set(),
      requestId: request.requestId,
      signal,
      onWaiting,
    });
    const { user: userSlot, first } = await takeSlots(
      deps,
      { user: caller.user, requestId: request.requestId, signal, onWaiting },
      () => deps.selectAccount(selection()),
      admission.allowance,
    );
    slots.push(userSlot);
    if (first?.ok) slots.push(first.selected.slot);
    outcome.slotWaitMs = deps.now() - waitStartedAt;
    // Limits are checked on values read with the slot, not the cache, so overshoot is bounded by
    // what is in flight; a user that queued for its slot (no first selection) is read again.
    deps.checkEligibility(await admission.billingCaller(first === undefined), body.model, deps.now());
    await admission.checkBudget();
    served = await failoverLoop(request, caller, body, channel, deps, {
      signal,
      deadlineSignal,
      onWaiting,
      slots,
      sessionHash,
      sticky,
      outcome,
      requestDefaultsRead,
      api,
      first,
    });
  } catch (error) {
    const reported = await reportError(error, request, channel, deps, api);
    if (reported) Object.assign(outcome, reported);
  } finally {
    const endedAt = deps.now();
    const bookkeeping: Promise<unknown>[] = slots.map((slot) => slot.release());
    if (served) {
      noteServed(outcome, served, request);
      bookkeeping.push(
        publishUsage(usageEventOfServed({ request, caller, body, served, route }, endedAt), deps),
      );
    }
    bookkeeping.push(admission.finish(served !== undefined));
    bookkeeping.push(deps.observer.requestEnded(request, caller, outcome));
    await Promise.allSettled(bookkeeping);
    clearTimeout(deadlineTimer);
    channel.end();
  }
}

function noteServed(outcome: RequestOutcome, served: Served, request: GatewayRequest): void {
  outcome.status = served.clientStatus;
  if (served.firstTokenAt !== undefined) outcome.ttftMs = served.firstTokenAt - request.receivedAt;
  if (served.cutShortReason && served.cutShortReason !== 'client_disconnect') {
    outcome.errorType = 'upstream_error';
    outcome.message = `Upstream stream ended early (${served.cutShortReason})`;
  }
}

/** Tells the client what went wrong, as JSON or, once the stream started, as an SSE error. */
async function reportError(
  error: unknown,
  request: GatewayRequest,
  channel: ResponseChannel,
  deps: GatewayDeps,
  api: ClientApi,
): Promise<Pick<RequestOutcome, 'status' | 'errorType' | 'message'> | undefined> {
  if (channel.isClosed || request.clientGone?.aborted) {
    return { status: 499, errorType: 'client_closed', message: 'client went away' };
  }
  let gatewayError = answerOf(error);
  if (!gatewayError) {
    deps.logger.error('request failed', { error: error instanceof Error ? error.message : String(error) });
    gatewayError = GatewayError.internal();
  }
  const reported = { errorType: gatewayError.type, message: gatewayError.message };
  if (channel.isOpen) {
    await channel.write(api.errorFrame(gatewayError));
    return { status: 200, ...reported };
  }
  channel.open(gatewayError.status, {
    'content-type': 'application/json',
    'x-request-id': request.requestId,
    ...gatewayError.responseHeaders(),
  });
  await channel.write(JSON.stringify(gatewayError.toBody()));
  return { status: gatewayError.status, ...reported };
}

async function publishUsage(detail: UsageEventDetail, deps: GatewayDeps): Promise<void> {
  try {
    await deps.publisher.publish(detail);
  } catch (error) {
    // The publisher parks what it cannot send; reaching here means even that failed.
    deps.logger.error('usage event lost', { requestId: detail.requestId, error: String(error) });
  }
}
