/**
 * The contracts between the gateway's request flow and the concurrency machinery (slot leases,
 * wait queues, sticky sessions, account selection). The request flow only sees these; the
 * DynamoDB-backed implementations live beside them.
 */
import type { NoAccountsError, QueueFullError, WaitTimedOutError } from '../domain/errors.ts';
import type { Group, ListedAccount, User } from '../domain/types.ts';
import type { StickySession } from '../store/sticky.ts';

/**
 * A held slot; `release` is idempotent and never throws. A lease-backed slot renews itself in the
 * background until released, so call `release` in the response's `finally`: it also awaits any
 * write started on the slot's behalf (the sticky binding), which a Lambda must not leave dangling.
 */
export interface HeldSlot {
  release(): Promise<void>;
}

export interface WaitHooks {
  /**
   * Aborts the wait (client gone, deadline near): the call rejects with `signal.reason` promptly
   * and leaves no wait ticket or slot behind.
   */
  signal?: AbortSignal;
  /**
   * Called when the request starts waiting (awaited, before the first poll) and then every ping
   * interval while it waits; never called when the ping interval is 0 (pings off). The gateway
   * starts the SSE stream and writes a `:\n\n` comment from it. A rejection of the first call ends
   * the wait with that error; later rejections are reported and ignored.
   */
  onWaiting?: () => void | Promise<void>;
}

/**
 * Reads a session's sticky account. Never rejects (a failed read means "no binding"), so the
 * gateway can start it before it waits for the user slot and pass the promise to
 * {@link SelectAccount}: the read then costs no sequential round trip.
 */
export type LookupStickySession = (
  groupId: string,
  sessionHash: string,
) => Promise<StickySession | undefined>;

export interface UserSlotRequest extends WaitHooks {
  user: User;
  requestId: string;
}

/**
 * Holds a slot of the user's concurrency for the request, waiting in the user's bounded queue.
 * Throws {@link QueueFullError} (`user`) when the queue is full and {@link WaitTimedOutError}
 * (`user`) when the wait times out; `shared/error-answers.ts` words them for the client.
 */
export type AcquireUserSlot = (request: UserSlotRequest) => Promise<HeldSlot>;

/**
 * One attempt at a user slot without reading or waiting (a single conditional Put on a random
 * index): undefined when it lost. Lets the gateway take the user's slot in the same round trip
 * as the account's, and fall back to {@link AcquireUserSlot} when the user is busy.
 */
export type TryUserSlot = (
  request: Pick<UserSlotRequest, 'user' | 'requestId' | 'signal'>,
) => Promise<HeldSlot | undefined>;

export interface AccountSelectionRequest extends WaitHooks {
  group: Group;
  /** The model the client asked for; accounts with a mapping must list it. */
  model: string;
  /** sha256 of the client's session identity, when it sent one (see `sessionHashOf`). */
  sessionHash?: string;
  /**
   * The sticky binding of `sessionHash`, prefetched with {@link LookupStickySession}; read on
   * demand when absent. Reuse the same promise across failover attempts of one request.
   */
  sticky?: Promise<StickySession | undefined>;
  /** Accounts that already failed for this request. */
  excluded: ReadonlySet<string>;
  /**
   * Accounts found deleted after the listing was read (their credentials were gone): left out as
   * if the listing had been read after, so when no other account is left the refusal says why
   * the rest cannot serve, or that none serves the group, as it would a moment later.
   */
  gone?: ReadonlySet<string>;
  requestId: string;
  /**
   * Called as a slot of `account` is about to be taken (or waited for), before the outcome is
   * known: the caller starts reading what it needs of that account (its credentials), so the
   * read shares the slot's round trip instead of following it.
   */
  willTake?: (account: ListedAccount) => void;
}

/**
 * What the instance's memory of a session (recent-sessions.ts) did for a selection with a session:
 * `hit` it guessed the account the binding named, `moved` it guessed another (the binding moved or
 * lapsed), `none` it had no guess to make.
 */
export type SessionGuess = 'hit' | 'moved' | 'none';

export interface SelectedAccount {
  /** As listed: without credentials. */
  account: ListedAccount;
  slot: HeldSlot;
  /** Set when the request carried a session (the gateway's metrics count it). */
  sessionGuess?: SessionGuess;
}

/**
 * Chooses an account and holds one of its slots: sticky account first if it has room, then the
 * lowest priority value, then least loaded, then least recently used; waits for the best one
 * when all are full. Throws {@link NoAccountsError} when no account can serve the model,
 * {@link QueueFullError} or {@link WaitTimedOutError} (`account`) when the account wait queue is
 * full or the wait times out.
 *
 * When the request carries a `sessionHash`, the session is bound to the chosen account once its
 * slot is won (written when new or due for refresh, in the background; the slot's `release`
 * awaits it), so the gateway does not call {@link BindStickySession} itself.
 */
export type SelectAccount = (request: AccountSelectionRequest) => Promise<SelectedAccount>;

/**
 * Remembers which account served a session for an hour. {@link SelectAccount} already binds; this
 * is for a caller that chose an account some other way.
 */
export type BindStickySession = (groupId: string, sessionHash: string, accountId: string) => Promise<void>;
