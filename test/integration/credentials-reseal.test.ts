/**
 * Accounts stored before credentials were sealed keep working (plain values are read as they
 * are), a token refresh of such an account writes sealed tokens, and `accounts reseal` seals the
 * rest once, changing nothing on a second run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { resealAccounts } from '#shared/admin/account-create.ts';
import type { Account } from '#shared/domain/types.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { DynamoConfigDirectory } from '#shared/store/dynamo/config-directory.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import { DynamoOAuthAccountStore } from '#shared/store/dynamo/oauth-account-store.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { keys } from '#shared/tables/keys.ts';

const tables = tableNamesForStage('reseal');
let db: RunningDynalite;
let client: SdkDocumentClient;

const legacy = (id: string, credentials: Account['credentials']): Account => ({
  id,
  name: id,
  type: 'apiKey' in credentials ? 'apikey' : 'oauth',
  credentials,
  status: 'active',
  priority: 50,
  concurrency: 2,
  modelMapping: {},
  groupIds: ['default'],
  health: { state: 'ok' },
  createdAt: '2026-01-01T00:00:00.000Z',
});

async function rawItem(id: string): Promise<string> {
  const { Item } = await client.send(new GetCommand({ TableName: tables.config, Key: keys.account(id) }));
  return JSON.stringify(Item);
}

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  client = createDocumentClient(db.endpoint);
  // Written as the code before sealing wrote them: credentials in plain text.
  for (const account of [
    legacy('acc_plain_key', { apiKey: 'sk-legacy-plain-key-0001' }),
    legacy('acc_plain_oauth', { accessToken: 'at-legacy-0001', refreshToken: 'rt-legacy-0001' }),
    legacy('acc_plain_refreshed', { accessToken: 'at-legacy-0002', refreshToken: 'rt-legacy-0002' }),
  ])
    await client.send(new PutCommand({ TableName: tables.config, Item: configItems.account(account) }));
});

/** What the gateway opens for each listed account: its credentials, read by key. */
async function credentialsById() {
  const directory = new DynamoConfigDirectory(client, tables.config);
  const listed = await directory.listAccounts();
  return new Map(
    await Promise.all(
      listed.map(async (account) => {
        const stored = await directory.readCredentials(account.id);
        return [account.id, stored && (await directory.openCredentials(account.id, stored))] as const;
      }),
    ),
  );
}

after(async () => {
  client.destroy();
  await db.close();
});

describe('credentials stored before sealing', () => {
  it('are read as they are by the gateway', async () => {
    const byId = await credentialsById();
    assert.deepEqual(byId.get('acc_plain_key'), { apiKey: 'sk-legacy-plain-key-0001' });
    assert.deepEqual(byId.get('acc_plain_oauth'), {
      accessToken: 'at-legacy-0001',
      refreshToken: 'rt-legacy-0001',
    });
  });

  it('are replaced by sealed tokens when the refresher spends the plain refresh token', async () => {
    const store = new DynamoOAuthAccountStore(client, tables.config);
    const saved = await store.saveRefreshed('acc_plain_refreshed', 'rt-legacy-0002', {
      accessToken: 'at-new-0003',
      refreshToken: 'rt-new-0003',
      refreshedAt: '2026-12-03T00:00:00.000Z',
    });
    assert.deepEqual(
      [saved?.credentials, (await store.getAccount('acc_plain_refreshed'))?.credentials],
      [
        { accessToken: 'at-new-0003', refreshToken: 'rt-new-0003' },
        { accessToken: 'at-new-0003', refreshToken: 'rt-new-0003' },
      ],
    );
    const raw = await rawItem('acc_plain_refreshed');
    for (const secret of ['at-new-0003', 'rt-new-0003']) assert.ok(!raw.includes(secret), secret);
    // The next refresh finds the spent token by its fingerprint.
    assert.ok(
      await store.saveRefreshed('acc_plain_refreshed', 'rt-new-0003', {
        accessToken: 'at-new-0004',
        refreshToken: 'rt-new-0004',
        refreshedAt: '2026-12-03T01:00:00.000Z',
      }),
    );
    assert.equal(
      await store.saveRefreshed('acc_plain_refreshed', 'rt-new-0003', {
        accessToken: 'at-stale',
        refreshToken: 'rt-stale',
        refreshedAt: '2026-12-03T02:00:00.000Z',
      }),
      undefined,
    );
  });

  it('are sealed by reseal once, and still open to the same values', async () => {
    const admin = new DynamoConfigAdmin(client, tables.config);

    const first = await resealAccounts(admin);
    const second = await resealAccounts(admin);

    assert.deepEqual(first, { accounts: 3, sealed: ['acc_plain_key', 'acc_plain_oauth'] });
    assert.deepEqual(second, { accounts: 3, sealed: [] });
    for (const [id, secrets] of [
      ['acc_plain_key', ['sk-legacy-plain-key-0001']],
      ['acc_plain_oauth', ['at-legacy-0001', 'rt-legacy-0001']],
    ] as const) {
      const raw = await rawItem(id);
      for (const secret of secrets) assert.ok(!raw.includes(secret), `${secret} still plain`);
    }
    const byId = await credentialsById();
    assert.deepEqual(byId.get('acc_plain_key'), { apiKey: 'sk-legacy-plain-key-0001' });
    assert.deepEqual(byId.get('acc_plain_oauth'), {
      accessToken: 'at-legacy-0001',
      refreshToken: 'rt-legacy-0001',
    });
  });
});
