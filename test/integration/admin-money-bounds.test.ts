import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NumberValue, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys, LIST } from '#shared/tables/keys.ts';
import { ADMIN_TOKEN, type AdminWorld, startAdminWorld } from './admin-api-harness.ts';
import { type CliRun, runCliCaptured } from './cli-harness.ts';

/** 2^53 − 1 nano-USD, the most a stored money value may hold, as USD text (by hand). */
const MAX_USD = '9007199.254740991';

describe('money bounds and idempotent top-ups (admin API and CLI on dynalite)', { timeout: 120_000 }, () => {
  let world: AdminWorld;
  let direct: (...args: string[]) => Promise<CliRun>;
  let viaApi: (...args: string[]) => Promise<CliRun>;

  before(async () => {
    world = await startAdminWorld();
    direct = (...args) => runCliCaptured(args, { DYNAMODB_ENDPOINT: world.db.endpoint });
    viaApi = (...args) =>
      runCliCaptured(args, { QG_ADMIN_API_URL: world.server.url, QG_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  after(async () => {
    await world.close();
  });

  const newUser = async (email: string, balanceUsd: string) =>
    (await world.ok('POST', '/admin/v1/users', { email, balanceUsd })) as { id: string };

  it('refuses a top-up that would take the stored balance past 2^53 nano, changing nothing', async () => {
    // Prepare: a balance 1 USD below the ceiling; each delta alone is in range.
    const user = await newUser('ceiling@example.com', '9007198.254740991');
    const before = await world.snapshot();

    // Act
    const api = await world.call('POST', `/admin/v1/users/${user.id}/balance`, { amountUsd: '2' });
    const cli = await direct('users', 'add-balance', '--user', user.id, '--amount', '2');
    const cliApi = await viaApi('users', 'add-balance', '--user', user.id, '--amount', '2');
    const keyed = await world.call(
      'POST',
      `/admin/v1/users/${user.id}/balance`,
      { amountUsd: '2' },
      { 'idempotency-key': 'over-the-top' },
    );

    // Assess
    assert.equal(api.status, 400);
    assert.equal(api.json.error.type, 'invalid_request_error');
    assert.match(api.json.error.message, new RegExp(`past ±${MAX_USD.replace('.', '\\.')} USD`));
    assert.match(api.json.error.message, /nothing was changed/);
    assert.equal(keyed.status, 400);
    for (const run of [cli, cliApi]) {
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /the most a balance can hold; nothing was changed/);
    }
    assert.equal(await world.snapshot(), before);
    const added = await world.ok('POST', `/admin/v1/users/${user.id}/balance`, { amountUsd: '1' });
    assert.equal(added.balanceNano, Number.MAX_SAFE_INTEGER);
  });

  it('refuses a deduction past −2^53 nano the same way', async () => {
    const user = await newUser('floor@example.com', '0');
    await world.ok('POST', `/admin/v1/users/${user.id}/balance`, { amountUsd: '-9007199' });
    const before = await world.snapshot();

    const refused = await world.call('POST', `/admin/v1/users/${user.id}/balance`, { amountUsd: '-1' });

    assert.equal(refused.status, 400);
    assert.equal(await world.snapshot(), before);
  });

  it('lists and shows users even when a stored balance is already past 2^53 (written by hand)', async () => {
    // Prepare: an item no admin operation can write any more.
    await world.client.send(
      new PutCommand({
        TableName: world.tables.config,
        Item: {
          ...keys.user('usr_handwritten'),
          gsi1pk: LIST.users,
          gsi1sk: 'usr_handwritten',
          kind: 'user',
          id: 'usr_handwritten',
          email: 'handwritten@example.com',
          status: 'active',
          concurrency: 1,
          balanceNano: NumberValue.from('9007199254740993'),
          createdAt: '2026-12-01T00:00:00.000Z',
        },
      }),
    );

    // Act
    const listed = await world.call('GET', '/admin/v1/users');
    const shown = await world.call('GET', '/admin/v1/users/usr_handwritten');
    const cliList = await direct('users', 'list');
    const cliShow = await viaApi('users', 'show', 'usr_handwritten');
    const brought = await world.call('POST', '/admin/v1/users/usr_handwritten/balance', { amountUsd: '-1' });

    // Assess
    assert.equal(listed.status, 200, listed.text);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(cliList.code, 0, cliList.stderr);
    assert.match(cliList.stdout, /handwritten@example\.com/);
    assert.equal(cliShow.code, 0, cliShow.stderr);
    assert.equal(brought.status, 200, brought.text);
    assert.equal(brought.json.balanceNano, 9_007_198_254_740_993);
  });

  it('applies each keyed top-up exactly once under concurrent retries through the API, with one answer per key', async () => {
    // Prepare
    const user = await newUser('retries@example.com', '1');
    const topUps = Array.from({ length: 6 }, (_, index) => ({
      key: `api-topup-${index}`,
      usd: `0.${index + 1}`,
    }));

    // Act: every top-up sent three times at once, as a client retrying a lost answer would.
    const answers = await Promise.all(
      topUps.flatMap(({ key, usd }) =>
        Array.from({ length: 3 }, () =>
          world.call(
            'POST',
            `/admin/v1/users/${user.id}/balance`,
            { amountUsd: usd },
            { 'idempotency-key': key },
          ),
        ),
      ),
    );
    const late = await world.call(
      'POST',
      `/admin/v1/users/${user.id}/balance`,
      { amountUsd: '0.1' },
      { 'idempotency-key': 'api-topup-0' },
    );

    // Assess: 1 + 0.1 + 0.2 + … + 0.6 = 3.1 USD.
    for (const answer of answers) assert.equal(answer.status, 200, answer.text);
    const { user: stored } = await world.ok('GET', `/admin/v1/users/${user.id}`);
    assert.equal(stored.balanceNano, 3_100_000_000);
    for (const [index] of topUps.entries()) {
      const same = answers.slice(index * 3, index * 3 + 3).map((answer) => answer.json.balanceNano);
      assert.equal(new Set(same).size, 1, `one answer for key ${index}: ${same}`);
      const replays = answers
        .slice(index * 3, index * 3 + 3)
        .filter((a) => a.headers.get('idempotent-replayed'));
      assert.ok(replays.length <= 2);
    }
    assert.equal(late.status, 200);
    assert.equal(late.headers.get('idempotent-replayed'), 'true');
    assert.equal(late.json.balanceNano, answers[0]?.json.balanceNano);
    assert.equal(stored.moneyMarks, undefined);
  });

  it('refuses an idempotency key reused for another amount or user with 409, changing nothing', async () => {
    const user = await newUser('reuse@example.com', '0');
    const other = await newUser('reuse-other@example.com', '0');
    await world.ok(
      'POST',
      `/admin/v1/users/${user.id}/balance`,
      { amountUsd: '5' },
      { 'idempotency-key': 'reused' },
    );
    const before = await world.snapshot();

    const otherAmount = await world.call(
      'POST',
      `/admin/v1/users/${user.id}/balance`,
      { amountUsd: '6' },
      { 'idempotency-key': 'reused' },
    );
    const otherUser = await world.call(
      'POST',
      `/admin/v1/users/${other.id}/balance`,
      { amountUsd: '5' },
      { 'idempotency-key': 'reused' },
    );
    const badKey = await world.call(
      'POST',
      `/admin/v1/users/${user.id}/balance`,
      { amountUsd: '5' },
      { 'idempotency-key': 'has space' },
    );

    assert.equal(otherAmount.status, 409);
    assert.match(otherAmount.json.error.message, /already used to add 5\.00 USD to user usr_/);
    assert.equal(otherUser.status, 409);
    assert.equal(badKey.status, 400);
    assert.match(badKey.json.error.message, /idempotency key must be 1 to 255 visible ASCII/);
    assert.equal(await world.snapshot(), before);
  });

  it('applies each keyed top-up exactly once under concurrent retries through the CLI, on the tables and via --api', async () => {
    // Prepare
    const user = await newUser('cli-retries@example.com', '0');

    // Act
    const runs = await Promise.all(
      [0, 1, 2, 3].flatMap((index) =>
        [direct, viaApi, direct].map((run) =>
          run(
            'users',
            'add-balance',
            '--user',
            user.id,
            '--amount',
            '2.5',
            '--idempotency-key',
            `cli-topup-${index}`,
            '--json',
          ),
        ),
      ),
    );
    const retried = await direct(
      'users',
      'add-balance',
      user.id,
      '--amount',
      '2.5',
      '--idempotency-key',
      'cli-topup-3',
    );

    // Assess: four top-ups of 2.5 USD.
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const { user: stored } = await world.ok('GET', `/admin/v1/users/${user.id}`);
    assert.equal(stored.balanceNano, 10_000_000_000);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, /^Already applied \(idempotency key cli-topup-3\)/);
  });
});
