/**
 * Deleting accounts and groups: only what nothing uses any more, pinned by version when asked,
 * the same on the tables and through `--api`; usage records keep naming what was deleted, so
 * history and exports are unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliWorldForSuite } from './cli-harness.ts';

describe('quotagate accounts delete and groups delete', { timeout: 60_000 }, () => {
  const world = cliWorldForSuite({ adminApi: true });

  it('deletes a disabled account only, and its usage records stay', async () => {
    const account = await world.apiKeyAccount('old');
    const now = new Date().toISOString();
    await world.recordRequest({
      requestId: 'req_deleted_account',
      userId: 'usr_1',
      apiKeyId: 'key_1',
      accountId: account.id,
      startedAt: now,
      endedAt: now,
    });

    const before = await world.snapshot();
    const active = await world.viaApi('accounts', 'delete', account.id);
    assert.equal(active.code, 1);
    assert.match(active.stderr, /is active; disable it first/);
    assert.equal(await world.snapshot(), before);

    await world.ok('accounts', 'disable', account.id);
    const stale = await world.run('accounts', 'delete', account.id, '--if-version', '1');
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /changed by someone else/);
    const deleted = await world.viaApi('accounts', 'delete', account.id, '--json');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(deleted.json(), { id: account.id, deleted: true });
    const gone = await world.run('accounts', 'show', account.id);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /does not exist/);

    const day = now.slice(0, 10);
    const exported = await world.run('usage', 'export', '--from', day, '--to', day, '--format', 'jsonl');
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, new RegExp(`"accountId":"${account.id}"`));
  });

  it('deletes a group only when no account, key or subscription uses it', async () => {
    await world.ok('groups', 'create', '--id', 'trial', '--name', 'Trial');
    const user = await world.ok<{ id: string }>('users', 'create', '--email', 'trial@example.com');
    const key = await world.ok<{ id: string }>('keys', 'create', '--user', user.id, '--group', 'trial');

    const before = await world.snapshot();
    const used = await world.run('groups', 'delete', 'trial');
    assert.equal(used.code, 1);
    assert.equal(used.stderr, 'Error: Group trial is in use: 1 API key(s) use it.\n');
    assert.equal(await world.snapshot(), before);

    // A revoked key still names the group: it stays in use.
    await world.ok('keys', 'revoke', key.id);
    assert.equal((await world.viaApi('groups', 'delete', 'trial')).code, 1);

    await world.ok('groups', 'create', '--id', 'spare', '--name', 'Spare');
    const deleted = await world.viaApi('groups', 'delete', 'spare', '--json');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(deleted.json(), { id: 'spare', deleted: true });
    const again = await world.run('groups', 'delete', 'spare');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Group spare does not exist/);
  });
});
