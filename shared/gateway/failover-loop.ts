/**
 * Steps 8–9 of a request: pick an account (the first one comes with the user slot), give its
 * token a refresh if due, forward, and fail over on account errors, at most
 * {@link MAX_ACCOUNT_SWITCHES} times; then the last status is mapped for the client, with a
 * `Retry-After` when a cooled-down account is due back.
 *
 * One request takes at most one account out of rotation for a refusal it may have caused
 * itself (an ambiguous 403): that account is marked only once another account served the
 * request, and a second account giving the same refusal ends failover with that refusal.
 *
 * An account deleted between the listing and the read of its credentials is no failover: it
 * was never called, so it counts no switch and the selection goes on as if it had not been
 * listed. When every candidate is gone that way the client gets the selection's own refusal
 * (503, no available accounts), not an upstream failure.
 */
import type { HeldSlot, SessionGuess } from '../concurrency/contracts.ts';
import { NoAccountsError } from '../domain/errors.ts';
import type { Account, RequestDefaults } from '../domain/types.ts';
import { mapUpstreamError } from '../errors.ts';
import { TokenRefreshError } from '../oauth/token-refresh-error.ts';
import type { StickySession } from '../store/sticky.ts';
import type { AttemptResult, PendingRefusal } from './attempt.ts';
import type { Caller } from './authenticate.ts';
import type { ClientApi } from './client-api.ts';
import { BUILT_IN_INSTRUCTIONS, isCodexClient } from './codex-client.ts';
import type { GatewayDeps } from './deps.ts';
import type { GatewayRequest } from './http.ts';
import { attemptWithReauth } from './reauth-attempt.ts';
import type { UpstreamNotes } from './request-observer.ts';
import type { ResponseChannel } from './response-channel.ts';
import type { ResponsesBody } from './responses-body.ts';
import type { FirstSelection } from './take-slots.ts';
import { writeHealth } from './upstream-rejection.ts';

/** The attempt that served the request, with what the usage event needs besides its result. */
export type Served = Extract<AttemptResult, { kind: 'served' }> & {
  accountId: string;
  modelSent: string;
  failovers: number;
};

export const MAX_ACCOUNT_SWITCHES = 3;

/** What the loop is given: the request's signals, its wait hook and what was read for it. */
export interface FailoverContext {
  /** Aborts on client disconnect or when the deadline is near. */
  signal: AbortSignal;
  deadlineSignal: AbortSignal;
  /** Pings a streaming client while an account is waited for. */
  onWaiting: (() => Promise<void>) | undefined;
  sessionHash: string | undefined;
  sticky: Promise<StickySession | undefined> | undefined;
  requestDefaultsRead: Promise<RequestDefaults>;
  api: ClientApi;
  /** The account selection made alongside the user slot, used by the first attempt. */
  first: FirstSelection | undefined;
}

/**
 * What the request has done so far, kept outside the steps so that it outlives one that throws:
 * the slots the flow releases in its `finally`, and the facts the request's outcome reports.
 */
export interface RequestProgress {
  slots: HeldSlot[];
  slotWaitMs?: number;
  /** The account of the latest attempt. */
  accountId?: string;
  /** Accounts given up because they failed (a token that could not be refreshed is not counted). */
  failovers: number;
  /** What the instance's memory of the session did for the request's first selection. */
  sessionGuess?: SessionGuess;
  /** The latest upstream answer, noted by the attempts. */
  upstream: UpstreamNotes;
}

