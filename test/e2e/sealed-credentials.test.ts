/**
 * Upstream credentials are sealed at rest (shared/secrets/): after API-key and OAuth accounts are
 * created and an OAuth token is refreshed, no table of the local stack — nor any index — holds an
 * API key or a token in plain text, no index holds even the sealed values (the Config listing
 * names accounts without their credentials), yet the gateway still sends each upstream its
 * credential.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { CONFIG_LIST_INDEX, TABLES } from '#shared/tables/definitions.ts';
import { LIST } from '#shared/tables/keys.ts';
import { oauthE2EForSuite, UPSTREAM_KEY } from '../support/e2e-stack.ts';

const ACCESS_TOKEN = 'at-sealed-expired-access-token-0001';
const REFRESH_TOKEN = 'rt-sealed-initial-refresh-token-0001';

const e2e = oauthE2EForSuite();

/** Every item of every table and every index, as text: `all`, and `indexes` (index entries only). */
async function everythingStored(): Promise<{ all: string; indexes: string }> {
  const texts: string[] = [];
  const indexTexts: string[] = [];
  const names = e2e.stack.settings.tables;
  for (const definition of Object.values(TABLES)) {
    const TableName = names[definition.id];
    for (const IndexName of [undefined, ...definition.indexes.map((index) => index.name)]) {
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await e2e.stack.client.send(
          new ScanCommand({ TableName, ...(IndexName ? { IndexName } : {}), ExclusiveStartKey }),
        );
        texts.push(JSON.stringify(page.Items ?? []));
        if (IndexName) indexTexts.push(JSON.stringify(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    }
  }
  return { all: texts.join('\n'), indexes: indexTexts.join('\n') };
}

/** The accounts listing as the gateway queries it. */
async function listedAccounts(): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await e2e.stack.client.send(
    new QueryCommand({
      TableName: e2e.stack.settings.tables.config,
      IndexName: CONFIG_LIST_INDEX,
      KeyConditionExpression: 'gsi1pk = :list',
      ExpressionAttributeValues: { ':list': LIST.accounts },
    }),
  );
  return Items;
}

describe('sealed upstream credentials', () => {
  it('stores no API key or OAuth token in plain text, before or after a refresh, and still serves with them', async () => {
    // Prepare: an API-key account and an OAuth account whose access token has expired.
    const platform = await e2e.seed();
    const oauth = await e2e.seed({
      account: {
        type: 'oauth',
        baseUrl: `${e2e.mock.url}/backend-api/codex`,
        apiKey: undefined,
        accessToken: ACCESS_TOKEN,
        refreshToken: REFRESH_TOKEN,
        chatgptAccountId: 'chatgpt-sealed-1',
        expiresAt: '2020-01-01T00:00:00Z',
      },
    });
    const { all: beforeRefresh } = await everythingStored();

    // Act
    await e2e.client(platform.secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });
    await e2e.client(oauth.secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });
    const { all: afterRefresh, indexes } = await everythingStored();
    const accounts = await listedAccounts();

    // Assess
    const issued = e2e.tokens.issued[0];
    assert.ok(issued, 'the expired token was refreshed');
    assert.deepEqual(
      e2e.mock.requests.map((request) => request.headers.authorization),
      [`Bearer ${UPSTREAM_KEY}`, `Bearer ${issued.accessToken}`],
    );
    for (const secret of [UPSTREAM_KEY, ACCESS_TOKEN, REFRESH_TOKEN])
      assert.ok(!beforeRefresh.includes(secret), `${secret} stored in plain text`);
    for (const secret of [UPSTREAM_KEY, ACCESS_TOKEN, REFRESH_TOKEN, issued.accessToken, issued.refreshToken])
      assert.ok(!afterRefresh.includes(secret), `${secret} stored in plain text after the refresh`);
    assert.match(afterRefresh, /qgs1\./);
    // The index entries: the accounts are listed, without even their sealed credentials.
    assert.deepEqual(
      accounts.map((account) => account.id).sort(),
      [platform.accountId, oauth.accountId].sort(),
    );
    for (const account of accounts) assert.ok(!('credentials' in account), `${account.id} lists credentials`);
    assert.doesNotMatch(indexes, /qgs1\./);
    assert.doesNotMatch(indexes, /refreshTokenSha256/);
  });
});
