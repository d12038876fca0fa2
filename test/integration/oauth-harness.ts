/**
 * A world for the OAuth token-refresh tests: dynalite with the three tables, the mock token
 * endpoint, OAuth accounts inserted through the admin store (so they carry `version` and
 * `updatedAt` as real ones do), and `createTokenRefresh` wired to all of it with a short endpoint
 * timeout. The logger is the real Powertools one, silenced unless a test passes its own.
 */

import { randomBytes } from 'node:crypto';
import { beforeEach } from 'node:test';
import { Logger } from '@aws-lambda-powertools/logger';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import type { Account, OAuthCredentials } from '#shared/domain/types.ts';
import {
  createTokenRefresh,
  type TokenRefresh,
  type TokenRefreshInput,
} from '#shared/oauth/create-token-refresh.ts';
import { loadSettings } from '#shared/settings.ts';
import type { Stored } from '#shared/store/config-admin.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { DynamoOAuthAccountStore } from '#shared/store/dynamo/oauth-account-store.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { type TableNames, tableNamesForStage } from '#shared/tables/definitions.ts';
import { keys } from '#shared/tables/keys.ts';
import { storedOAuthAccount } from '../support/account-fixture.ts';
import { type MockTokenEndpoint, startMockTokenEndpoint } from '../support/mock-token-endpoint.ts';
import { worldForSuite } from '../support/suite-world.ts';

export const MINUTE = 60_000;

export interface OAuthWorld {
  db: RunningDynalite;
  client: SdkDocumentClient;
  tables: TableNames;
  admin: DynamoConfigAdmin;
  endpoint: MockTokenEndpoint;
  /** A token refresh on the world's tables and endpoint; `env` adds QG_* settings. */
  refresh(env?: Record<string, string>, input?: Partial<TokenRefreshInput>): TokenRefresh;
  /** Inserts an OAuth account whose token expires `expiresInMs` from now (`null`: no expiry stored). */
  addAccount(expiresInMs: number | null, fields?: Partial<Account>): Promise<Stored<Account>>;
  read(accountId: string): Promise<Stored<Account>>;
  /**
   * What another instance's refresh leaves: the account's credentials replaced by `credentials`
   * with a token valid for an hour from now, written past this world's refresher.
   */
  writeCredentialsElsewhere(accountId: string, credentials: OAuthCredentials): Promise<void>;
  /** The endpoint back as it starts: prompt successes issuing 10-day tokens (for `beforeEach`). */
  resetEndpoint(): void;
  close(): Promise<void>;
}

export const silentLogger = () => new Logger({ serviceName: 'oauth-test', logLevel: 'SILENT' });

/** An opaque token that looks like a real one (and that no redaction rule would let through). */
export function fakeToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export function credentialsOf(account: Account): OAuthCredentials {
  return account.credentials as OAuthCredentials;
}

/**
 * The world of the enclosing suite (see worldForSuite); with `resetEndpointEachTest` the token
 * endpoint forgets its requests and mode before each test.
 */
export function oauthWorldForSuite(suite: { resetEndpointEachTest?: boolean } = {}): OAuthWorld {
  const world = worldForSuite('OAuth world', startOAuthWorld, (started) => started.close());
  if (suite.resetEndpointEachTest) beforeEach(() => world.resetEndpoint());
  return world;
}

export async function startOAuthWorld(): Promise<OAuthWorld> {
  const db = await startDynalite({ port: 0 });
  const tables = tableNamesForStage('oauth');
  await ensureTables(db.endpoint, tables);
  const client = createDocumentClient(db.endpoint);
  const admin = new DynamoConfigAdmin(client, tables.config);
  const endpoint = await startMockTokenEndpoint();
  let count = 0;

  return {
    db,
    client,
    tables,
    admin,
    endpoint,
    refresh(env = {}, input = {}) {
      const settings = loadSettings({
        QG_STAGE: 'oauth',
        QG_OAUTH_TOKEN_URL: endpoint.url,
        QG_OAUTH_TIMEOUT_MS: '400',
        ...env,
      });
      return createTokenRefresh({ client, tables, settings, logger: silentLogger(), ...input });
    },
    async addAccount(expiresInMs, fields = {}) {
      count += 1;
      const credentials: OAuthCredentials = {
        accessToken: fakeToken('at'),
        refreshToken: fakeToken('rt'),
        chatgptAccountId: `chatgpt-${count}`,
      };
      if (expiresInMs !== null) credentials.expiresAt = new Date(Date.now() + expiresInMs).toISOString();
      return admin.insert(
        'account',
        storedOAuthAccount(credentials, {
          id: `acc_${count}`,
          name: `ChatGPT ${count}`,
          createdAt: new Date().toISOString(),
          ...fields,
        }),
      );
    },
    async writeCredentialsElsewhere(accountId, credentials) {
      await client.send(
        new UpdateCommand({
          TableName: tables.config,
          Key: keys.account(accountId),
          UpdateExpression: 'SET credentials = :credentials',
          ExpressionAttributeValues: {
            ':credentials': { ...credentials, expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
          },
        }),
      );
    },
    async read(accountId) {
      // Through the refresher's own store, which opens the sealed tokens (a consistent read).
      const account = await new DynamoOAuthAccountStore(client, tables.config).getAccount(accountId);
      if (!account) throw new Error(`account ${accountId} is gone`);
      return account;
    },
    resetEndpoint() {
      endpoint.mode = 'success';
      endpoint.delayMs = 0;
      endpoint.held = undefined;
      endpoint.expiresInSeconds = 864_000;
    },
    async close() {
      await endpoint.close();
      client.destroy();
      await db.close();
    },
  };
}
