/**
 * How each Config entity is laid out as a DynamoDB item: its key, its `gsi1` listing key and a
 * `kind` attribute that makes an export self-describing. Readers and admin writers both use
 * these functions, so an entity has exactly one item format.
 */
import type { Account, ApiKey, Group, Subscription, User } from '../../domain/types.ts';
import { keys, LIST } from '../../tables/keys.ts';

export type Item = Record<string, unknown>;

// `usageMarks` is the recorder's per-request marker set on charged items (see usage-ledger.ts),
// `moneyMarks` the same for admin top-ups given an idempotency key (balance-operations.ts).
const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'kind', 'usageMarks', 'moneyMarks'] as const;

/** Removes the storage attributes, leaving the entity. */
export function entityOf<T>(item: Item | undefined): T | undefined {
  if (!item) return undefined;
  const entity: Item = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete entity[attribute];
  return entity as T;
}

export const configItems = {
  user: (user: User): Item => ({
    ...keys.user(user.id),
    gsi1pk: LIST.users,
    gsi1sk: user.id,
    kind: 'user',
    ...user,
  }),
  apiKey: (key: ApiKey): Item => ({
    ...keys.apiKey(key.hash),
    gsi1pk: LIST.keysOf(key.userId),
    gsi1sk: key.id,
    kind: 'apiKey',
    ...key,
  }),
  group: (group: Group): Item => ({
    ...keys.group(group.id),
    gsi1pk: LIST.groups,
    gsi1sk: group.id,
    kind: 'group',
    ...group,
  }),
  account: (account: Account): Item => ({
    ...keys.account(account.id),
    gsi1pk: LIST.accounts,
    gsi1sk: account.id,
    kind: 'account',
    ...account,
  }),
  subscription: (subscription: Subscription): Item => ({
    ...keys.subscription(subscription.userId, subscription.groupId),
    kind: 'subscription',
    ...subscription,
  }),
};
