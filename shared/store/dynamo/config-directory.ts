/**
 * The Config table read by the gateway and the recorder ({@link ConfigDirectory}), the fresh
 * billing reads of the gateway ({@link BillingStateReader}: one consistent BatchGetItem), and the
 * account-health writes the gateway makes ({@link AccountHealthWriter}).
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  Account,
  AccountHealth,
  ApiKey,
  Group,
  RequestDefaults,
  Subscription,
  User,
} from '../../domain/types.ts';
import { openAccount } from '../../secrets/account-credentials.ts';
import { secretSealer } from '../../secrets/default-sealer.ts';
import type { SecretSealer } from '../../secrets/secret-sealer.ts';
import { keys, LIST } from '../../tables/keys.ts';
import type {
  AccountHealthWriter,
  BillingState,
  BillingStateReader,
  CallerRecords,
  ConfigDirectory,
} from '../config-directory.ts';
import { batchGetItems, itemKeyId } from './batch-get.ts';
import { entityOf } from './config-items.ts';
import { queryAll } from './query-pages.ts';

export class DynamoConfigDirectory implements ConfigDirectory, AccountHealthWriter, BillingStateReader {
  /** `sealer` opens the sealed credentials of listed accounts (default: the process's). */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sealer: () => SecretSealer = secretSealer,
  ) {}

  private async get<T>(key: { pk: string; sk: string }, consistent = false): Promise<T | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: key,
        ...(consistent ? { ConsistentRead: true } : {}),
      }),
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
    const found = await batchGetItems(this.client, this.tableName, Object.values(wanted), {
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
    const found = await batchGetItems(this.client, this.tableName, Object.values(wanted), {
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

  async listAccounts(): Promise<Account[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :kind',
      ExpressionAttributeValues: { ':kind': LIST.accounts },
    });
    const accounts: Promise<Account>[] = [];
    for (const item of items) {
      const account = entityOf<Account>(item);
      if (account)
        accounts.push(openAccount(this.sealer(), { ...account, health: account.health ?? { state: 'ok' } }));
    }
    return Promise.all(accounts);
  }

  async setHealth(accountId: string, health: AccountHealth): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.account(accountId),
        UpdateExpression: 'SET health = :health',
        // Never resurrect an account an admin deleted meanwhile.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':health': health },
      }),
    );
  }
}
