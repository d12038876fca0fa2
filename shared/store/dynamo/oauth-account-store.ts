/**
 * {@link OAuthAccountStore} on the Config table. Token writes are targeted UpdateItems on the
 * account item (`SET credentials.accessToken = …`), never a Put: the admin's fields, its `version`
 * and the gateway's health and last-use writes are left as they are. Like the gateway's health
 * writes, a refresh does not bump `version`: it is operational state, not an admin edit, and
 * bumping it would make a concurrent admin edit fail for no reason.
 *
 * Every write is conditioned on the refresh token that was spent still being the stored one. That
 * is what keeps a slow or superseded refresher from overwriting newer credentials (an admin's, or
 * another refresher's after a lease expired), and from counting its failure against them. Tokens
 * are stored sealed (`secrets/account-credentials.ts`), so the condition compares the refresh
 * token's fingerprint — or, for an item written before sealing, the plain token.
 *
 * @example
 * ```ts
 * const store = new DynamoOAuthAccountStore(documentClient(), settings.tables.config);
 * const account = await store.getAccount('acc_1');
 * ```
 */

import type { Account } from '../../domain/types.ts';
import {
  openAccount,
  REFRESH_TOKEN_FINGERPRINT,
  refreshTokenFingerprint,
  sealCredentials,
} from '../../secrets/account-credentials.ts';
import type { SecretSealer } from '../../secrets/secret-sealer.ts';
import { keys } from '../../tables/keys.ts';
import type { OAuthAccountStore, RefreshedCredentials, RefreshFailure } from '../oauth-accounts.ts';
import { GetCommand, UpdateCommand } from './commands.ts';
import { conditionHeld, whenConditionHeld } from './condition-failure.ts';
import { DynamoConfigDirectory } from './config-directory.ts';
import { BUMP_CREDENTIALS_VERSION, CREDENTIALS_VERSION_NAMES, entityOf } from './config-items.ts';
import type { DocumentClient } from './document-client.ts';
import { DynamoSealingStore } from './sealing-store.ts';
import { updateExpressionOf } from './versioned-update.ts';

const NAMES = {
  '#credentials': 'credentials',
  '#refreshToken': 'refreshToken',
  '#failures': 'refreshFailures',
  '#error': 'refreshError',
} as const;

/** The refresh token spent is still the stored one: by fingerprint, or plain on an item not yet sealed. */
const SPENT_IS_STORED =
  '(#credentials.#fingerprint = :spentFingerprint OR #credentials.#refreshToken = :spent)';

export class DynamoOAuthAccountStore extends DynamoSealingStore implements OAuthAccountStore {
  readonly #directory: DynamoConfigDirectory;

  constructor(client: DocumentClient, configTableName: string, sealer?: () => SecretSealer) {
    super(client, configTableName, sealer);
    this.#directory = new DynamoConfigDirectory(client, configTableName, this.sealer);
  }

  async getAccount(accountId: string): Promise<Account | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: keys.account(accountId), ConsistentRead: true }),
    );
    const account = entityOf<Account>(Item);
    return account && openAccount(this.sealer(), { ...account, health: account.health ?? { state: 'ok' } });
  }

  /** The listing names the OAuth accounts; each is then read whole, as the listing holds no credentials. */
  async listAccounts(): Promise<Account[]> {
    const listed = (await this.#directory.listAccounts()).filter((account) => account.type === 'oauth');
    const read = await Promise.all(listed.map((account) => this.getAccount(account.id)));
    return read.filter((account) => account !== undefined);
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
      '#fingerprint': REFRESH_TOKEN_FINGERPRINT,
      ...CREDENTIALS_VERSION_NAMES,
    };
    const sealed = await sealCredentials(this.sealer(), accountId, {
      accessToken: credentials.accessToken,
      refreshToken: credentials.refreshToken,
    });
    const values: Record<string, unknown> = {
      ':accessToken': sealed.accessToken,
      ':refreshToken': sealed.refreshToken,
      ':newFingerprint': sealed[REFRESH_TOKEN_FINGERPRINT],
      ':spent': spentRefreshToken,
      ':spentFingerprint': refreshTokenFingerprint(spentRefreshToken),
      ':refreshedAt': credentials.refreshedAt,
      ':zero': 0,
      ':one': 1,
    };
    // The new version in the listing is how every gateway instance learns to re-read the tokens.
    const sets = [
      '#credentials.#accessToken = :accessToken',
      '#credentials.#refreshToken = :refreshToken',
      '#credentials.#fingerprint = :newFingerprint',
      '#refreshedAt = :refreshedAt',
      BUMP_CREDENTIALS_VERSION,
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
    const written = await whenConditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.account(accountId),
          UpdateExpression: updateExpressionOf(sets, removes),
          ConditionExpression: `attribute_exists(pk) AND ${SPENT_IS_STORED}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    const saved = entityOf<Account>(written?.Attributes);
    return saved && openAccount(this.sealer(), saved);
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
    const names: Record<string, string> = { ...NAMES };
    if (spentRefreshToken === undefined) condition += ' AND attribute_not_exists(#credentials.#refreshToken)';
    else {
      condition += ` AND ${SPENT_IS_STORED}`;
      names['#fingerprint'] = REFRESH_TOKEN_FINGERPRINT;
      values[':spent'] = spentRefreshToken;
      values[':spentFingerprint'] = refreshTokenFingerprint(spentRefreshToken);
    }
    // The count read before must still be the count: two refreshers never add up one failure twice.
    if (failure.previousFailures === 0) condition += ' AND attribute_not_exists(#failures)';
    else {
      condition += ' AND #failures = :previous';
      values[':previous'] = failure.previousFailures;
    }
    return conditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.account(accountId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
