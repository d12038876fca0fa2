/**
 * How each Config entity is laid out as a DynamoDB item: its key, its listing key (`gsi1pk` /
 * `gsi1sk`, which the `listing` index lists by; written by `listedItem`, read back by
 * `listingQuery`) and a `kind` attribute that makes an export self-describing. Readers and admin
 * writers both use these functions, so an entity has exactly one item format.
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Account, ApiKey, Group, Subscription, User } from '../../domain/types.ts';
import { CONFIG_LIST_INDEX } from '../../tables/definitions.ts';
import { type ItemKey, keys, LIST } from '../../tables/keys.ts';

export type Item = Record<string, unknown>;

/**
 * The account attribute every write of its `credentials` increments (creation sets 1): the
 * listing carries it, so the gateway's opened credentials are re-read exactly when they changed.
 */
export const CREDENTIALS_VERSION = 'credentialsVersion';

/** The SET clause that bumps {@link CREDENTIALS_VERSION}; needs `:zero` = 0 and `:one` = 1. */
export const BUMP_CREDENTIALS_VERSION = `#credentialsVersion = if_not_exists(#credentialsVersion, :zero) + :one`;
export const CREDENTIALS_VERSION_NAMES = { '#credentialsVersion': CREDENTIALS_VERSION } as const;

// `usageMarks` is the recorder's per-request marker set on charged items (see usage-ledger.ts),
// `moneyMarks` the same for admin top-ups given an idempotency key (balance-operations.ts);
// `credentialsVersion` is read only by the gateway's listing (config-directory.ts).
const KEY_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'kind',
  'usageMarks',
  'moneyMarks',
  'credentialsVersion',
] as const;

/**
 * The Query of one listing (`LIST.*`) on the listing index, in `gsi1sk` order: the whole listing,
 * or with `id` the one entry listed under that id; `projection` names the attributes read, else
 * the index's own are.
 *
 * @example
 * ```ts
 * await queryAll(client, { TableName: table, ...listingQuery(LIST.keysOf(userId), { projection: 'gsi1sk' }) });
 * ```
 */
export function listingQuery(
  list: string,
  options: { id?: string; projection?: string } = {},
): Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'> {
  const { id, projection } = options;
  return {
    IndexName: CONFIG_LIST_INDEX,
    KeyConditionExpression: id === undefined ? 'gsi1pk = :list' : 'gsi1pk = :list AND gsi1sk = :id',
    ExpressionAttributeValues: id === undefined ? { ':list': list } : { ':list': list, ':id': id },
    ...(projection === undefined ? {} : { ProjectionExpression: projection }),
  };
}

/** The item's {@link CREDENTIALS_VERSION}; 0 for an item written before it existed. */
export function credentialsVersionOf(item: Item): number {
  const version = item[CREDENTIALS_VERSION];
  return typeof version === 'number' ? version : 0;
}

/** Removes the storage attributes, leaving the entity. */
export function entityOf<T>(item: Item | undefined): T | undefined {
  if (!item) return undefined;
  const entity: Item = { ...item };
  for (const attribute of KEY_ATTRIBUTES) delete entity[attribute];
  return entity as T;
}

/**
 * The item of an entity that a listing names: its key, its entry in the listing (`gsi1pk` /
 * `gsi1sk`, what {@link listingQuery} reads) and its kind, then the entity's own fields.
 */
export function listedItem(
  key: ItemKey,
  listing: { list: string; id: string },
  kind: string,
  entity: object,
): Item {
  return { ...key, gsi1pk: listing.list, gsi1sk: listing.id, kind, ...entity };
}

export const configItems = {
  user: (user: User): Item => listedItem(keys.user(user.id), { list: LIST.users, id: user.id }, 'user', user),
  apiKey: (key: ApiKey): Item =>
    listedItem(keys.apiKey(key.hash), { list: LIST.keysOf(key.userId), id: key.id }, 'apiKey', key),
  group: (group: Group): Item =>
    listedItem(keys.group(group.id), { list: LIST.groups, id: group.id }, 'group', group),
  account: (account: Account): Item =>
    listedItem(keys.account(account.id), { list: LIST.accounts, id: account.id }, 'account', {
      [CREDENTIALS_VERSION]: 1,
      ...account,
    }),
  subscription: (subscription: Subscription): Item => ({
    ...keys.subscription(subscription.userId, subscription.groupId),
    kind: 'subscription',
    ...subscription,
  }),
};
