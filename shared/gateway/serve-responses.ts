/**
 * Steps 3–10 of POST /v1/responses and /v1/chat/completions (docs/architecture.md) once the
 * caller and the body are known (the {@link ClientApi} says what differs between the two): hold
 * a user slot (waiting with pings if the client streams) while reading the billing state fresh
 * and writing the request's `started` usage record (request-admission.ts), re-check billing on
 * those fresh values, pick an account and hold one of its slots, forward, fail over on account
 * errors (at most three switches), and in `finally` release every slot and emit the one usage
 * event. Everything the client gets goes through the request's `ResponseChannel`; what the
 * request did is returned, and the router observes it with the channel's answer.
 *
 * The failover loop itself is failover-loop.ts.
 */
import type { AccountSelectionRequest } from '../concurrency/contracts.ts';
import { answerOrInternal } from '../error-answers.ts';
import type { UsageEventDetail } from '../events/usage-event.ts';
import { usageEventOfServed } from '../events/usage-event-builders.ts';
import type { Caller } from './authenticate.ts';
import type { ClientApi } from './client-api.ts';
import type { GatewayDeps } from './deps.ts';
import { failoverLoop, type RequestProgress, type Served } from './failover-loop.ts';
import type { GatewayRequest } from './http.ts';
import { beginAdmission } from './request-admission.ts';
import type { RouteDetails } from './request-observer.ts';
import type { ResponsesPrefetch } from './request-prefetch.ts';
import type { ResponseChannel } from './response-channel.ts';
import type { ResponsesBody } from './responses-body.ts';
import { takeSlots } from './take-slots.ts';

/** Time kept back from Lambda's deadline to end the stream and do the bookkeeping. */
export const DEADLINE_MARGIN_MS = 5_000;
/** Timers may fire a little before the wall clock says their delay passed. */
const TIMER_SLACK_MS = 50;

/** A model request once its caller and body are known, and the channel it is answered through. */
export interface ModelRequest {
  request: GatewayRequest;
  caller: Caller;
  body: ResponsesBody;
  channel: ResponseChannel;
  deps: GatewayDeps;
  /** The route as matched, for the request's records. */
  route: string;
  api: ClientApi;
  prefetch?: ResponsesPrefetch | undefined;
}

/**
 * Serves the request through its channel (a failure included: the channel tells the client) and
 * returns what the request's outcome reports besides the channel's answer, once every slot is
 * released and the usage event published. It never rejects for a failure of the request.
 */
export async function serveResponses(flow: ModelRequest): Promise<RouteDetails> {
  const { request, caller, body, channel, deps, route, api } = flow;
  const progress: RequestProgress = { slots: [], failovers: 0, upstream: {} };
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
        await channel.ping();
      }
    : undefined;
  let served: Served | undefined;
  const sessionHash = deps.sessionHashOf(request.headers, body.json);
  // Started with the caller's records (request-prefetch.ts), so stickiness costs no round trip of
  // its own; the account list and request defaults come from the cache, or from that prefetch when cold.
  const sticky = flow.prefetch
    ? flow.prefetch.sticky(caller.group.id, sessionHash)
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
      willTake: (account) => void deps.withCredentials(account).catch(() => {}),
    });
    const { user: userSlot, first } = await takeSlots(
      deps,
      { user: caller.user, requestId: request.requestId, signal, onWaiting },
      (userLost) => deps.selectAccount({ ...selection(), signal: AbortSignal.any([signal, userLost]) }),
      admission.allowance,
    );
    progress.slots.push(userSlot);
    if (first?.ok) progress.slots.push(first.selected.slot);
    progress.slotWaitMs = deps.now() - waitStartedAt;
    // Limits are checked on values read with the slot, not the cache, so overshoot is bounded by
    // what is in flight; a user that queued for its slot (no first selection) is read again.
    deps.checkEligibility(await admission.billingCaller(first === undefined), body.model, deps.now());
    await admission.checkBudget();
    served = await failoverLoop(
      request,
      caller,
      body,
      channel,
      deps,
      { signal, deadlineSignal, onWaiting, sessionHash, sticky, requestDefaultsRead, api, first },
      progress,
    );
  } catch (error) {
    const log = (message: string) => deps.logger.error('request failed', { error: message });
    await channel.fail(answerOrInternal(error, log));
  } finally {
    const endedAt = deps.now();
    const bookkeeping: Promise<unknown>[] = progress.slots.map((slot) => slot.release());
    if (served) {
      bookkeeping.push(
        publishUsage(usageEventOfServed({ request, caller, body, served, route }, endedAt), deps),
      );
    }
    bookkeeping.push(admission.finish(served !== undefined));
    await Promise.allSettled(bookkeeping);
    clearTimeout(deadlineTimer);
  }
  return detailsOf(body, progress, served, request.receivedAt);
}

/** What the request did, for its metrics and ops record; the status is the channel's to tell. */
function detailsOf(
  body: ResponsesBody,
  progress: RequestProgress,
  served: Served | undefined,
  receivedAt: number,
): RouteDetails {
  const details: RouteDetails = {
    model: body.model,
    stream: body.stream,
    failovers: progress.failovers,
    ...progress.upstream,
  };
  if (progress.accountId !== undefined) details.accountId = progress.accountId;
  if (progress.slotWaitMs !== undefined) details.slotWaitMs = progress.slotWaitMs;
  if (progress.sessionGuess !== undefined) details.sessionGuess = progress.sessionGuess;
  if (served?.firstTokenAt !== undefined) details.ttftMs = served.firstTokenAt - receivedAt;
  // The upstream's own `error` event already told the client; the request still failed.
  if (served?.cutShortReason && served.cutShortReason !== 'client_disconnect') {
    details.errorType = 'upstream_error';
    details.message = `Upstream stream ended early (${served.cutShortReason})`;
  }
  return details;
}

async function publishUsage(detail: UsageEventDetail, deps: GatewayDeps): Promise<void> {
  try {
    await deps.publisher.publish(detail);
  } catch (error) {
    // The publisher parks what it cannot send; reaching here means even that failed.
    deps.logger.error('usage event lost', { requestId: detail.requestId, error: String(error) });
  }
}
