/**
 * The Config table's `listing` index, driven through the local stack with the `openai` SDK: a
 * served request is charged (the user's balance and the key's spend change) without one listed
 * entry changing, so on DynamoDB no charge writes the shared `USERS` or `KEYS#<user>` partition;
 * the listing holds neither balances nor credentials, yet accounts are listed, picked and served,
 * with tokens another refresher rotated as soon as the listing shows their new version, and
 * admin listings still show balances (read from the items).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoOAuthAccountStore } from '#shared/store/dynamo/oauth-account-store.ts';
import { CONFIG_LIST_INDEX } from '#shared/tables/definitions.ts';
import { keys, LIST } from '#shared/tables/keys.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';

const e2e = e2eForSuite();

/** The listed entries of one list, whole, as the index holds them. */
async function listed(list: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await e2e.stack.client.send(
    new QueryCommand({
      TableName: e2e.stack.settings.tables.config,
      IndexName: CONFIG_LIST_INDEX,
      KeyConditionExpression: 'gsi1pk = :list',
      ExpressionAttributeValues: { ':list': list },
    }),
  );
  return Items;
}

async function item(key: { pk: string; sk: string }): Promise<Record<string, unknown>> {
  const { Item } = await e2e.stack.client.send(
    new GetCommand({ TableName: e2e.stack.settings.tables.config, Key: key, ConsistentRead: true }),
  );
  assert.ok(Item, `${key.pk} exists`);
  return Item;
}

describe('the Config listing index', { timeout: 60_000 }, () => {
  it('lists users and keys without balance or spend, and a charge leaves every listed entry as it was', async () => {
    // Prepare
    const seeded = await e2e.seed({ user: { balanceUsd: '5' } });
    const users = await listed(LIST.users);
    const userKeys = await listed(LIST.keysOf(seeded.userId));
    const balanceBefore = (await item(keys.user(seeded.userId))).balanceNano as number;

    // Act: one served request, charged by the recorder.
    await e2e.client(seeded.secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });
    await e2e.stack.bus.drain();

    // Assess: the items changed, the listing did not.
    const user = await item(keys.user(seeded.userId));
    assert.ok((user.balanceNano as number) < balanceBefore, 'the balance was charged');
    const [keyEntry] = userKeys;
    assert.ok(keyEntry);
    assert.ok(((await item({ pk: String(keyEntry.pk), sk: String(keyEntry.sk) })).usedNano as number) > 0);
    assert.deepEqual(await listed(LIST.users), users);
    assert.deepEqual(await listed(LIST.keysOf(seeded.userId)), userKeys);
    for (const entry of [...users, ...userKeys])
      for (const attribute of ['balanceNano', 'usedNano', 'usageMarks', 'moneyMarks'])
        assert.ok(!(attribute in entry), `${entry.pk} lists ${attribute}`);
    // Admin listings read the items: the balance is there, as charged.
    const adminUser = (await e2e.admin.listUsers()).find((listedUser) => listedUser.id === seeded.userId);
    assert.equal(adminUser?.balanceNano, user.balanceNano);
  });

  it('serves an OAuth account with the tokens another refresher rotated, from a listing without credentials', async () => {
    // Prepare: an OAuth account whose token is valid for an hour.
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const seeded = await e2e.seed({
      account: {
        type: 'oauth',
        baseUrl: `${e2e.mock.url}/backend-api/codex`,
        apiKey: undefined,
        accessToken: 'at-listing-first-0001',
        refreshToken: 'rt-listing-first-0001',
        chatgptAccountId: 'chatgpt-listing-1',
        expiresAt,
      },
    });
    const client = e2e.client(seeded.secret);
    await client.responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    // Act: the schedule (another process) rotates the tokens; the gateway serves again.
    const saved = await new DynamoOAuthAccountStore(
      e2e.stack.client,
      e2e.stack.settings.tables.config,
    ).saveRefreshed(seeded.accountId, 'rt-listing-first-0001', {
      accessToken: 'at-listing-second-0002',
      refreshToken: 'rt-listing-second-0002',
      expiresAt,
      refreshedAt: new Date().toISOString(),
    });
    await client.responses.create({ model: 'gpt-5.1', input: 'Say hello again' });

    // Assess
    assert.ok(saved, 'the rotation was stored');
    assert.deepEqual(
      e2e.mock.requests.slice(-2).map((request) => request.headers.authorization),
      ['Bearer at-listing-first-0001', 'Bearer at-listing-second-0002'],
    );
    const accounts = await listed(LIST.accounts);
    const entry = accounts.find((account) => account.id === seeded.accountId);
    assert.equal(entry?.credentialsVersion, 2, 'created at 1, the rotation made it 2');
    for (const account of accounts) assert.ok(!('credentials' in account), `${account.id} lists credentials`);
  });
});
