/**
 * Numbered leases: the concurrency slots of a user or an account and the tickets of their wait
 * queues. A lease is taken only if it is free or expired, renewed while its request runs and
 * released on a condition on its holder, so a crashed holder frees its slot within one lease
 * period. The DynamoDB implementation is `shared/store/dynamo/slot-store.ts`.
 *
 * @example
 * ```ts
 * const pool: LeasePool = { kind: 'slot', scope: 'user', id: 'u_1' };
 * if (await store.take(pool, 0, requestId, nowSeconds + 90, nowSeconds)) {
 *   await store.release(pool, 0, requestId);
 * }
 * ```
 */
import type { SlotScope } from '../tables/keys.ts';

/** `slot` leases hold concurrency; `wait` leases are wait-queue tickets. */
export type LeaseKind = 'slot' | 'wait';

/** A set of numbered leases: the slots of one user or account, or the tickets of its wait queue. */
export interface LeasePool {
  readonly kind: LeaseKind;
  readonly scope: SlotScope;
  readonly id: string;
}

/** A lease whose `expiresAt` (epoch seconds, inclusive) has not passed. */
export interface LiveLease {
  index: number;
  holder: string;
  expiresAt: number;
}

/** Takes, renews, releases and counts the numbered leases of a pool; every write is conditional. */
export interface SlotStore {
  /**
   * Takes lease `index` for `holder` until `expiresAt` if it is absent or expired at `nowSeconds`.
   * Resolves false when another holder has it.
   */
  take(
    pool: LeasePool,
    index: number,
    holder: string,
    expiresAt: number,
    nowSeconds: number,
  ): Promise<boolean>;
  /** Extends a lease `holder` still has; false when it was lost (expired and taken by another). */
  renew(pool: LeasePool, index: number, holder: string, expiresAt: number): Promise<boolean>;
  /** Deletes the lease if `holder` still has it; a lease already lost is left to its new holder. */
  release(pool: LeasePool, index: number, holder: string): Promise<void>;
  /** The pool's live leases, read with ConsistentRead so a just-released index shows as free. */
  live(pool: LeasePool, nowSeconds: number): Promise<LiveLease[]>;
}
