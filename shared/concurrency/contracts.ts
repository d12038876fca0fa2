/**
 * The contracts between the gateway's request flow and the concurrency machinery (slot leases,
 * wait queues, sticky sessions, account selection). The request flow only sees these; the
 * DynamoDB-backed implementations live beside them.
 */
import type { Account, Group, User } from '../domain/types.ts';

/** A held slot; `release` is idempotent and never throws. */
export interface HeldSlot {
  release(): Promise<void>;
}

export interface WaitHooks {
  /** Aborts the wait (client gone, deadline near). */
  signal?: AbortSignal;
  /** Called when the request starts waiting and then every ping interval while it waits. */
  onWaiting?: () => void | Promise<void>;
}

export interface UserSlotRequest extends WaitHooks {
  user: User;
  requestId: string;
}

/**
 * Holds a slot of the user's concurrency for the request, waiting in the user's bounded queue.
 * Throws GatewayError 429 "Too many pending requests, please retry later" when the queue is full
 * and 429 "Concurrency limit exceeded for user, please retry later" when the wait times out.
 */
export type AcquireUserSlot = (request: UserSlotRequest) => Promise<HeldSlot>;

export interface AccountSelectionRequest extends WaitHooks {
  group: Group;
  /** The model the client asked for; accounts with a mapping must list it. */
  model: string;
  /** sha256 of the client's session identity, when it sent one. */
  sessionHash?: string;
  /** Accounts that already failed for this request. */
  excluded: ReadonlySet<string>;
  requestId: string;
}

export interface SelectedAccount {
  account: Account;
  slot: HeldSlot;
}

/**
 * Chooses an account and holds one of its slots: sticky account first if it has room, then the
 * lowest priority value, then least loaded, then least recently used; waits for the best one
 * when all are full. Throws GatewayError 503 when no account can serve the model, 429 when the
 * account wait queue is full or the wait times out.
 */
export type SelectAccount = (request: AccountSelectionRequest) => Promise<SelectedAccount>;

/** Remembers which account served a session; called once the account's slot is won. */
export type BindStickySession = (groupId: string, sessionHash: string, accountId: string) => Promise<void>;
