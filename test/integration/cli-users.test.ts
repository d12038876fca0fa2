import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliWorldForSuite } from './cli-harness.ts';

interface UserJson {
  id: string;
  email: string;
  status: string;
  concurrency: number;
  balanceNano: number;
  version: number;
}

describe('quotagate users', () => {
  const world = cliWorldForSuite();

  it('creates a user and prints it as JSON with the balance in nano-USD', async () => {
    // Act
    const user = await world.ok<UserJson>('users', 'create', '--email', 'Ada@Example.com', '--balance', '10');

    // Assess
    assert.match(user.id, /^usr_[0-9a-z]{12}$/);
    assert.equal(user.email, 'ada@example.com');
    assert.equal(user.balanceNano, 10_000_000_000);
    assert.equal(user.concurrency, 5);
    assert.equal(user.status, 'active');
  });

  it('converts decimal balances exactly, without float rounding', async () => {
    // Act
    const tenth = await world.ok<UserJson>(
      'users',
      'create',
      '--email',
      'tenth@example.com',
      '--balance',
      '0.1',
    );
    const odd = await world.ok<UserJson>(
      'users',
      'create',
      '--email',
      'odd@example.com',
      '--balance',
      '1.000000007',
    );

    // Assess
    assert.equal(tenth.balanceNano, 100_000_000);
    assert.equal(odd.balanceNano, 1_000_000_007);
  });

  it('accepts concurrency 0 as unlimited and says so to humans', async () => {
    // Act
    const result = await world.run('users', 'create', '--email', 'free@example.com', '--concurrency', '0');

    // Assess
    assert.equal(result.code, 0);
    assert.match(
      result.stdout,
      /^Created user usr_\w+ \(free@example\.com\): active, balance 0\.00 USD, concurrency unlimited\.\n$/,
    );
  });

  it('lists users as an aligned table and as a JSON array', async () => {
    // Act
    const table = await world.run('users', 'list');
    const json = await world.ok<UserJson[]>('users', 'list');

    // Assess
    assert.equal(table.code, 0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^ID\s+EMAIL\s+STATUS\s+CONCURRENCY\s+BALANCE\s+CREATED$/);
    assert.equal(rows.length, json.length);
    assert.equal(header?.indexOf('EMAIL'), rows[0]?.indexOf(json[0]?.email ?? '?'));
    assert.ok(json.some((user) => user.email === 'ada@example.com'));
  });

  it('shows a user with their keys and subscriptions', async () => {
    // Prepare
    const user = await world.ok<UserJson>('users', 'create', '--email', 'show@example.com');
    await world.ok('keys', 'create', '--user', user.id, '--name', 'laptop');

    // Act
    const details = await world.ok<{ user: UserJson; keys: { name: string }[]; subscriptions: unknown[] }>(
      'users',
      'show',
      user.id,
    );
    const text = await world.run('users', 'show', '--user', user.id);

    // Assess
    assert.equal(details.user.id, user.id);
    assert.deepEqual(
      details.keys.map((key) => key.name),
      ['laptop'],
    );
    assert.deepEqual(details.subscriptions, []);
    assert.match(text.stdout, /Email:\s+show@example\.com/);
    assert.match(text.stdout, /Keys:\n.*laptop/s);
  });

  it('replaces balance and concurrency with set, and adds to the balance atomically', async () => {
    // Prepare
    const user = await world.ok<UserJson>('users', 'create', '--email', 'set@example.com', '--balance', '1');

    // Act
    const set = await world.ok<UserJson>(
      'users',
      'set',
      '--user',
      user.id,
      '--balance',
      '2.5',
      '--concurrency',
      '9',
    );
    const added = await world.ok<UserJson>('users', 'add-balance', '--user', user.id, '--amount', '0.25');
    const deducted = await world.ok<UserJson>('users', 'add-balance', '--user', user.id, '--amount=-1');

    // Assess
    assert.equal(set.balanceNano, 2_500_000_000);
    assert.equal(set.concurrency, 9);
    assert.equal(added.balanceNano, 2_750_000_000);
    assert.equal(deducted.balanceNano, 1_750_000_000);
    assert.equal(deducted.version, 4);
  });

  it('disables and re-enables a user', async () => {
    // Prepare
    const user = await world.ok<UserJson>('users', 'create', '--email', 'toggle@example.com');

    // Act
    const disabled = await world.ok<UserJson>('users', 'disable', user.id);
    const enabled = await world.ok<UserJson>('users', 'enable', '--user', user.id);

    // Assess
    assert.equal(disabled.status, 'disabled');
    assert.equal(enabled.status, 'active');
  });

  for (const [label, args, sentence] of [
    ['a bad email', ['--email', 'not-an-email'], /Email "not-an-email" is not a valid email address\./],
    [
      'a negative concurrency',
      ['--email', 'neg@example.com', '--concurrency=-1'],
      /Concurrency must be a whole number of 0 or more/,
    ],
    [
      'a fractional concurrency',
      ['--email', 'frac@example.com', '--concurrency', '1.5'],
      /Concurrency must be a whole number/,
    ],
    ['a negative balance', ['--email', 'neg@example.com', '--balance=-3'], /Balance must not be negative/],
    [
      'a balance finer than a nano-USD',
      ['--email', 'fine@example.com', '--balance', '0.0000000001'],
      /more than 9 decimals/,
    ],
    [
      'a balance that is not a number',
      ['--email', 'nan@example.com', '--balance', '1e3'],
      /Balance must be a USD amount/,
    ],
    ['a missing email', [], /needs the flag --email/],
  ] as const) {
    it(`refuses ${label} with exit 2, a sentence on stderr and no data changed`, async () => {
      // Prepare
      const before = await world.snapshot();

      // Act
      const result = await world.run('users', 'create', ...args, '--json');

      // Assess
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^Error: /);
      assert.match(result.stderr, sentence);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
      assert.equal(await world.snapshot(), before);
    });
  }

  it('refuses a second user with the same email as a conflict (exit 1)', async () => {
    // Prepare
    await world.ok('users', 'create', '--email', 'twice@example.com');
    const before = await world.snapshot();

    // Act
    const result = await world.run('users', 'create', '--email', 'TWICE@example.com');

    // Assess
    assert.equal(result.code, 1);
    assert.match(result.stderr, /A user with email twice@example\.com already exists \(usr_\w+\)\./);
    assert.equal(await world.snapshot(), before);
  });

  it('refuses a set pinned to a stale version, so two admins cannot overwrite each other', async () => {
    // Prepare
    const user = await world.ok<UserJson>('users', 'create', '--email', 'race@example.com');
    await world.ok(
      'users',
      'set',
      '--user',
      user.id,
      '--concurrency',
      '7',
      '--if-version',
      String(user.version),
    );
    const before = await world.snapshot();

    // Act
    const result = await world.run(
      'users',
      'set',
      '--user',
      user.id,
      '--concurrency',
      '3',
      '--if-version',
      String(user.version),
    );

    // Assess
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /User usr_\w+ was changed by someone else \(it is now at version 2\); read it again and retry\./,
    );
    assert.equal(await world.snapshot(), before);
  });

  it('reports an unknown user as not found (exit 1)', async () => {
    // Act
    const result = await world.run('users', 'set', '--user', 'usr_missing', '--balance', '1');

    // Assess
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'Error: User usr_missing does not exist.\n');
  });

  it('refuses set without anything to change', async () => {
    // Act
    const result = await world.run('users', 'set', '--user', 'usr_any');

    // Assess
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Nothing to change: give a balance, a concurrency or a low-balance alert\./);
  });
});
