import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type AccountJson, createAccounts } from './cli-accounts-world.ts';
import { cliWorldForSuite } from './cli-harness.ts';

describe('quotagate accounts: changing them', () => {
  const world = cliWorldForSuite();
  let apikeyAccount: AccountJson;
  let oauthAccount: AccountJson;
  before(async () => {
    ({ apikeyAccount, oauthAccount } = await createAccounts(world));
  });

  it('sets priority, concurrency and the model mapping from repeated --map, JSON, or clears it', async () => {
    // Act
    const tuned = await world.ok<AccountJson>(
      'accounts',
      'set',
      '--account',
      apikeyAccount.id,
      '--priority',
      '1',
      '--concurrency',
      '3',
      '--map',
      'gpt-5=gpt-5.1-codex',
      '--map',
      'gpt-5-mini=gpt-5.1-codex-mini',
    );
    const fromJson = await world.ok<AccountJson>(
      'accounts',
      'set',
      apikeyAccount.id,
      '--map-json',
      '{"o3":"o3-pro"}',
    );
    const cleared = await world.ok<AccountJson>('accounts', 'set', apikeyAccount.id, '--clear-map');

    // Assess
    assert.deepEqual([tuned.priority, tuned.concurrency], [1, 3]);
    assert.deepEqual(tuned.modelMapping, { 'gpt-5': 'gpt-5.1-codex', 'gpt-5-mini': 'gpt-5.1-codex-mini' });
    assert.deepEqual(fromJson.modelMapping, { o3: 'o3-pro' });
    assert.deepEqual(cleared.modelMapping, {});
    assert.equal(cleared.priority, 1);
  });

  it('sets custom error codes, clears them, and refuses what is not an HTTP error status', async () => {
    // Act
    const set = await world.ok<AccountJson>(
      'accounts',
      'set',
      apikeyAccount.id,
      '--error-codes',
      '429, 401,429',
    );
    const shown = await world.run('accounts', 'show', apikeyAccount.id);
    const cleared = await world.ok<AccountJson>('accounts', 'set', apikeyAccount.id, '--clear-error-codes');
    const refused = await world.run('accounts', 'set', apikeyAccount.id, '--error-codes', '401,200');
    const both = await world.run(
      'accounts',
      'set',
      apikeyAccount.id,
      '--error-codes',
      '401',
      '--clear-error-codes',
    );

    // Assess
    assert.deepEqual(set.customErrorCodes, [401, 429]);
    assert.match(shown.stdout, /Error codes:\s+401, 429/);
    assert.deepEqual(cleared.customErrorCodes, []);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /HTTP error statuses \(400–599\), got "200"/);
    assert.notEqual(both.code, 0);
  });

  it('sets a User-Agent and a proxy whose password it never shows, clears them, and refuses a bad proxy', async () => {
    // Prepare
    const password = 'cli-pr0xy-password';

    // Act
    const set = await world.ok<AccountJson>(
      'accounts',
      'set',
      apikeyAccount.id,
      '--user-agent',
      'team-egress/1.0',
      '--proxy-url',
      `http://acct:${password}@10.0.0.7:3128`,
    );
    const shown = await world.run('accounts', 'show', apikeyAccount.id);
    const listed = await world.run('accounts', 'list', '--json');
    const cleared = await world.ok<AccountJson>(
      'accounts',
      'set',
      apikeyAccount.id,
      '--clear-proxy',
      '--clear-user-agent',
    );
    const refused = await world.run(
      'accounts',
      'set',
      apikeyAccount.id,
      '--proxy-url',
      `socks5://acct:${password}@h:1`,
    );

    // Assess
    assert.equal(set.userAgent, 'team-egress/1.0');
    assert.equal(set.proxyEndpoint, 'http://10.0.0.7:3128');
    assert.match(shown.stdout, /Proxy:\s+http:\/\/10\.0\.0\.7:3128/);
    for (const output of [JSON.stringify(set), shown.stdout, listed.stdout, refused.stderr])
      assert.ok(!output.includes(password), 'the proxy password was shown');
    assert.equal(cleared.proxyEndpoint, undefined);
    assert.equal(cleared.userAgent, undefined);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Proxy URL must start with http:\/\/ or https:\/\//);
  });

  it('disables and enables an account', async () => {
    // Act
    const disabled = await world.ok<AccountJson>('accounts', 'disable', oauthAccount.id);
    const enabled = await world.ok<AccountJson>('accounts', 'enable', '--account', oauthAccount.id);

    // Assess
    assert.deepEqual([disabled.status, enabled.status], ['disabled', 'active']);
  });

  it('adds and removes group membership, and refuses a group that does not exist', async () => {
    // Act
    const added = await world.ok<AccountJson>(
      'accounts',
      'add-group',
      '--account',
      apikeyAccount.id,
      '--group',
      'pro',
    );
    const again = await world.ok<AccountJson>(
      'accounts',
      'add-group',
      '--account',
      apikeyAccount.id,
      '--group',
      'pro',
    );
    const removed = await world.ok<AccountJson>(
      'accounts',
      'remove-group',
      '--account',
      apikeyAccount.id,
      '--group',
      'default',
    );
    const missing = await world.run(
      'accounts',
      'add-group',
      '--account',
      apikeyAccount.id,
      '--group',
      'gone',
    );
    const notMember = await world.run(
      'accounts',
      'remove-group',
      '--account',
      apikeyAccount.id,
      '--group',
      'default',
    );

    // Assess
    assert.deepEqual(added.groupIds, ['default', 'pro']);
    assert.equal(again.version, added.version);
    assert.deepEqual(removed.groupIds, ['pro']);
    assert.deepEqual([missing.code, missing.stderr], [1, 'Error: Group gone does not exist.\n']);
    assert.deepEqual(
      [notMember.code, notMember.stderr],
      [1, `Error: Account ${apikeyAccount.id} is not in group default.\n`],
    );
  });

  it('keeps both of two membership changes made at the same time', async () => {
    // Prepare
    await world.ok('groups', 'create', '--id', 'g-one', '--name', 'One');
    await world.ok('groups', 'create', '--id', 'g-two', '--name', 'Two');

    // Act
    const results = await Promise.all([
      world.run('accounts', 'add-group', '--account', oauthAccount.id, '--group', 'g-one'),
      world.run('accounts', 'add-group', '--account', oauthAccount.id, '--group', 'g-two'),
    ]);
    const account = await world.ok<AccountJson>('accounts', 'show', oauthAccount.id);

    // Assess
    assert.deepEqual(
      results.map((result) => result.code),
      [0, 0],
    );
    assert.deepEqual([...account.groupIds].sort(), ['default', 'g-one', 'g-two', 'pro']);
  });

  it('shows the health the gateway set and clears it back to ok', async () => {
    // Prepare
    const until = Date.parse('2099-01-01T00:05:00Z');
    await world.store.update('account', oauthAccount.id, {
      health: { state: 'rate_limited', reason: 'upstream 429', until },
    });

    // Act
    const health = await world.ok<AccountJson['health']>('accounts', 'health', oauthAccount.id);
    const text = await world.run('accounts', 'health', '--account', oauthAccount.id);
    const cleared = await world.ok<AccountJson>('accounts', 'clear', oauthAccount.id);

    // Assess
    assert.deepEqual(health, { state: 'rate_limited', reason: 'upstream 429', until });
    assert.match(text.stdout, /State:\s+rate_limited\nReason:\s+upstream 429\nUntil:\s+2099-01-01 00:05 UTC/);
    assert.equal(cleared.health.state, 'ok');
    assert.deepEqual(Object.keys(cleared.health).sort(), ['state', 'updatedAt']);
  });

  it('refuses a stale --if-version and mixing two ways of giving the mapping', async () => {
    // Prepare
    const current = await world.ok<AccountJson>('accounts', 'show', apikeyAccount.id);
    const before = await world.snapshot();

    // Act
    const stale = await world.run(
      'accounts',
      'set',
      apikeyAccount.id,
      '--priority',
      '9',
      '--if-version',
      String(current.version - 1),
    );
    const mixed = await world.run('accounts', 'set', apikeyAccount.id, '--map', 'a=b', '--clear-map');

    // Assess
    assert.equal(stale.code, 1);
    assert.match(
      stale.stderr,
      new RegExp(
        `Account ${apikeyAccount.id} was changed by someone else \\(it is now at version ${current.version}\\)`,
      ),
    );
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /Give the model mapping one way: --map, --map-json or --clear-map\./);
    assert.equal(await world.snapshot(), before);
  });
});
