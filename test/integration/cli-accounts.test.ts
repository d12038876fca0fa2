import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Account } from '#shared/domain/types.ts';
import { openAccount } from '#shared/secrets/account-credentials.ts';
import { secretSealer } from '#shared/secrets/default-sealer.ts';
import {
  ACCESS_TOKEN,
  type AccountJson,
  createAccounts,
  REFRESH_TOKEN,
  UPSTREAM_KEY,
} from './cli-accounts-world.ts';
import { cliWorldForSuite } from './cli-harness.ts';

describe('quotagate accounts', () => {
  const world = cliWorldForSuite();
  let apikeyAccount: AccountJson;
  let oauthAccount: AccountJson;
  before(async () => {
    ({ apikeyAccount, oauthAccount } = await createAccounts(world));
  });

  it('creates an API-key account with defaults: priority 50, concurrency 10, default group, health ok', async () => {
    // Assess
    assert.match(apikeyAccount.id, /^acc_[0-9a-z]{12}$/);
    assert.equal(apikeyAccount.baseUrl, 'http://127.0.0.1:9000');
    assert.deepEqual(
      [apikeyAccount.priority, apikeyAccount.concurrency, apikeyAccount.groupIds, apikeyAccount.health],
      [50, 10, ['default'], { state: 'ok' }],
    );
    assert.deepEqual(apikeyAccount.modelMapping, { 'gpt-5': 'gpt-5.1-codex' });
  });

  it('creates an OAuth account in the named groups and reports only when its token expires', async () => {
    // Assess
    assert.equal(oauthAccount.type, 'oauth');
    assert.deepEqual(oauthAccount.groupIds, ['pro', 'default']);
    assert.equal(oauthAccount.tokenExpiresAt, '2099-07-01T00:00:00.000Z');
    assert.equal(oauthAccount.credentials, undefined);
  });

  it('stores the credentials for the gateway yet never prints them in create, list or show', async () => {
    // Act
    const outputs = [
      JSON.stringify([apikeyAccount, oauthAccount]),
      (await world.run('accounts', 'list')).stdout,
      (await world.run('accounts', 'list', '--json')).stdout,
      (await world.run('accounts', 'show', apikeyAccount.id)).stdout,
      (await world.run('accounts', 'show', oauthAccount.id, '--json')).stdout,
      (await world.run('groups', 'show', 'pro', '--json')).stdout,
    ].join('\n');
    const stored = await world.store.get('account', oauthAccount.id);

    // Assess
    for (const secret of [UPSTREAM_KEY, ACCESS_TOKEN, REFRESH_TOKEN]) {
      assert.ok(!outputs.includes(secret), secret);
      assert.ok(!JSON.stringify(stored).includes(secret), `${secret} stored in plain text`);
    }
    assert.deepEqual((await openAccount(secretSealer(), stored as Account)).credentials, {
      accessToken: ACCESS_TOKEN,
      refreshToken: REFRESH_TOKEN,
      chatgptAccountId: 'chatgpt-acc-1',
      expiresAt: '2099-07-01T00:00:00.000Z',
    });
  });

  it('reads a credential given as - from stdin', async () => {
    // Act
    const result = await world.runWithStdin(
      'sk-from-stdin-5555\n',
      'accounts',
      'create',
      '--type',
      'apikey',
      '--name',
      'piped',
      '--api-key',
      '-',
      '--json',
    );

    // Assess
    assert.equal(result.code, 0);
    const stored = await world.store.get('account', result.json<AccountJson>().id);
    assert.deepEqual((await openAccount(secretSealer(), stored as Account)).credentials, {
      apiKey: 'sk-from-stdin-5555',
    });
    assert.equal(stored?.baseUrl, 'https://api.openai.com');
  });

  it('lists accounts with type, status, priority, concurrency, groups, models, health and last use', async () => {
    // Act
    const table = await world.run('accounts', 'list');

    // Assess
    assert.match(
      table.stdout,
      /^ID\s+NAME\s+TYPE\s+STATUS\s+PRIO\s+CONC\s+GROUPS\s+MODELS\s+HEALTH\s+LAST USED$/m,
    );
    assert.match(
      table.stdout,
      new RegExp(
        `^${oauthAccount.id}\\s+codex-1\\s+oauth\\s+active\\s+50\\s+10\\s+pro,default\\s+any model\\s+ok\\s+-$`,
        'm',
      ),
    );
  });

  for (const [label, args, code, sentence] of [
    [
      'a base URL that is not http(s)',
      ['--type', 'apikey', '--name', 'x', '--base-url', 'ftp://host', '--api-key', 'sk-bad-url-secret'],
      2,
      /Base URL must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/host"\./,
    ],
    [
      'a base URL that is not a URL',
      ['--type', 'apikey', '--name', 'x', '--base-url', 'localhost:9000', '--api-key', 'sk-bad-url-secret'],
      2,
      /Base URL must be an http/,
    ],
    [
      'an unknown type',
      ['--type', 'cookie', '--name', 'x'],
      2,
      /Account type must be "apikey" or "oauth", got "cookie"\./,
    ],
    [
      'an API-key account without its key',
      ['--type', 'apikey', '--name', 'x'],
      2,
      /The upstream API key is required\./,
    ],
    [
      'an OAuth account without its access token',
      ['--type', 'oauth', '--name', 'x'],
      2,
      /The access token is required\./,
    ],
    [
      'an OAuth account given an API key',
      ['--type', 'oauth', '--name', 'x', '--access-token', 'tok-secret-1', '--api-key', 'sk-mixed-secret'],
      2,
      /applies only to accounts of type "apikey"/,
    ],
    [
      'a concurrency of 0',
      ['--type', 'apikey', '--name', 'x', '--api-key', 'sk-zero-secret', '--concurrency', '0'],
      2,
      /Account concurrency must be at least 1\./,
    ],
    [
      'a bad token expiry',
      ['--type', 'oauth', '--name', 'x', '--access-token', 'tok-secret-2', '--expires-at', 'soon'],
      2,
      /Token expiry must be an ISO date/,
    ],
    [
      'a mapping entry without =',
      ['--type', 'apikey', '--name', 'x', '--api-key', 'sk-map-secret', '--map', 'gpt-5'],
      2,
      /Model mapping "gpt-5" must look like requested=upstream\./,
    ],
    [
      'a group that does not exist',
      ['--type', 'apikey', '--name', 'x', '--api-key', 'sk-group-secret', '--groups', 'nope'],
      1,
      /Group nope does not exist\./,
    ],
  ] as const) {
    it(`refuses to create ${label}, changes nothing and echoes no secret`, async () => {
      // Prepare
      const before = await world.snapshot();

      // Act
      const result = await world.run('accounts', 'create', ...args);

      // Assess
      assert.equal(result.code, code);
      assert.match(result.stderr, sentence);
      assert.doesNotMatch(result.stderr, /secret/);
      assert.equal(await world.snapshot(), before);
    });
  }
});
