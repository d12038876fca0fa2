/**
 * The listings of {@link ConfigAdmin} on the Config table: what the admin store reads many items
 * at once with, apart from its per-entity writes (`config-admin.ts`), which change one item each.
 *
 * Listing goes through the `listing` index (users, groups, accounts, keys of a user), whose
 * entries name the items, which are then read whole (the index leaves out balances, spend and
 * credentials, which change per request or must not be copied). Two admin look-ups go
 * through every user instead, one small Query each, which is fine for an operation a person runs
 * by hand: finding a key by its public id (the item key is the hash of the secret) and listing
 * every user's subscriptions. Nothing Scans the table, so the admin role has no Scan.
 *
 * @example
 * ```ts
 * const listings = new DynamoConfigListings(documentClient(), 'quotagate-local-config');
 * const accounts = await listings.listAccounts(); // whole items, credentials sealed
 * ```
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Account, ApiKey, Group, Subscription, User } from '../../domain/types.ts';
import { keys, LIST } from '../../tables/keys.ts';
import type { ConfigAdmin, Stored } from '../config-admin.ts';
import { entityOf, listingQuery } from './config-items.ts';
import { readListedItems } from './listed-items.ts';
import { queryAll } from './query-pages.ts';
import { DynamoTableStore } from './table-store.ts';

/** Users whose keys or subscriptions are read at once when looking through all of them. */
const PER_USER_PARALLEL = 16;

export class DynamoConfigListings
  extends DynamoTableStore
  implements
    Pick<ConfigAdmin, 'listUsers' | 'listGroups' | 'listAccounts' | 'listApiKeys' | 'listSubscriptions'>
{
  listUsers(): Promise<Stored<User>[]> {
    return this.#listed(LIST.users);
  }

  listGroups(): Promise<Stored<Group>[]> {
    return this.#listed(LIST.groups);
  }

  listAccounts(): Promise<Stored<Account>[]> {
    return this.#listed(LIST.accounts);
  }

  listApiKeys(userId: string): Promise<Stored<ApiKey>[]> {
    return this.#listed(LIST.keysOf(userId));
  }

  /**
   * The listing entry of the key with this public id, if any. The index lags a moment behind a
   * write, so callers read the item it names consistently before answering with it.
   */
  async listedApiKey(id: string): Promise<Stored<ApiKey> | undefined> {
    // Each user's key listing, asked for exactly this id: small queries, no Scan.
    const found = await this.#perUser((userId) =>
      this.#query<ApiKey>(listingQuery(LIST.keysOf(userId), { id })),
    );
    return found[0];
  }

  listSubscriptions(userId?: string): Promise<Stored<Subscription>[]> {
    if (userId === undefined) return this.#perUser((id) => this.listSubscriptions(id));
    const { pk, skPrefix } = keys.subscriptionPrefix(userId);
    return this.#query<Subscription>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    });
  }

  /**
   * `read` for every user (listed through `listing`; users are archived, never deleted), a few at a
   * time, in the listing's order. What a Scan did, with Query only: the admin role needs no Scan.
   */
  async #perUser<T>(read: (userId: string) => Promise<T[]>): Promise<T[]> {
    const userIds = (
      await queryAll(this.client, {
        TableName: this.table,
        ...listingQuery(LIST.users, { projection: 'gsi1sk' }),
      })
    ).map((item) => item.gsi1sk as string);
    const results: T[][] = [];
    for (let start = 0; start < userIds.length; start += PER_USER_PARALLEL) {
      results.push(...(await Promise.all(userIds.slice(start, start + PER_USER_PARALLEL).map(read))));
    }
    return results.flat();
  }

  /**
   * The items of a listing, whole and in its order: the index names them (its entries hold no
   * balance, spend, marker or credential), consistent batch reads read them. An entry whose item
   * was deleted meanwhile is left out.
   */
  async #listed<T>(listKey: string): Promise<Stored<T>[]> {
    const entries = await queryAll(this.client, {
      TableName: this.table,
      ...listingQuery(listKey, { projection: 'pk, sk' }),
    });
    const items = await readListedItems(this.client, this.table, entries);
    return items.map((item) => entityOf<Stored<T>>(item) as Stored<T>);
  }

  async #query<T>(input: Omit<QueryCommandInput, 'TableName'>): Promise<Stored<T>[]> {
    const items = await queryAll(this.client, { ...input, TableName: this.table });
    return items.map((item) => entityOf<Stored<T>>(item) as Stored<T>);
  }
}
