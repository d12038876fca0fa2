/**
 * {@link OAuthAccountStore} on the Config table. Token writes are targeted UpdateItems on the
 * account item (`SET credentials.accessToken = …`), never a Put: the admin's fields, its `version`
 * and the gateway's health and last-use writes are left as they are. Like the gateway's health
 * writes, a refresh does not bump `version`: it is operational state, not an admin edit, and
 * bumping it would make a concurrent admin edit fail for no reason.
 *
 * Every write is conditioned on the refresh token that was spent still being the stored one. That
 * is what keeps a slow or superseded refresher from overwriting newer credentials (an admin's, or
 * another refresher's after a lease expired), and from counting its failure against them.
 *
 * @example
 * ```ts
 * const store = new DynamoOAuthAccountStore(documentClient(), settings.tables.config);
 * const account = await store.getAccount('acc_1');
 * ```
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Account } from '../../domain/types.ts';
import type { OAuthAccountStore, RefreshedCredentials, RefreshFailure } from '../../oauth/contracts.ts';
import { keys } from '../../tables/keys.ts';
import { isConditionFailure } from './condition-failure.ts';
import { DynamoConfigDirectory } from './config-directory.ts';
import { entityOf } from './config-items.ts';

const NAMES = {
  '#credentials': 'credentials',
  '#refreshToken': 'refreshToken',
  '#failures': 'refreshFailures',
  '#error': 'refreshError',
} as const;

export class DynamoOAuthAccountStore implements OAuthAccountStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #directory: DynamoConfigDirectory;

  constructor(client: DynamoDBDocumentClient, configTableName: string) {
    this.#client = client;
    this.#tableName = configTableName;
    this.#directory = new DynamoConfigDirectory(client, configTableName);
  }

  async getAccount(accountId: string): Promise<Account | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.account(accountId), ConsistentRead: true }),
    );
    const account = entityOf<Account>(Item);
    return account && { ...account, health: account.health ?? { state: 'ok' } };
  }

  listAccounts(): Promise<Account[]> {
    return this.#directory.listAccounts();
  }

  async saveRefreshed(
    accountId: string,
    spentRefreshToken: string,
    credentials: RefreshedCredentials,
  ): Promise<Account | undefined> {
    const names: Record<string, string> = {
      ...NAMES,
      '#accessToken': 'accessToken',
      '#expiresAt': 'expiresAt',
      '#refreshedAt': 'tokenRefreshedAt',
    };
    const values: Record<string, unknown> = {
      ':accessToken': credentials.accessToken,
      ':refreshToken': credentials.refreshToken,
      ':spent': spentRefreshToken,
      ':refreshedAt': credentials.refreshedAt,
    };
    const sets = [
      '#credentials.#accessToken = :accessToken',
      '#credentials.#refreshToken = :refreshToken',
      '#refreshedAt = :refreshedAt',
    ];
    const removes = ['#failures', '#error'];
    if (credentials.expiresAt === undefined) removes.push('#credentials.#expiresAt');
    else {
      sets.push('#credentials.#expiresAt = :expiresAt');
      values[':expiresAt'] = credentials.expiresAt;
    }
    if (credentials.chatgptAccountId !== undefined) {
      names['#accountId'] = 'chatgptAccountId';
      values[':accountId'] = credentials.chatgptAccountId;
      sets.push('#credentials.#accountId = if_not_exists(#credentials.#accountId, :accountId)');
    }
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.account(accountId),
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND #credentials.#refreshToken = :spent',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return entityOf<Account>(Attributes);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async recordFailure(
    accountId: string,
    spentRefreshToken: string | undefined,
    failure: RefreshFailure,
  ): Promise<boolean> {
    const values: Record<string, unknown> = { ':reason': failure.reason };
    let update: string;
    if (failure.health) {
      values[':health'] = failure.health;
      update = 'SET health = :health, #error = :reason REMOVE #failures';
    } else {
      values[':failures'] = failure.failures;
      update = 'SET #failures = :failures, #error = :reason';
    }
    let condition = 'attribute_exists(pk)';
    if (spentRefreshToken === undefined) condition += ' AND attribute_not_exists(#credentials.#refreshToken)';
    else {
      condition += ' AND #credentials.#refreshToken = :spent';
      values[':spent'] = spentRefreshToken;
    }
    // The count read before must still be the count: two refreshers never add up one failure twice.
    if (failure.previousFailures === 0) condition += ' AND attribute_not_exists(#failures)';
    else {
      condition += ' AND #failures = :previous';
      values[':previous'] = failure.previousFailures;
    }
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.account(accountId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
