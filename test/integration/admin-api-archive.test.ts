import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AdminWorld, startAdminWorld } from './admin-api-harness.ts';

const idsOf = (data: { id: string }[]) => data.map((each) => each.id);

describe('admin API: archiving users', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(() => world.close());

  it('archives a user: disabled, hidden from the user and key listings, kept with balance and keys', async () => {
    // Prepare
    const kept = await world.ok('POST', '/admin/v1/users', { email: 'kept@example.com' });
    const gone = await world.ok('POST', '/admin/v1/users', { email: 'gone@example.com', balanceUsd: '3' });
    const key = await world.ok('POST', '/admin/v1/keys', { userId: gone.id });

    // Act
    const archived = await world.ok('POST', `/admin/v1/users/${gone.id}/archive`);
    const again = await world.ok('POST', `/admin/v1/users/${gone.id}/archive`);
    const listed = await world.ok('GET', '/admin/v1/users');
    const all = await world.ok('GET', '/admin/v1/users?archived=include');
    const only = await world.ok('GET', '/admin/v1/users?archived=only');
    const keys = await world.ok('GET', '/admin/v1/keys');
    const allKeys = await world.ok('GET', '/admin/v1/keys?archived=include');
    const shown = await world.ok('GET', `/admin/v1/users/${gone.id}`);

    // Assess
    assert.equal(archived.status, 'disabled');
    assert.equal(typeof archived.archivedAt, 'string');
    assert.equal(again.archivedAt, archived.archivedAt);
    assert.equal(again.version, archived.version);
    assert.deepEqual(idsOf(listed.data), [kept.id]);
    assert.deepEqual(idsOf(all.data), [kept.id, gone.id]);
    assert.deepEqual(idsOf(only.data), [gone.id]);
    assert.deepEqual(idsOf(keys.data), []);
    assert.deepEqual(idsOf(allKeys.data), [key.id]);
    assert.equal(shown.user.balanceNano, 3_000_000_000);
    assert.deepEqual(idsOf(shown.keys), [key.id]);
  });

  it('refuses to enable an archived user or give it a key, and unarchives it still disabled', async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'back@example.com' });
    await world.ok('POST', `/admin/v1/users/${user.id}/archive`);
    const before = await world.snapshot();

    // Act
    const enable = await world.call('PATCH', `/admin/v1/users/${user.id}`, { status: 'active' });
    const newKey = await world.call('POST', '/admin/v1/keys', { userId: user.id });
    const unchanged = await world.snapshot();
    const back = await world.ok('POST', `/admin/v1/users/${user.id}/unarchive`);
    const enabled = await world.ok('PATCH', `/admin/v1/users/${user.id}`, { status: 'active' });

    // Assess
    assert.equal(enable.status, 409);
    assert.match(enable.json.error.message, /archived; unarchive it first/);
    assert.equal(newKey.status, 409);
    assert.equal(unchanged, before);
    assert.equal(back.archivedAt, undefined);
    assert.equal(back.status, 'disabled');
    assert.equal(enabled.status, 'active');
  });

  it('answers 404 for an unknown user, 400 for a bad filter, 409 for a stale version', async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'pinned@example.com' });

    // Act
    const missing = await world.call('POST', '/admin/v1/users/usr_000000000000/archive');
    const filter = await world.call('GET', '/admin/v1/users?archived=maybe');
    const stale = await world.call('POST', `/admin/v1/users/${user.id}/archive`, undefined, {
      'if-match': '"7"',
    });

    // Assess
    assert.equal(missing.status, 404);
    assert.equal(filter.status, 400);
    assert.equal(stale.status, 409);
  });
});
