/**
 * Load-aware account selection with sticky sessions and a wait plan (docs/architecture.md, request step 6).
 *
 * DynamoDB requests, warm and uncontended (the budget is 3 sequential round trips before the
 * upstream starts and 8 in all per gateway request, user slot and releases included):
 * - sticky hit with room: one blind Put on the sticky account — no load read at all. When this
 *   instance already knows the session (recent-sessions.ts), that Put goes out beside the
 *   binding's read, in the user slot's wave, and the read only confirms it: a known session
 *   reaches the upstream after one round trip. A guess the read contradicts (the binding moved
 *   or lapsed) gives its slot back while the selection goes on as for an unknown session: one
 *   Put and one Delete more, no round trip more;
 * - sticky account full: a wait for it (a ticket, then polls) while few enough wait, then the rest;
 * - a single candidate: one blind Put;
 * - otherwise: parallel consistent Queries of the best priority tier's slot partitions (at most
 *   {@link LOAD_PROBES_WITH_SESSION} or {@link LOAD_PROBES_WITHOUT_SESSION} of them, least recently
 *   used first with random tie-break), then one Put on a free index of the least loaded.
 * A session's binding is read once (prefetch it with `lookupSticky` alongside the user slot) and
 * written only when new, moved, or under 50 minutes from lapsing, in the background. Accounts come
 * as listed, without credentials: `willTake` tells the caller which account's slot is being taken,
 * so it reads that account's credentials in the same round trip.
 *
 * @example
 * ```ts
 * const sticky = sessionHash ? concurrency.lookupSticky(group.id, sessionHash) : undefined;
 * const userSlot = await concurrency.acquireUserSlot({ user, requestId });
 * const { account, slot } = await concurrency.selectAccount({ group, model, sessionHash, sticky, excluded, requestId });
 * ```
 */

import { NoAccountsError, QueueFullError, WaitTimedOutError } from '../domain/errors.ts';
import type { ListedAccount } from '../domain/types.ts';
import type { StickySession, StickyStore } from '../store/sticky.ts';
import { candidatesFor, noCandidateReason, priorityTiers, rankProbed } from './account-candidates.ts';
import { type Clock, epochSeconds } from './clock.ts';
import type {
  AccountSelectionRequest,
  BindStickySession,
  LookupStickySession,
  SelectAccount,
  SelectedAccount,
  SessionGuess,
} from './contracts.ts';
import type { ErrorReporter, HeldLease } from './lease.ts';
import type { LeasePools } from './lease-pools.ts';
import { RecentSessions } from './recent-sessions.ts';

export const STICKY_TTL_SECONDS = 60 * 60;
/** A binding is rewritten only once less than this remains, so most requests of a session write nothing. */
export const STICKY_REFRESH_BELOW_SECONDS = 50 * 60;
/**
 * Load reads per round. A request with a session already spends a sticky read and a bind write,
 * so it probes fewer accounts to stay within 8 requests; sampling a few least-recently-used
 * accounts of a large tier still spreads load close to a full scan ("power of d choices").
 */
export const LOAD_PROBES_WITH_SESSION = 2;
export const LOAD_PROBES_WITHOUT_SESSION = 4;

export interface AccountSelectorSettings {
  accountWaitSeconds: number;
  accountMaxWaiting: number;
  stickyWaitSeconds: number;
  stickyMaxWaiting: number;
  pingIntervalSeconds: number;
}

export interface AccountSelectorDeps {
  pools: LeasePools;
  sticky: StickyStore;
  listAccounts: () => Promise<readonly ListedAccount[]>;
  settings: AccountSelectorSettings;
  clock: Clock;
  random: () => number;
  report: ErrorReporter;
}

export interface AccountSelector {
  selectAccount: SelectAccount;
  lookupSticky: LookupStickySession;
  bindSticky: BindStickySession;
}

const slotPoolOf = (account: ListedAccount) => ({ kind: 'slot', scope: 'acct', id: account.id }) as const;

