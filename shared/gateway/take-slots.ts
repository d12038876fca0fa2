/**
 * The user's slot, the first account's slot and the key's request allowance (its per-minute
 * counter, `key-rate-limit.ts`) taken in one round trip: uncontended, each is a single conditional
 * write, and none needs another's answer. A request refused its allowance gives back the slots it
 * won and never queues. A user at its limit must not hold
 * an account slot while it queues, so when the user's one attempt loses, the account's slot goes
 * back and the request waits for its own slot first, then selects again. Nor may it hold a place
 * in the account's wait queue: the first selection is aborted as soon as the user's attempt loses,
 * so a burst of one user's requests cannot fill the account's queue and refuse the requests that
 * do hold a user slot.
 *
 * @example
 * ```ts
 * const { user, first } = await takeSlots(deps, { user: caller.user, requestId, signal, onWaiting }, (userLost) =>
 *   deps.selectAccount({ …, signal: AbortSignal.any([signal, userLost]) }),
 * );
 * ```
 */
import type { HeldSlot, SelectedAccount, UserSlotRequest } from '../concurrency/contracts.ts';
import type { GatewayDeps } from './deps.ts';

/** How the first account selection ended: its slot, or the error it threw (the caller maps it). */
export type FirstSelection = { ok: true; selected: SelectedAccount } | { ok: false; error: unknown };

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

const settle = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

export async function takeSlots(
  deps: Pick<GatewayDeps, 'tryUserSlot' | 'acquireUserSlot'>,
  request: UserSlotRequest,
  /** The first selection; `userLost` aborts when the user's attempt lost (its result is dropped then). */
  select: (userLost: AbortSignal) => Promise<SelectedAccount>,
  allowance: Promise<void> = Promise.resolve(),
): Promise<{ user: HeldSlot; first: FirstSelection | undefined }> {
  const userLost = new AbortController();
  const userTry = settle(deps.tryUserSlot(request)).then((settled) => {
    if (!(settled.ok && settled.value)) userLost.abort(new Error('the user slot was not free'));
    return settled;
  });
  const [user, selection, allowed] = await Promise.all([
    userTry,
    settle(select(userLost.signal)),
    settle(allowance),
  ]);
  const first: FirstSelection = selection.ok
    ? { ok: true, selected: selection.value }
    : { ok: false, error: selection.error };
  if (!allowed.ok) {
    await Promise.allSettled([
      ...(user.ok && user.value ? [user.value.release()] : []),
      ...(first.ok ? [first.selected.slot.release()] : []),
    ]);
    throw allowed.error;
  }
  if (user.ok && user.value) return { user: user.value, first };
  if (first.ok) await first.selected.slot.release();
  if (!user.ok) throw user.error;
  return { user: await deps.acquireUserSlot(request), first: undefined };
}
