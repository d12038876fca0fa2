/**
 * Steps 4–12 of POST /v1/responses once the caller and the body are known: hold a user slot
 * (waiting with pings if the client streams), re-check billing, pick an account and hold one of
 * its slots, forward, fail over on account errors (at most three switches), and in `finally`
 * release every slot and emit the one usage event, before the body ends.
 */
import type { HeldSlot, StickySession } from '../concurrency/contracts.ts';
import { GatewayError, mapUpstreamError, sseErrorFrame } from '../errors.ts';
import type { UsageEventDetail } from '../events/usage-event.ts';
import type { Caller } from './authenticate.ts';
import { BUILT_IN_INSTRUCTIONS, isCodexClient } from './codex-client.ts';
import type { GatewayDeps } from './deps.ts';
import { type AttemptOutcome, attemptAccount } from './forward-attempt.ts';
import type { GatewayRequest } from './http.ts';
import type { ResponseChannel } from './response-channel.ts';
import type { ResponsesBody } from './responses-body.ts';
import { SSE_PING, sseHeaders } from './stream-frames.ts';
import { buildUpstreamRequest } from './upstream-request.ts';

export const MAX_ACCOUNT_SWITCHES = 3;
/** Time kept back from Lambda's deadline to end the stream and do the bookkeeping. */
export const DEADLINE_MARGIN_MS = 5_000;

type Served = Extract<AttemptOutcome, { kind: 'served' }> & {
  accountId: string;
  modelSent: string;
  failovers: number;
};

export async function serveResponses(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  channel: ResponseChannel,
  deps: GatewayDeps,
): Promise<void> {
  const deadlineSignal = AbortSignal.timeout(
    Math.max(0, request.deadlineAt - deps.now() - DEADLINE_MARGIN_MS),
  );
  const signal = AbortSignal.any([channel.signal, deadlineSignal]);
  const onWaiting = body.stream
    ? async () => {
        channel.open(200, sseHeaders(request.requestId));
        await channel.write(SSE_PING);
      }
    : undefined;
  const slots: HeldSlot[] = [];
  let served: Served | undefined;
  const sessionHash = deps.sessionHashOf(request.headers, body.json);
  // Read while the user slot is taken, so stickiness costs no round trip of its own.
  const sticky = sessionHash ? deps.lookupSticky(caller.group.id, sessionHash) : undefined;
  try {
    slots.push(
      await deps.acquireUserSlot({ user: caller.user, requestId: request.requestId, signal, onWaiting }),
    );
    // Balance or subscription may have changed while the request waited (reads are cached).
    const [user, subscription] = await Promise.all([
      deps.directory.getUser(caller.user.id),
      deps.directory.getSubscription(caller.user.id, caller.group.id),
    ]);
    deps.checkEligibility({ ...caller, user: user ?? caller.user, subscription }, body.model, deps.now());
    served = await failoverLoop(request, caller, body, channel, deps, {
      signal,
      deadlineSignal,
      onWaiting,
      slots,
      sessionHash,
      sticky,
    });
  } catch (error) {
    await reportError(error, request, channel, deps);
  } finally {
    const bookkeeping: Promise<unknown>[] = slots.map((slot) => slot.release());
    if (served) bookkeeping.push(publishUsage(request, caller, body, served, deps));
    await Promise.allSettled(bookkeeping);
    channel.end();
  }
}

interface LoopHooks {
  signal: AbortSignal;
  deadlineSignal: AbortSignal;
  onWaiting: (() => Promise<void>) | undefined;
  slots: HeldSlot[];
  sessionHash: string | undefined;
  sticky: Promise<StickySession | undefined> | undefined;
}

