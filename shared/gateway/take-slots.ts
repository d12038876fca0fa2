/**
 * The user's slot and the first account's slot taken in one round trip: uncontended, both are a
 * single conditional Put, and neither needs the other's answer. A user at its limit must not hold
 * an account slot while it queues, so when the user's one attempt loses, the account's slot goes
 * back and the request waits for its own slot first, then selects again.
 *
 * @example
 * ```ts
 * const { user, first } = await takeSlots(deps, { user: caller.user, requestId, signal, onWaiting }, () =>
 *   deps.selectAccount({ … }),
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
  select: () => Promise<SelectedAccount>,
): Promise<{ user: HeldSlot; first: FirstSelection | undefined }> {
  const [user, selection] = await Promise.all([settle(deps.tryUserSlot(request)), settle(select())]);
  const first: FirstSelection = selection.ok
    ? { ok: true, selected: selection.value }
    : { ok: false, error: selection.error };
  if (user.ok && user.value) return { user: user.value, first };
  if (first.ok) await first.selected.slot.release();
  if (!user.ok) throw user.error;
  return { user: await deps.acquireUserSlot(request), first: undefined };
}