export async function failoverLoop(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  channel: ResponseChannel,
  deps: GatewayDeps,
  context: FailoverContext,
  progress: RequestProgress,
): Promise<Served | undefined> {
  const excluded = new Set<string>();
  // Deleted since they were listed: left out of every later selection, like an account never listed.
  const gone = new Set<string>();
  // Accounts given up because they failed; `MAX_ACCOUNT_SWITCHES` bounds it.
  let switches = 0;
  const codex = isCodexClient(request.headers);
  const requestDefaults = await context.requestDefaultsRead;
  let lastStatus = 0;
  // One ambiguous refusal per request, unmarked until another account serves the request.
  let pending: (PendingRefusal & { accountId: string }) | undefined;
  // The soonest a failed account is back: the client's Retry-After once every account failed.
  let soonestBack: number | undefined;
  const exhausted = () =>
    mapUpstreamError(lastStatus).retryAfter(
      soonestBack === undefined ? undefined : (soonestBack - deps.now()) / 1000,
    );
  for (let first = context.first; ; first = undefined) {
    let selected: Awaited<ReturnType<GatewayDeps['selectAccount']>>;
    try {
      if (first && !first.ok) throw first.error;
      selected = first?.ok
        ? first.selected
        : await deps.selectAccount({
            group: caller.group,
            model: body.model,
            sessionHash: context.sessionHash,
            sticky: context.sticky,
            excluded,
            gone,
            requestId: request.requestId,
            signal: context.signal,
            onWaiting: context.onWaiting,
            willTake: (listed) => void deps.withCredentials(listed).catch(() => {}),
          });
    } catch (error) {
      // Accounts ran out because they failed: the client learns why the last one failed.
      if (excluded.size > 0 && error instanceof NoAccountsError) throw exhausted();
      throw error;
    }
    if (!first?.ok) progress.slots.push(selected.slot);
    progress.sessionGuess ??= selected.sessionGuess;
    const latest = progress.accountId;
    progress.accountId = selected.account.id;
    // Read as the slot was taken (`willTake`), so this waits on that read, or on nothing.
    const withCredentials = await deps.withCredentials(selected.account);
    if (!withCredentials) {
      // Deleted since it was listed: another account may serve, or none is left. Not attempted,
      // so the outcome does not name it.
      gone.add(selected.account.id);
      progress.accountId = latest;
      progress.slots.pop();
      await selected.slot.release();
      continue;
    }
    let account = withCredentials;
    if (account.type === 'oauth') {
      try {
        account = await deps.ensureFreshToken(account);
      } catch (error) {
        if (!(error instanceof TokenRefreshError)) throw error;
        // An account whose token cannot be refreshed now is as good as one that answered 401/503.
        deps.logger.warn('failing over: token not refreshed', { accountId: account.id, kind: error.kind });
        excluded.add(account.id);
        lastStatus = error.upstreamStatus;
        progress.slots.pop();
        await selected.slot.release();
        if (switches >= MAX_ACCOUNT_SWITCHES) throw exhausted();
        switches += 1;
        continue;
      }
    }
    const targetFor = (forAccount: Account) =>
      context.api.target({
        account: forAccount,
        clientHeaders: request.headers,
        body: body.json,
        model: body.model,
        stream: body.stream,
        isCodexClient: codex,
        defaultInstructions: requestDefaults.defaultInstructions ?? BUILT_IN_INSTRUCTIONS,
        chatgptBaseUrl: deps.settings.chatgptBaseUrl,
      });
    const { result, target } = await attemptWithReauth(
      {
        deps,
        api: context.api,
        channel,
        modelRequested: body.model,
        clientStreams: body.stream,
        requestBody: body.json,
        signal: context.signal,
        deadlineSignal: context.deadlineSignal,
        upstream: progress.upstream,
        priorRefusal: pending?.fingerprint,
      },
      account,
      targetFor,
    );
    if (result.kind === 'failover') {
      progress.failovers = switches + 1;
      excluded.add(account.id);
      lastStatus = result.upstreamStatus;
      if (result.refusal && !pending) pending = { ...result.refusal, accountId: account.id };
      if (result.until !== undefined) soonestBack = Math.min(soonestBack ?? result.until, result.until);
      // The failed account's slot is not needed while the next one is tried.
      progress.slots.pop();
      await selected.slot.release();
      if (switches >= MAX_ACCOUNT_SWITCHES) throw exhausted();
      switches += 1;
      deps.logger.info('failing over', {
        accountId: account.id,
        upstreamStatus: lastStatus,
        switch: switches,
      });
      continue;
    }
    if (result.kind === 'rejected') return undefined;
    // Another account served what the pending one refused: the refusal was that account's.
    if (pending) {
      const reason = `${pending.health.reason ?? ''} (another account served the same request)`;
      await writeHealth(deps, pending.accountId, { ...pending.health, reason });
    }
    return { ...result, accountId: account.id, modelSent: target.modelSent, failovers: switches };
  }
}
