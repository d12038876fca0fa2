/**
 * The Config table read by the gateway and the recorder ({@link ConfigDirectory}), the fresh
 * billing reads of the gateway ({@link BillingStateReader}: one consistent BatchGetItem), an
 * account's credentials by key ({@link AccountCredentialsReader}: the listing never holds them),
 * and the account-health writes the gateway makes ({@link AccountHealthWriter}).
 */

import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  Account,
  AccountHealth,
  ApiKey,
  Group,
  ListedAccount,
  RequestDefaults,
  Subscription,
  User,
} from '../../domain/types.ts';
import { openCredentials } from '../../secrets/account-credentials.ts';
import { keys, LIST } from '../../tables/keys.ts';
import type {
  AccountCredentialsReader,
  AccountHealthWriter,
  BillingState,
  BillingStateReader,
  CallerRecords,
  ConfigDirectory,
  StoredCredentials,
} from '../config-directory.ts';
import { batchGetItems, itemKeyId, readRequesterOf } from './batch-get.ts';
import { GetCommand, UpdateCommand } from './commands.ts';
import { CREDENTIALS_VERSION, credentialsVersionOf, entityOf, listingQuery } from './config-items.ts';
import { documentItemOf } from './item-forms.ts';
import type { AttributeMap } from './json-protocol.ts';
import { queryAll, queryAllTyped } from './query-pages.ts';
import { DynamoSealingStore } from './sealing-store.ts';

export class DynamoConfigDirectory
  extends DynamoSealingStore
  implements ConfigDirectory, AccountCredentialsReader, AccountHealthWriter, BillingStateReader
{
  private async get<T>(key: { pk: string; sk: string }, consistent = false): Promise<T | undefined> {
    const consistency = consistent ? { ConsistentRead: true } : {};
    const requester = readRequesterOf(this.client);
    if (requester) {
      const { Item } = await requester.request('GetItem', {
        TableName: this.table,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        ...consistency,
      });
      return entityOf<T>(Item ? documentItemOf(Item) : undefined);
    }
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: key, ...consistency }),
    );
    return entityOf<T>(Item);
  }

  /** Strongly consistent, like {@link getCallerRecords}: a cold read is also the fresh billing read. */
  findApiKey(hash: string): Promise<ApiKey | undefined> {
    return this.get<ApiKey>(keys.apiKey(hash), true);
  }

  getUser(id: string): Promise<User | undefined> {
    return this.get<User>(keys.user(id));
  }

  getGroup(id: string): Promise<Group | undefined> {
    return this.get<Group>(keys.group(id));
  }

  getSubscription(userId: string, groupId: string): Promise<Subscription | undefined> {
    return this.get<Subscription>(keys.subscription(userId, groupId));
  }

  /**
   * Key, user and (when a group is given) subscription in one strongly consistent BatchGetItem.
   * Keys DynamoDB still leaves unprocessed after the batch's retries make it throw, and the
   * caller falls back to what it has.
   */
  async readBillingState(
    keyHash: string,
    userId: string,
    subscriptionGroupId?: string,
  ): Promise<BillingState> {
    const wanted = {
      key: keys.apiKey(keyHash),
      user: keys.user(userId),
      ...(subscriptionGroupId === undefined
        ? {}
        : { subscription: keys.subscription(userId, subscriptionGroupId) }),
    };
    const found = await batchGetItems(this.client, this.table, Object.values(wanted), {
      consistentRead: true,
    });
    const itemOf = <T>(key: { pk: string; sk: string } | undefined) =>
      key ? entityOf<T>(found.get(itemKeyId(key))) : undefined;
    return {
      key: itemOf<ApiKey>(wanted.key),
      user: itemOf<User>(wanted.user),
      subscription: itemOf<Subscription>(wanted.subscription),
    };
  }

  async getRequestDefaults(): Promise<RequestDefaults> {
    return (await this.get<RequestDefaults>(keys.requestDefaults())) ?? {};
  }

  async getCallerRecords(userId: string, groupId: string): Promise<CallerRecords> {
    const wanted = {
      user: keys.user(userId),
      group: keys.group(groupId),
      subscription: keys.subscription(userId, groupId),
      requestDefaults: keys.requestDefaults(),
    };
    // Strongly consistent: the gateway checks limits on these when its cache was cold, with no
    // second read (see readBillingState).
    const found = await batchGetItems(this.client, this.table, Object.values(wanted), {
      consistentRead: true,
    });
    const of = <T>(key: { pk: string; sk: string }) => entityOf<T>(found.get(itemKeyId(key)));
    return {
      user: of<User>(wanted.user),
      group: of<Group>(wanted.group),
      subscription: of<Subscription>(wanted.subscription),
      requestDefaults: of<RequestDefaults>(wanted.requestDefaults) ?? {},
    };
  }

  async listAccounts(): Promise<ListedAccount[]> {
    const query = { TableName: this.table, ...listingQuery(LIST.accounts) };
    const requester = readRequesterOf(this.client);
    const items = requester
      ? (
          await queryAllTyped(requester, {
            TableName: this.table,
            IndexName: query.IndexName,
            KeyConditionExpression: String(query.KeyConditionExpression),
            ExpressionAttributeValues: marshall(query.ExpressionAttributeValues ?? {}) as AttributeMap,
          })
        ).map(documentItemOf)
      : await queryAll(this.client, query);
    return items.map((item) => {
      const account = entityOf<ListedAccount>(item) as ListedAccount;
      return {
        ...account,
        health: account.health ?? { state: 'ok' },
        credentialsVersion: credentialsVersionOf(item),
      };
    });
  }

  /**
   * A consistent read of the account's sealed credentials and their version, through
   * {@link batchGetItems}: on the gateway that is its JSON client, in the round trip of the
   * caller's records when a new instance reads its group's accounts ahead, else in the wave of
   * the slot take.
   */
  async readCredentials(accountId: string): Promise<StoredCredentials | undefined> {
    const key = keys.account(accountId);
    const found = await batchGetItems(this.client, this.table, [key], {
      consistentRead: true,
      attributes: ['credentials', CREDENTIALS_VERSION],
    });
    const item = found.get(itemKeyId(key));
    if (!item) return undefined;
    return {
      sealed: item.credentials as Record<string, unknown> | undefined,
      version: credentialsVersionOf(item),
    };
  }

  openCredentials(accountId: string, stored: StoredCredentials): Promise<Account['credentials']> {
    return openCredentials(this.sealer(), accountId, stored.sealed);
  }

  async setHealth(accountId: string, health: AccountHealth): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.account(accountId),
        UpdateExpression: 'SET health = :health',
        // Never resurrect an account an admin deleted meanwhile.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':health': health },
      }),
    );
  }
}