async function failoverLoop(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  channel: ResponseChannel,
  deps: GatewayDeps,
  hooks: LoopHooks,
): Promise<Served | undefined> {
  const excluded = new Set<string>();
  const codex = isCodexClient(request.headers);
  const settings = await deps.directory.getSettings();
  let lastStatus = 0;
  for (let switches = 0; ; switches++) {
    let selected: Awaited<ReturnType<GatewayDeps['selectAccount']>>;
    try {
      selected = await deps.selectAccount({
        group: caller.group,
        model: body.model,
        sessionHash: hooks.sessionHash,
        sticky: hooks.sticky,
        excluded,
        requestId: request.requestId,
        signal: hooks.signal,
        onWaiting: hooks.onWaiting,
      });
    } catch (error) {
      // Accounts ran out because they failed: the client learns why the last one failed.
      if (excluded.size > 0 && error instanceof GatewayError && error.status === 503)
        throw mapUpstreamError(lastStatus);
      throw error;
    }
    const { account } = selected;
    hooks.slots.push(selected.slot);
    const target = buildUpstreamRequest({
      account,
      clientHeaders: request.headers,
      body: body.json,
      model: body.model,
      stream: body.stream,
      isCodexClient: codex,
      defaultInstructions: settings.defaultInstructions ?? BUILT_IN_INSTRUCTIONS,
      chatgptBaseUrl: deps.settings.chatgptBaseUrl,
    });
    const outcome = await attemptAccount(
      {
        deps,
        channel,
        requestId: request.requestId,
        modelRequested: body.model,
        clientStreams: body.stream,
        signal: hooks.signal,
        deadlineSignal: hooks.deadlineSignal,
      },
      account,
      target,
    );
    if (outcome.kind === 'failover') {
      excluded.add(account.id);
      lastStatus = outcome.upstreamStatus;
      // The failed account's slot is not needed while the next one is tried.
      hooks.slots.pop();
      await selected.slot.release();
      if (switches >= MAX_ACCOUNT_SWITCHES) throw mapUpstreamError(lastStatus);
      deps.logger.info('failing over', {
        accountId: account.id,
        upstreamStatus: lastStatus,
        switch: switches + 1,
      });
      continue;
    }
    if (outcome.kind === 'rejected') return undefined;
    return { ...outcome, accountId: account.id, modelSent: target.modelSent, failovers: switches };
  }
}

async function reportError(
  error: unknown,
  request: GatewayRequest,
  channel: ResponseChannel,
  deps: GatewayDeps,
): Promise<void> {
  if (channel.isClosed) return;
  let gatewayError: GatewayError;
  if (error instanceof GatewayError) gatewayError = error;
  else {
    deps.logger.error('request failed', { error: error instanceof Error ? error.message : String(error) });
    gatewayError = GatewayError.internal();
  }
  if (channel.isOpen) {
    await channel.write(sseErrorFrame(gatewayError));
    return;
  }
  channel.open(gatewayError.status, {
    'content-type': 'application/json',
    'x-request-id': request.requestId,
  });
  await channel.write(JSON.stringify(gatewayError.toBody()));
}

async function publishUsage(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  served: Served,
  deps: GatewayDeps,
): Promise<void> {
  const endedAt = deps.now();
  const detail: UsageEventDetail = {
    version: 1,
    requestId: request.requestId,
    startedAt: new Date(request.receivedAt).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    userId: caller.user.id,
    apiKeyId: caller.key.id,
    groupId: caller.group.id,
    accountId: served.accountId,
    billingMode: caller.group.billingMode,
    rateMultiplier: caller.group.rateMultiplier,
    modelRequested: body.model,
    modelSent: served.modelSent,
    stream: body.stream,
    status: served.clientStatus,
    upstreamStatus: served.upstreamStatus,
    usage: served.usage,
    cutShort: served.cutShortReason !== undefined,
    ...(served.cutShortReason ? { cutShortReason: served.cutShortReason } : {}),
    durationMs: endedAt - request.receivedAt,
    ...(served.firstTokenAt !== undefined ? { firstTokenMs: served.firstTokenAt - request.receivedAt } : {}),
    failovers: served.failovers,
    ...(Object.keys(served.codexHeaders).length > 0 ? { codexHeaders: served.codexHeaders } : {}),
  };
  try {
    await deps.publisher.publish(detail);
  } catch (error) {
    // The publisher parks what it cannot send; reaching here means even that failed.
    deps.logger.error('usage event lost', { requestId: request.requestId, error: String(error) });
  }
}
