import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { cliWorldForSuite } from './cli-harness.ts';

interface KeyJson {
  id: string;
  key: string;
  prefix: string;
  userId: string;
  groupId: string;
  name: string;
  status: string;
  expiresAt?: string;
  quotaNano?: number;
  allowedModels?: string[];
  allowedIps?: string[];
  requestsPerMinute?: number;
  budget?: { period: string; limitNano: number };
  hash?: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('quotagate keys', () => {
  const world = cliWorldForSuite();
  let userId: string;
  before(async () => {
    userId = (await world.ok<{ id: string }>('users', 'create', '--email', 'keys@example.com')).id;
  });

  it('creates a key in the default group, created on first use with multiplier 1 and balance billing', async () => {
    // Act
    const key = await world.ok<KeyJson>('keys', 'create', '--user', userId);
    const group = await world.ok<{ group: { id: string; rateMultiplier: number; billingMode: string } }>(
      'groups',
      'show',
      'default',
    );

    // Assess
    assert.match(key.id, /^key_[0-9a-z]{12}$/);
    assert.match(key.key, /^sk-qg-[A-Za-z0-9_-]{40,}$/);
    assert.equal(key.prefix, key.key.slice(0, key.prefix.length));
    assert.equal(key.groupId, 'default');
    assert.equal(key.hash, undefined);
    assert.deepEqual(
      {
        id: group.group.id,
        rateMultiplier: group.group.rateMultiplier,
        billingMode: group.group.billingMode,
      },
      { id: 'default', rateMultiplier: 1, billingMode: 'balance' },
    );
  });

  it('stores only the sha256 of the secret: the secret appears nowhere in any table', async () => {
    // Act
    const key = await world.ok<KeyJson>('keys', 'create', '--user', userId, '--name', 'hash-check');
    const snapshot = await world.snapshot();

    // Assess
    assert.ok(snapshot.includes(`"pk":"KEY#${sha256(key.key)}"`));
    assert.ok(snapshot.includes(`"hash":"${sha256(key.key)}"`));
    assert.ok(!snapshot.includes(key.key));
    assert.ok(!snapshot.includes(key.key.slice(12)));
  });

  it('records name, expiry, quota, allowed models, allowed IPs and requests per minute', async () => {
    // Act
    const key = await world.ok<KeyJson>(
      'keys',
      'create',
      '--user',
      userId,
      '--name',
      'laptop',
      '--expires',
      '2099-01-01',
      '--quota',
      '50',
      '--models',
      'gpt-5, gpt-5-mini,gpt-5',
      '--allow-ips',
      '10.1.2.3/8, 192.0.2.7,2001:DB8::/32',
      '--rpm',
      '60',
      '--budget',
      '2.5',
      '--budget-period',
      'Weekly',
    );

    // Assess
    assert.equal(key.name, 'laptop');
    assert.equal(key.expiresAt, '2099-01-01T00:00:00.000Z');
    assert.equal(key.quotaNano, 50_000_000_000);
    assert.deepEqual(key.allowedModels, ['gpt-5', 'gpt-5-mini']);
    assert.deepEqual(key.allowedIps, ['10.1.2.3/8', '192.0.2.7/32', '2001:db8::/32']);
    assert.equal(key.requestsPerMinute, 60);
    assert.deepEqual(key.budget, { period: 'weekly', limitNano: 2_500_000_000 });
  });

  it('shows the secret once to humans with a warning that it will not be shown again', async () => {
    // Act
    const result = await world.run('keys', 'create', '--user', userId);

    // Assess
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^ {2}sk-qg-\S{40,}$/m);
    assert.match(result.stdout, /only time it is shown/);
  });

  it('lists a user’s keys without secrets or hashes', async () => {
    // Prepare
    const created = await world.ok<KeyJson>('keys', 'create', '--user', userId, '--name', 'listed');

    // Act
    const keys = await world.ok<KeyJson[]>('keys', 'list', '--user', userId);
    const table = await world.run('keys', 'list', userId);

    // Assess
    const listed = keys.find((key) => key.id === created.id);
    assert.equal(listed?.name, 'listed');
    assert.equal(listed?.key, undefined);
    assert.equal(listed?.hash, undefined);
    assert.ok(!JSON.stringify(keys).includes(created.key));
    assert.match(
      table.stdout,
      /^ID\s+PREFIX\s+NAME\s+USER\s+GROUP\s+STATUS\s+EXPIRES\s+USED\s+QUOTA\s+MODELS$/m,
    );
    assert.ok(!table.stdout.includes(created.key));
  });

  it('puts a key in a named group and refuses a group that does not exist', async () => {
    // Prepare
    await world.ok('groups', 'create', '--id', 'team', '--name', 'Team');
    const before = await world.snapshot();

    // Act
    const missing = await world.run('keys', 'create', '--user', userId, '--group', 'nope');
    const snapshotAfterMissing = await world.snapshot();
    const key = await world.ok<KeyJson>('keys', 'create', '--user', userId, '--group', 'team');

    // Assess
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: Group nope does not exist.\n');
    assert.equal(snapshotAfterMissing, before);
    assert.equal(key.groupId, 'team');
  });

  it('revokes a key by id, and revoking again changes nothing', async () => {
    // Prepare
    const key = await world.ok<KeyJson>('keys', 'create', '--user', userId, '--name', 'doomed');

    // Act
    const revoked = await world.ok<KeyJson>('keys', 'revoke', '--key', key.id);
    const before = await world.snapshot();
    const again = await world.run('keys', 'revoke', key.id);

    // Assess
    assert.equal(revoked.status, 'disabled');
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`API key ${key.id} \\(sk-qg-\\S+…\\) is revoked\\.`));
    assert.equal(await world.snapshot(), before);
  });

  for (const [label, args, code, sentence] of [
    ['a past expiry', ['--expires', '2001-01-01'], 2, /Expiry must be in the future/],
    [
      'an expiry that is not a date',
      ['--expires', 'tomorrow'],
      2,
      /Expiry must be an ISO date such as 2027-01-01/,
    ],
    [
      'an impossible calendar date',
      ['--expires', '2099-02-30'],
      2,
      /Expiry "2099-02-30" is not a calendar date\./,
    ],
    ['a negative quota', ['--quota=-5'], 2, /Quota must not be negative/],
    ['an empty model in the list', ['--models', 'gpt-5,,x'], 2, /Models must be a comma-separated list/],
    [
      'an IP allow-list entry that is not a CIDR block',
      ['--allow-ips', '10.0.0.0/8,300.1.1.1/8'],
      2,
      /Allowed IPs: "300\.1\.1\.1\/8" is not an IPv4 or IPv6 address or CIDR block/,
    ],
    ['a budget without a period', ['--budget', '5'], 2, /A budget needs both an amount in USD and a period/],
    [
      'an unknown budget period',
      ['--budget', '5', '--budget-period', 'yearly'],
      2,
      /Budget period must be daily, weekly or monthly, got "yearly"/,
    ],
    ['a negative budget', ['--budget=-5', '--budget-period', 'daily'], 2, /Budget must not be negative/],
    [
      'a request rate of 0',
      ['--rpm', '0'],
      2,
      /Requests per minute must be 1 or more; to stop a key, disable it\./,
    ],
    ['a fractional request rate', ['--rpm', '2.5'], 2, /Requests per minute must be a whole number/],
    ['an IPv6 prefix past 128 bits', ['--allow-ips', '::1/129'], 2, /"::1\/129" is not an IPv4 or IPv6/],
  ] as const) {
    it(`refuses ${label} and creates nothing`, async () => {
      // Prepare
      const before = await world.snapshot();

      // Act
      const result = await world.run('keys', 'create', '--user', userId, ...args);

      // Assess
      assert.equal(result.code, code);
      assert.match(result.stderr, sentence);
      assert.equal(await world.snapshot(), before);
    });
  }

  it('refuses keys for a user that does not exist, and revoking a key that does not exist', async () => {
    // Act
    const create = await world.run('keys', 'create', '--user', 'usr_nobody');
    const revoke = await world.run('keys', 'revoke', '--key', 'key_nothing');

    // Assess
    assert.deepEqual([create.code, create.stderr], [1, 'Error: User usr_nobody does not exist.\n']);
    assert.deepEqual([revoke.code, revoke.stderr], [1, 'Error: API key key_nothing does not exist.\n']);
  });
});
