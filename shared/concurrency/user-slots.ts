/**
 * The user's concurrency (docs/architecture.md, request step 4): a slot among `user.concurrency` leases, or a
 * place in the user's wait queue of `concurrency + 20` tickets for up to `userWaitSeconds`.
 *
 * Warm and uncontended this is one DynamoDB request (a blind Put on a random index) and one more
 * at release; a user with concurrency 0 (unlimited) costs none.
 *
 * @example
 * ```ts
 * const slot = await acquireUserSlot({ user, requestId, signal, onWaiting: () => stream.ping() });
 * try { … } finally { await slot.release(); }
 * ```
 */
import { QueueFullError, WaitTimedOutError } from '../domain/errors.ts';
import type { AcquireUserSlot, TryUserSlot } from './contracts.ts';
import { UNLIMITED_SLOT } from './lease.ts';
import type { LeasePools } from './lease-pools.ts';

/** Requests a user may have waiting beyond its concurrency, so a burst waits instead of failing at once. */
export const USER_EXTRA_WAITING = 20;

export interface UserSlotSettings {
  userWaitSeconds: number;
  pingIntervalSeconds: number;
}

/** {@link TryUserSlot}: one blind Put, which is all an uncontended user's slot costs anyway. */
export function createUserSlotTrier(pools: LeasePools): TryUserSlot {
  return async ({ user, requestId, signal }) => {
    signal?.throwIfAborted();
    if (!(user.concurrency > 0)) return UNLIMITED_SLOT;
    const pool = { kind: 'slot', scope: 'user', id: user.id } as const;
    return pools.acquire(pool, user.concurrency, requestId, { blind: true, reads: 0, signal });
  };
}

export function createUserSlotAcquirer(pools: LeasePools, settings: UserSlotSettings): AcquireUserSlot {
  return async ({ user, requestId, signal, onWaiting }) => {
    signal?.throwIfAborted();
    if (!(user.concurrency > 0)) return UNLIMITED_SLOT;
    const pool = { kind: 'slot', scope: 'user', id: user.id } as const;
    const held = await pools.acquire(pool, user.concurrency, requestId, { blind: true, signal });
    if (held) return held;
    return pools.wait({
      pool,
      limit: user.concurrency,
      holder: requestId,
      maxWaiting: user.concurrency + USER_EXTRA_WAITING,
      waitSeconds: settings.userWaitSeconds,
      pingIntervalSeconds: settings.pingIntervalSeconds,
      signal,
      onWaiting,
      queueFull: () => new QueueFullError('user'),
      timedOut: () => new WaitTimedOutError('user'),
    });
  };
}
