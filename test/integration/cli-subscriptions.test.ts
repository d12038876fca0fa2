import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { cliWorldForSuite } from './cli-harness.ts';

interface SubscriptionJson {
  userId: string;
  groupId: string;
  status: string;
  expiresAt: string;
}

describe('quotagate subscriptions', () => {
  const world = cliWorldForSuite();
  let userId: string;
  before(async () => {
    userId = (await world.ok<{ id: string }>('users', 'create', '--email', 'subs@example.com')).id;
    await world.ok('groups', 'create', '--id', 'pro', '--name', 'Pro', '--billing', 'subscription');
    await world.ok('groups', 'create', '--id', 'plain', '--name', 'Plain');
  });

  it('assigns a user to a subscription group until a date', async () => {
    // Act
    const subscription = await world.ok<SubscriptionJson>(
      'subscriptions',
      'assign',
      '--user',
      userId,
      '--group',
      'pro',
      '--until',
      '2099-01-01',
    );

    // Assess
    assert.deepEqual(
      [subscription.userId, subscription.groupId, subscription.status, subscription.expiresAt],
      [userId, 'pro', 'active', '2099-01-01T00:00:00.000Z'],
    );
  });

  it('refuses a second assignment while the subscription is active (conflict, nothing changed)', async () => {
    // Prepare
    const before = await world.snapshot();

    // Act
    const result = await world.run(
      'subscriptions',
      'assign',
      '--user',
      userId,
      '--group',
      'pro',
      '--until',
      '2098-01-01',
    );

    // Assess
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /already has an active subscription to group pro until 2099-01-01T00:00:00\.000Z/,
    );
    assert.equal(await world.snapshot(), before);
  });

  it('lists subscriptions by user and for everyone, and shows them on the user', async () => {
    // Act
    const mine = await world.ok<SubscriptionJson[]>('subscriptions', 'list', '--user', userId);
    const everyone = await world.ok<SubscriptionJson[]>('subscriptions', 'list');
    const shown = await world.ok<{ subscriptions: SubscriptionJson[] }>('users', 'show', userId);
    const table = await world.run('subscriptions', 'list', userId);

    // Assess
    assert.deepEqual(
      mine.map((subscription) => subscription.groupId),
      ['pro'],
    );
    assert.deepEqual(everyone, mine);
    assert.deepEqual(shown.subscriptions, mine);
    assert.match(
      table.stdout,
      new RegExp(`^${userId}\\s+pro\\s+active\\s+2099-01-01 00:00 UTC\\s+0\\.00 USD$`, 'm'),
    );
  });

  it('extends, cancels, and re-assigns a cancelled subscription', async () => {
    // Act
    const extended = await world.ok<SubscriptionJson>(
      'subscriptions',
      'extend',
      '--user',
      userId,
      '--group',
      'pro',
      '--until',
      '2100-06-30T12:00:00Z',
    );
    const cancelled = await world.ok<SubscriptionJson>(
      'subscriptions',
      'cancel',
      '--user',
      userId,
      '--group',
      'pro',
    );
    const reassigned = await world.ok<SubscriptionJson>(
      'subscriptions',
      'assign',
      '--user',
      userId,
      '--group',
      'pro',
      '--until',
      '2099-03-01',
    );

    // Assess
    assert.equal(extended.expiresAt, '2100-06-30T12:00:00.000Z');
    assert.equal(cancelled.status, 'disabled');
    assert.deepEqual([reassigned.status, reassigned.expiresAt], ['active', '2099-03-01T00:00:00.000Z']);
  });

  for (const [label, args, code, sentence] of [
    [
      'a balance-billed group',
      ['--group', 'plain', '--until', '2099-01-01'],
      2,
      /Group plain bills by balance/,
    ],
    ['a past end date', ['--group', 'pro', '--until', '2000-01-01'], 2, /End date must be in the future/],
    [
      'an end date that is not a date',
      ['--group', 'pro', '--until', '01/02/2099'],
      2,
      /End date must be an ISO date/,
    ],
    [
      'a group that does not exist',
      ['--group', 'gone', '--until', '2099-01-01'],
      1,
      /Group gone does not exist\./,
    ],
    ['a missing end date', ['--group', 'pro'], 2, /needs the flag --until/],
  ] as const) {
    it(`refuses to assign with ${label}`, async () => {
      // Prepare
      const before = await world.snapshot();

      // Act
      const result = await world.run('subscriptions', 'assign', '--user', userId, ...args);

      // Assess
      assert.equal(result.code, code);
      assert.match(result.stderr, sentence);
      assert.equal(await world.snapshot(), before);
    });
  }

  it('reports cancelling a subscription that does not exist as not found', async () => {
    // Act
    const result = await world.run('subscriptions', 'cancel', '--user', userId, '--group', 'plain');

    // Assess
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `Error: User ${userId} has no subscription to group plain.\n`);
  });
});
