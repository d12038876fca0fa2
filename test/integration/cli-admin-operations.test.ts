/**
 * Admin operations the CLI gained with the console: `groups set`, `prices list/set/remove` and
 * `ops usage` across users, keys and models with a top N — each the same on the tables and
 * through `--api`, with `--json` and `--help`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliWorldForSuite } from './cli-harness.ts';

describe('quotagate groups set, prices and ops usage --top', { timeout: 60_000 }, () => {
  const world = cliWorldForSuite({ adminApi: true });

  const api = (...args: string[]) => world.viaApi(...args, '--json');

  it('changes a group and removes a limit, refusing limits on a balance group', async () => {
    await world.ok(
      'groups',
      'create',
      '--id',
      'pro',
      '--name',
      'Pro',
      '--billing',
      'subscription',
      '--daily-limit',
      '5',
    );
    const changed = await world.ok<{
      rateMultiplier: number;
      dailyLimitNano?: number;
      monthlyLimitNano: number;
    }>('groups', 'set', 'pro', '--multiplier', '1.5', '--monthly-limit', '100');
    assert.equal(changed.rateMultiplier, 1.5);
    assert.equal(changed.dailyLimitNano, 5_000_000_000);
    assert.equal(changed.monthlyLimitNano, 100_000_000_000);

    const viaApi = await api('groups', 'set', 'pro', '--daily-limit', 'none');
    assert.equal(viaApi.code, 0, viaApi.stderr);
    assert.equal(viaApi.json<{ dailyLimitNano?: number }>().dailyLimitNano, undefined);

    const before = await world.snapshot();
    const refused = await world.run('groups', 'set', 'pro', '--billing', 'balance');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /limits apply only to groups with billing mode "subscription"/);
    const stale = await world.run('groups', 'set', 'pro', '--name', 'Pro 2', '--if-version', '1');
    assert.equal(stale.code, 1);
    const nothing = await api('groups', 'set', 'pro');
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /Nothing to change/);
    assert.equal(await world.snapshot(), before);
  });

  it('sets, changes, lists and removes price overrides, on the tables and through --api alike', async () => {
    const set = await world.ok<{ model: string; input: string; version: number }>(
      'prices',
      'set',
      'gpt-5.1',
      '--input',
      '1.25',
      '--cached-input',
      '0.125',
      '--output',
      '10',
    );
    assert.deepEqual([set.model, set.input, set.version], ['gpt-5.1', '1.25', 1]);
    const changed = await api(
      'prices',
      'set',
      'gpt-5.1',
      '--input',
      '2',
      '--cached-input',
      '0.2',
      '--output',
      '16',
    );
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual(
      (({ input, output, version }) => ({ input, output, version }))(
        changed.json<{ input: string; output: string; version: number }>(),
      ),
      { input: '2', output: '16', version: 2 },
    );
    const listed = await world.ok<{ model: string; outputPicoPerToken: number }[]>('prices', 'list');
    assert.deepEqual(
      listed.map((price) => [price.model, price.outputPicoPerToken]),
      [['gpt-5.1', 16_000_000]],
    );
    const apiListed = await api('prices', 'list');
    assert.deepEqual(apiListed.json(), listed);
    const bad = await world.run(
      'prices',
      'set',
      'gpt-5.1',
      '--input',
      'lots',
      '--cached-input',
      '0',
      '--output',
      '0',
    );
    assert.equal(bad.code, 2);
    const removed = await api('prices', 'remove', 'gpt-5.1');
    assert.equal(removed.code, 0, removed.stderr);
    const again = await world.run('prices', 'remove', 'gpt-5.1');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no price override for gpt-5\.1/);
    const help = await world.run('prices', 'set', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--cached-input <usd>/);
  });

  it('lists the top users, keys and models of a range, the same through --api', async () => {
    const request = (requestId: string, userId: string, model: string, inputTokens: number) =>
      world.recordRequest({
        requestId,
        userId,
        apiKeyId: `key_${userId}`,
        accountId: 'acc_1',
        modelRequested: model,
        modelSent: model,
        usage: { inputTokens, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
      });
    await request('req_t1', 'usr_small', 'gpt-5-mini', 100);
    await request('req_t2', 'usr_big', 'gpt-5.1', 100_000);
    await request('req_t3', 'usr_big', 'gpt-5.1', 100_000);

    const top = await world.ok<{
      top: { user: { id: string; requests: number }[]; model: { id: string }[] };
      total: { requests: number };
    }>('ops', 'usage', '--top', '1');
    assert.equal(top.total.requests, 3);
    assert.deepEqual(
      top.top.user.map((entry) => [entry.id, entry.requests]),
      [['usr_big', 2]],
    );
    assert.deepEqual(
      top.top.model.map((entry) => entry.id),
      ['gpt-5.1'],
    );
    const viaApi = await api('ops', 'usage', '--top', '1');
    assert.equal(viaApi.code, 0, viaApi.stderr);
    assert.deepEqual(viaApi.json<typeof top>().top, top.top);

    const text = await world.run('ops', 'usage', '--by', 'model');
    assert.match(text.stdout, /^Top models:$/m);
    assert.match(text.stdout, /^gpt-5\.1 +2 +200000 /m);
    assert.doesNotMatch(text.stdout, /Top users/);
    const wrong = await world.run('ops', 'usage', '--id', 'usr_big');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--id needs --by/);
  });
});