/** Probe rounds: each priority tier in slices, best tier first; a blind-tried sticky joins the first. */
function probeRounds(
  others: readonly ListedAccount[],
  sticky: ListedAccount | undefined,
  perRound: number,
  random: () => number,
) {
  const rounds: ListedAccount[][] = [];
  for (const tier of priorityTiers(others, random)) {
    for (let start = 0; start < tier.length; start += perRound)
      rounds.push(tier.slice(start, start + perRound));
  }
  if (sticky) {
    if (rounds[0]) rounds[0].push(sticky);
    else rounds.push([sticky]);
  }
  return rounds;
}

export function createAccountSelector(deps: AccountSelectorDeps): AccountSelector {
  const { pools, clock, report, settings } = deps;
  // One per instance: what its requests saw of sessions' bindings.
  const recent = new RecentSessions();

  const lookupSticky: LookupStickySession = (groupId, sessionHash) =>
    deps.sticky.find(groupId, sessionHash, epochSeconds(clock.now())).catch((error: unknown) => {
      report(error, 'sticky lookup');
      return undefined;
    });

  const bindSticky: BindStickySession = (groupId, sessionHash, accountId) =>
    deps.sticky
      .bind(groupId, sessionHash, accountId, epochSeconds(clock.now()) + STICKY_TTL_SECONDS)
      .catch((error: unknown) => report(error, 'sticky bind'));

  function won(
    request: AccountSelectionRequest,
    sticky: StickySession | undefined,
    account: ListedAccount,
    lease: HeldLease,
  ): SelectedAccount {
    const hash = request.sessionHash;
    const now = epochSeconds(clock.now());
    const kept = sticky?.accountId === account.id ? sticky : undefined;
    const fresh = kept !== undefined && kept.expiresAt - now >= STICKY_REFRESH_BELOW_SECONDS;
    if (hash && !fresh) lease.keepUntilRelease(bindSticky(request.group.id, hash, account.id));
    if (hash) {
      const expiresAt = fresh ? kept.expiresAt : now + STICKY_TTL_SECONDS;
      recent.note(request.group.id, hash, { accountId: account.id, expiresAt });
    }
    return { account, slot: lease };
  }

  async function tryRound(
    round: ListedAccount[],
    blindTried: ListedAccount | undefined,
    request: AccountSelectionRequest,
  ) {
    const { requestId: holder, signal } = request;
    if (round.length === 1 && round[0]) {
      const [account] = round;
      const blind = account !== blindTried;
      request.willTake?.(account);
      const lease = await pools.acquire(slotPoolOf(account), account.concurrency, holder, { blind, signal });
      return { lease, account, best: account };
    }
    const live = await Promise.all(round.map((account) => pools.live(slotPoolOf(account))));
    signal?.throwIfAborted();
    const ranked = rankProbed(
      round.map((account, i) => {
        const known = live[i] ?? [];
        return { account, inFlight: known.length, hasRoom: known.length < account.concurrency, known };
      }),
      blindTried?.id,
    );
    for (const { account, hasRoom, known } of ranked) {
      if (!hasRoom) break;
      request.willTake?.(account);
      const lease = await pools.acquire(slotPoolOf(account), account.concurrency, holder, {
        known,
        reads: 0,
        signal,
      });
      if (lease) return { lease, account, best: ranked[0]?.account };
    }
    return { lease: undefined, account: undefined, best: ranked[0]?.account };
  }

  /**
   * Moving a session loses its account's prompt cache (a slower first token, more quota spent), so
   * a full sticky account is waited for first — while fewer than `stickyMaxWaiting` requests
   * already wait for it, up to `stickyWaitSeconds`. Undefined when that is over budget: the
   * session moves.
   */
  async function waitForSticky(account: ListedAccount, request: AccountSelectionRequest) {
    if (settings.stickyWaitSeconds <= 0 || settings.stickyMaxWaiting <= 0) return undefined;
    const overBudget = new Error('sticky wait over budget');
    request.willTake?.(account);
    try {
      return await pools.wait({
        pool: slotPoolOf(account),
        limit: account.concurrency,
        holder: request.requestId,
        maxWaiting: settings.stickyMaxWaiting,
        waitSeconds: settings.stickyWaitSeconds,
        pingIntervalSeconds: settings.pingIntervalSeconds,
        signal: request.signal,
        onWaiting: request.onWaiting,
        queueFull: () => overBudget,
        timedOut: () => overBudget,
      });
    } catch (error) {
      if (error === overBudget) return undefined;
      throw error;
    }
  }

  /** One blind Put on the account's slots: undefined when that index was taken (the account may be full). */
  function takeBlind(account: ListedAccount, request: AccountSelectionRequest) {
    request.willTake?.(account);
    return pools.acquire(slotPoolOf(account), account.concurrency, request.requestId, {
      blind: true,
      reads: 0,
      signal: request.signal,
    });
  }

  /** The selection once the binding is known; `guessed` is the sticky account's blind Put, if already sent. */
  async function selectAmong(
    candidates: readonly ListedAccount[],
    sticky: StickySession | undefined,
    request: AccountSelectionRequest,
    guessed?: Promise<HeldLease | undefined>,
  ): Promise<SelectedAccount> {
    const stickyAccount = candidates.find((account) => account.id === sticky?.accountId);
    if (stickyAccount) {
      const lease = await (guessed ?? takeBlind(stickyAccount, request));
      if (lease) return won(request, sticky, stickyAccount, lease);
      const waited = await waitForSticky(stickyAccount, request);
      if (waited) return won(request, sticky, stickyAccount, waited);
    }

    const others = candidates.filter((account) => account !== stickyAccount);
    const perRound = request.sessionHash ? LOAD_PROBES_WITH_SESSION : LOAD_PROBES_WITHOUT_SESSION;
    let waitFor: ListedAccount | undefined;
    for (const round of probeRounds(others, stickyAccount, perRound, deps.random)) {
      const outcome = await tryRound(round, stickyAccount, request);
      if (outcome.lease && outcome.account) return won(request, sticky, outcome.account, outcome.lease);
      waitFor ??= outcome.best;
    }

    // Every candidate is full: wait for the best of the best tier, rather than refusing at once.
    const target = waitFor ?? (candidates[0] as ListedAccount);
    request.willTake?.(target);
    const lease = await pools.wait({
      pool: slotPoolOf(target),
      limit: target.concurrency,
      holder: request.requestId,
      maxWaiting: settings.accountMaxWaiting,
      waitSeconds: settings.accountWaitSeconds,
      pingIntervalSeconds: settings.pingIntervalSeconds,
      signal: request.signal,
      onWaiting: request.onWaiting,
      queueFull: () => new QueueFullError('account'),
      timedOut: () => new WaitTimedOutError('account'),
    });
    return won(request, sticky, target, lease);
  }

  const selectAccount: SelectAccount = async (request) => {
    request.signal?.throwIfAborted();
    const listed = await deps.listAccounts();
    const gone = request.gone;
    const accounts = gone?.size ? listed.filter((account) => !gone.has(account.id)) : listed;
    const filter = { ...request, groupId: request.group.id };
    const candidates = candidatesFor(accounts, filter, clock.now());
    if (candidates.length === 0) {
      throw new NoAccountsError(noCandidateReason(accounts, filter, clock.now()));
    }

    const hash = request.sessionHash;
    if (!hash) return selectAmong(candidates, undefined, request);
    const groupId = request.group.id;
    const read = request.sticky ?? lookupSticky(groupId, hash);
    // Only a candidate is guessed: what this request could be given anyway (its group, schedulable
    // as listed, not excluded, serving the model), so the memory can steer nothing past the rules.
    const remembered = recent.accountOf(groupId, hash, epochSeconds(clock.now()));
    const guess = candidates.find((account) => account.id === remembered);
    const guessed = guess && takeBlind(guess, request);
    // Handled at once: a guess that fails while the read is pending must not go unhandled.
    guessed?.catch(() => {});
    const sticky = await read;
    recent.note(groupId, hash, sticky);
    if (!guessed || guess?.id === sticky?.accountId) {
      const sessionGuess: SessionGuess = guessed ? 'hit' : 'none';
      return { ...(await selectAmong(candidates, sticky, request, guessed)), sessionGuess };
    }
    // The binding moved or lapsed: the guessed slot goes back beside the selection, never after it.
    const giveBack = guessed.then(
      (lease) => lease?.release(),
      () => {},
    );
    try {
      return { ...(await selectAmong(candidates, sticky, request)), sessionGuess: 'moved' };
    } finally {
      await giveBack;
    }
  };

  return { selectAccount, lookupSticky, bindSticky };
}
