/**
 * `quotagate keys list` across users, `keys disable` / `keys enable` on the tables and through
 * `--api` (the same JSON either way), and `quotagate --version`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { cliWorldForSuite, runCliCaptured } from './cli-harness.ts';

describe('quotagate keys across users, disable and enable', { timeout: 60_000 }, () => {
  const world = cliWorldForSuite({ adminApi: true });
  const ids: Record<string, string> = {};

  before(async () => {
    for (const name of ['ada', 'bob']) {
      const user = await world.ok<{ id: string }>('users', 'create', '--email', `${name}@example.com`);
      ids[name] = user.id;
      ids[`${name}Key`] = (
        await world.ok<{ id: string }>('keys', 'create', '--user', user.id, '--name', name)
      ).id;
    }
  });

  const api = (...args: string[]) => world.viaApi(...args, '--json');

  it("lists every user's keys without --user, on the tables and through --api alike", async () => {
    const direct = await world.ok<{ id: string; userId: string }[]>('keys', 'list');
    assert.deepEqual(direct.map((key) => key.id).sort(), [ids.adaKey, ids.bobKey].sort());
    const viaApi = await api('keys', 'list');
    assert.equal(viaApi.code, 0, viaApi.stderr);
    assert.deepEqual(viaApi.json(), direct);
    const table = await world.run('keys', 'list');
    assert.match(table.stdout, /USER/);
    assert.match(table.stdout, new RegExp(ids.bob as string));
  });

  it('disables a key and enables it again, and keeps a revoked key revoked', async () => {
    const disabled = await world.ok<{ status: string }>('keys', 'disable', ids.adaKey as string);
    assert.equal(disabled.status, 'disabled');
    const enabledViaApi = await api('keys', 'enable', ids.adaKey as string);
    assert.equal(enabledViaApi.code, 0, enabledViaApi.stderr);
    assert.equal(enabledViaApi.json<{ status: string }>().status, 'active');

    await world.ok('keys', 'revoke', ids.bobKey as string);
    const before = await world.snapshot();
    const refused = await world.run('keys', 'enable', ids.bobKey as string);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /was revoked at .*create a new key instead/);
    const refusedViaApi = await api('keys', 'enable', ids.bobKey as string);
    assert.equal(refusedViaApi.code, 1);
    assert.equal(refusedViaApi.stderr, refused.stderr);
    assert.equal(await world.snapshot(), before);
    const listed = await world.run('keys', 'list', '--user', ids.bob as string);
    assert.match(listed.stdout, /revoked/);
  });

  it('changes and removes a key’s limits with keys set, on the tables and through --api alike', async () => {
    // Prepare
    const key = await world.ok<{ id: string }>('keys', 'create', '--user', ids.ada as string, '--rpm', '5');

    // Act
    const direct = await world.ok<Record<string, unknown>>(
      'keys',
      'set',
      key.id,
      '--allow-ips',
      '192.0.2.0/24,::1',
      '--budget',
      '7',
      '--budget-period',
      'monthly',
    );
    const viaApi = await api('keys', 'set', key.id, '--allow-ips', 'none', '--rpm', '12');
    const before = await world.snapshot();
    const refused = await world.run('keys', 'set', key.id, '--allow-ips', '192.0.2.0/40');
    const refusedViaApi = await api('keys', 'set', key.id, '--allow-ips', '192.0.2.0/40');
    const nothing = await world.run('keys', 'set', key.id);

    // Assess
    assert.deepEqual(direct.allowedIps, ['192.0.2.0/24', '::1/128']);
    assert.equal(direct.requestsPerMinute, 5, 'a limit not given stays');
    assert.deepEqual(direct.budget, { period: 'monthly', limitNano: 7_000_000_000 });
    assert.equal(viaApi.code, 0, viaApi.stderr);
    const changed = viaApi.json<Record<string, unknown>>();
    assert.equal(changed.allowedIps, undefined, 'none removes the allow-list');
    assert.equal(changed.requestsPerMinute, 12);
    assert.deepEqual(changed.budget, { period: 'monthly', limitNano: 7_000_000_000 });
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /Allowed IPs: "192\.0\.2\.0\/40" is not an IPv4 or IPv6 address or CIDR block/,
    );
    assert.equal(refusedViaApi.stderr, refused.stderr);
    assert.equal(await world.snapshot(), before);
    assert.equal(nothing.code, 2);
    assert.match(
      nothing.stderr,
      /Nothing to change: give allowed IPs, requests per minute, a budget or an alert percent/,
    );
  });

  it('prints its version, from package.json', async () => {
    const expected = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    const text = await runCliCaptured(['--version'], {});
    assert.equal(text.code, 0);
    assert.equal(text.stdout, `quotagate ${expected}\n`);
    const json = await runCliCaptured(['--version', '--json'], {});
    assert.deepEqual(json.json(), { version: expected });
  });
});
