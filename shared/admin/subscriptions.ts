/**
 * Admin operations on subscriptions: a user's right to use a subscription-billed group until a
 * date, within the group's daily/weekly/monthly limits. One subscription per user and group; an
 * ended or cancelled one is reused when the user is assigned again.
 *
 * @example
 * ```ts
 * await assignSubscription(store, { userId: 'usr_…', groupId: 'pro', until: '2027-01-01' });
 * ```
 */
import type { Subscription } from '../domain/types.ts';
import type { ConfigAdmin, Stored, UpdateOptions } from '../store/config-admin.ts';
import { AdminError } from './admin-error.ts';
import { parseFutureTime, requireText } from './fields.ts';
import { getGroup } from './groups.ts';
import { getUser } from './users.ts';

export interface SubscriptionInput {
  userId: string;
  groupId: string;
  /** ISO date or time the subscription ends. */
  until: string;
}

/** Active means not cancelled and not yet ended. */
export function isSubscriptionActive(subscription: Subscription, now = new Date()): boolean {
  return subscription.status === 'active' && Date.parse(subscription.expiresAt) > now.getTime();
}

/**
 * Subscribes a user to a subscription-billed group until a date. Refused with `conflict` while
 * an active subscription exists (use {@link extendSubscription} to move its end).
 */
export async function assignSubscription(
  store: ConfigAdmin,
  input: SubscriptionInput,
): Promise<Stored<Subscription>> {
  const userId = requireText(input.userId, 'User id');
  const groupId = requireText(input.groupId, 'Group id');
  const expiresAt = parseFutureTime(input.until, 'End date', new Date());
  const [user, group] = await Promise.all([getUser(store, userId), getGroup(store, groupId)]);
  if (group.billingMode !== 'subscription') {
    throw AdminError.invalid(
      `Group ${group.id} bills by balance; subscriptions apply only to subscription groups.`,
    );
  }
  const ref = { userId: user.id, groupId: group.id };
  const existing = await store.get('subscription', ref);
  if (!existing) {
    return store.insert('subscription', {
      userId: user.id,
      groupId: group.id,
      status: 'active',
      expiresAt,
      createdAt: new Date().toISOString(),
    });
  }
  if (isSubscriptionActive(existing)) {
    throw AdminError.conflict(
      `User ${user.id} already has an active subscription to group ${group.id} until ${existing.expiresAt}; ` +
        'extend it or cancel it first.',
    );
  }
  return store.update(
    'subscription',
    ref,
    { status: 'active', expiresAt },
    { ifVersion: existing.version ?? 0 },
  );
}

/** Moves the end date of an existing subscription (and re-activates a cancelled one). */
export async function extendSubscription(
  store: ConfigAdmin,
  input: SubscriptionInput,
  options: UpdateOptions = {},
): Promise<Stored<Subscription>> {
  const userId = requireText(input.userId, 'User id');
  const groupId = requireText(input.groupId, 'Group id');
  const expiresAt = parseFutureTime(input.until, 'End date', new Date());
  return store.update('subscription', { userId, groupId }, { status: 'active', expiresAt }, options);
}

export async function listSubscriptions(
  store: ConfigAdmin,
  userId?: string,
): Promise<Stored<Subscription>[]> {
  const id = userId === undefined ? undefined : requireText(userId, 'User id');
  if (id !== undefined) await getUser(store, id);
  const subscriptions = await store.listSubscriptions(id);
  return subscriptions.sort((a, b) => a.userId.localeCompare(b.userId) || a.groupId.localeCompare(b.groupId));
}

/** Ends a subscription now; cancelling a cancelled one changes nothing. */
export async function cancelSubscription(
  store: ConfigAdmin,
  input: Pick<SubscriptionInput, 'userId' | 'groupId'>,
): Promise<Stored<Subscription>> {
  const ref = {
    userId: requireText(input.userId, 'User id'),
    groupId: requireText(input.groupId, 'Group id'),
  };
  const existing = await store.get('subscription', ref);
  if (!existing) throw AdminError.notFound(`User ${ref.userId} has no subscription to group ${ref.groupId}.`);
  if (existing.status === 'disabled') return existing;
  return store.update('subscription', ref, { status: 'disabled' }, { ifVersion: existing.version ?? 0 });
}
