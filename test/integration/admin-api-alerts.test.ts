import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Alert } from '#shared/alerts/alert.ts';
import { DynamoAlertStore } from '#shared/store/dynamo/alert-store.ts';
import { type AdminWorld, startAdminWorld } from './admin-api-harness.ts';

const alert = (at: string, userId: string): Alert => ({
  alertId: `low_balance:${userId}:req-${at}`,
  kind: 'low_balance',
  at,
  userId,
  valueNano: 400_000_000,
  limitNano: 1_000_000_000,
  requestId: `req-${at}`,
});

describe('admin API: alerts', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(() => world.close());

  it('lists the alerts of the last days, newest first, within the limit, and none still pending', async () => {
    // Prepare: three alerts, one older than the default 7 days; a newer one whose claim is
    // not known to be won yet.
    const store = new DynamoAlertStore(world.client, world.tables);
    const day = 86_400_000;
    const now = Date.now();
    const times = [now - 10 * day, now - 2 * day, now - 60_000].map((ms) => new Date(ms).toISOString());
    const claimOf = (stored: Alert) =>
      ({ kind: 'low_balance', userId: stored.userId, thresholdNano: 1, at: stored.at }) as const;
    for (const [index, at] of times.entries()) {
      const stored = alert(at, `usr_${index}`);
      await store.putPending(stored, claimOf(stored));
      await store.confirm(stored);
    }
    const pending = alert(new Date(now - 30_000).toISOString(), 'usr_pending');
    await store.putPending(pending, claimOf(pending));

    // Act
    const recent = await world.ok('GET', '/admin/v1/alerts');
    const month = await world.ok('GET', '/admin/v1/alerts?days=30&limit=2');

    // Assess
    assert.deepEqual(
      recent.data.map((each: Alert) => each.userId),
      ['usr_2', 'usr_1'],
    );
    assert.deepEqual(
      month.data.map((each: Alert) => each.userId),
      ['usr_2', 'usr_1'],
    );
    assert.equal(recent.data[0].limitNano, 1_000_000_000);
  });

  it('sets and removes the defaults, with 80 % in force when none is set', async () => {
    // Act
    const before = await world.ok('GET', '/admin/v1/alerts/defaults');
    const set = await world.ok('PUT', '/admin/v1/alerts/defaults', {
      lowBalanceAlertUsd: '2.5',
      keyAlertPercent: 90,
    });
    const removed = await world.ok('PUT', '/admin/v1/alerts/defaults', { keyAlertPercent: 'none' });

    // Assess
    assert.deepEqual(before, { effectiveKeyAlertPercent: 80 });
    assert.deepEqual(set, {
      lowBalanceAlertNano: 2_500_000_000,
      keyAlertPercent: 90,
      effectiveKeyAlertPercent: 90,
    });
    assert.deepEqual(removed, { lowBalanceAlertNano: 2_500_000_000, effectiveKeyAlertPercent: 80 });
  });

  it("sets a user's own threshold and a key's own percent, and removes them with none", async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'alerted@example.com' });
    const key = await world.ok('POST', '/admin/v1/keys', { userId: user.id, quotaUsd: '10' });

    // Act
    const withThreshold = await world.ok('PATCH', `/admin/v1/users/${user.id}`, { lowBalanceAlertUsd: '1' });
    const withPercent = await world.ok('PATCH', `/admin/v1/keys/${key.id}`, { alertPercent: 50 });
    const without = await world.ok('PATCH', `/admin/v1/users/${user.id}`, { lowBalanceAlertUsd: 'none' });
    const keyWithout = await world.ok('PATCH', `/admin/v1/keys/${key.id}`, { alertPercent: 'none' });

    // Assess
    assert.equal(withThreshold.lowBalanceAlertNano, 1_000_000_000);
    assert.equal(withPercent.alertPercent, 50);
    assert.equal(without.lowBalanceAlertNano, undefined);
    assert.equal(keyWithout.alertPercent, undefined);
  });

  it('refuses bad alert input with an OpenAI-shaped 400 and changes nothing', async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'bad-alerts@example.com' });
    const key = await world.ok('POST', '/admin/v1/keys', { userId: user.id });
    const before = await world.snapshot();

    // Act
    const answers = await Promise.all([
      world.call('PUT', '/admin/v1/alerts/defaults', { keyAlertPercent: 101 }),
      world.call('PUT', '/admin/v1/alerts/defaults', { lowBalanceAlertUsd: '-1' }),
      world.call('PUT', '/admin/v1/alerts/defaults', {}),
      world.call('PUT', '/admin/v1/alerts/defaults', { color: 'red' }),
      world.call('PATCH', `/admin/v1/keys/${key.id}`, { alertPercent: 0 }),
      world.call('PATCH', `/admin/v1/users/${user.id}`, { lowBalanceAlertUsd: 'lots' }),
      world.call('GET', '/admin/v1/alerts?days=31'),
      world.call('GET', '/admin/v1/alerts?limit=0'),
    ]);

    // Assess
    for (const answer of answers) {
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.json.error.type, 'invalid_request_error');
    }
    assert.equal(await world.snapshot(), before);
  });
});
