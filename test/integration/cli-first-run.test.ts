/**
 * A newcomer's first steps with the CLI: an example pasted with its placeholders still in it
 * creates no account (on the tables and through the admin API alike), and an account whose
 * health reason is a whole upstream message still lists on one short row, in full in `show`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliWorldForSuite } from './cli-harness.ts';

const LONG_REASON = `upstream 401: ${'Incorrect API key provided. You can find your API key at https://platform.openai.com. '.repeat(4)}`;

describe('quotagate on a first run', { timeout: 60_000 }, () => {
  const world = cliWorldForSuite();

  it('refuses credentials that are still placeholders from an example, and writes nothing', async () => {
    const before = await world.snapshot();
    const cases: [string[], RegExp][] = [
      [
        [
          '--type',
          'oauth',
          '--name',
          'plus',
          '--access-token',
          '…',
          '--refresh-token',
          '…',
          '--chatgpt-account-id',
          '…',
        ],
        /The access token looks like a placeholder/,
      ],
      [
        [
          '--type',
          'oauth',
          '--name',
          'plus',
          '--access-token',
          'eyJhbGciOiJSUzI1NiJ9.real.token',
          '--refresh-token',
          '<refresh token>',
        ],
        /The refresh token looks like a placeholder/,
      ],
      [
        ['--type', 'apikey', '--name', 'main', '--api-key', 'sk-your-platform-key'],
        /The upstream API key looks like a placeholder/,
      ],
      [
        ['--type', 'apikey', '--name', 'main', '--api-key', 'sk-...'],
        /The upstream API key looks like a placeholder/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await world.run('accounts', 'create', ...args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.ok(!run.stderr.includes('sk-your'), 'the value itself is never echoed');
    }
    assert.equal(await world.snapshot(), before);
  });

  it('accepts the mock upstream example key the README gives', async () => {
    const account = await world.ok<{ id: string }>(
      'accounts',
      'create',
      '--type',
      'apikey',
      '--name',
      'main',
      '--base-url',
      'http://127.0.0.1:8790',
      '--api-key',
      'sk-mock-anything',
    );
    assert.match(account.id, /^acc_/);
  });

  it('cuts a long health reason short in `accounts list` and shows it whole in `accounts show`', async () => {
    const account = await world.apiKeyAccount('noisy');
    await world.store.update('account', account.id, { health: { state: 'error', reason: LONG_REASON } });
    const list = await world.run('accounts', 'list');
    assert.equal(list.code, 0, list.stderr);
    const row = list.stdout.split('\n').find((line) => line.startsWith(account.id)) ?? '';
    assert.match(row, /error \(upstream 401: Incor…\)/);
    assert.ok(row.length < 260, `row of ${row.length} characters`);
    const show = await world.run('accounts', 'show', account.id);
    assert.ok(show.stdout.includes(LONG_REASON.trim()), 'show prints the whole reason');
  });
});
