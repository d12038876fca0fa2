import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sdkRequester } from '#shared/store/dynamo/sdk-requester.ts';
import { DynamoSlotStore } from '#shared/store/dynamo/slot-store.ts';
import { type AdminWorld, startAdminWorld } from './admin-api-harness.ts';

const PLATFORM_KEY = 'sk-proj-platform-secret-0123456789';
const ACCESS_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjb2RleCJ9.c2lnbmF0dXJl';
const REFRESH_TOKEN = 'rt_refresh-secret-0123456789';

describe('admin API: accounts', () => {
  let world: AdminWorld;
  let platform: { id: string; version: number };
  before(async () => {
    world = await startAdminWorld();
    platform = await world.ok('POST', '/admin/v1/accounts', {
      type: 'apikey',
      name: 'platform',
      apiKey: PLATFORM_KEY,
      concurrency: 3,
      modelMapping: { 'gpt-5': 'gpt-5.1' },
    });
  });
  after(async () => {
    await world.close();
  });

  it('never shows credentials, in any answer', async () => {
    // Act
    const oauth = await world.call('POST', '/admin/v1/accounts', {
      type: 'oauth',
      name: 'codex-1',
      accessToken: ACCESS_TOKEN,
      refreshToken: REFRESH_TOKEN,
      chatgptAccountId: 'chatgpt-acct-1',
      expiresAt: '2027-01-01T00:00:00Z',
    });
    const answers = [
      oauth.text,
      (await world.call('GET', '/admin/v1/accounts')).text,
      (await world.call('GET', `/admin/v1/accounts/${platform.id}`)).text,
      (await world.call('GET', `/admin/v1/accounts/${oauth.json.id}/health`)).text,
    ];

    // Assess
    assert.equal(oauth.status, 201);
    assert.equal(oauth.json.tokenExpiresAt, '2027-01-01T00:00:00.000Z');
    for (const text of answers) {
      for (const secret of [PLATFORM_KEY, ACCESS_TOKEN, REFRESH_TOKEN]) assert.ok(!text.includes(secret));
      assert.ok(!text.includes('credentials'));
    }
  });

  it('changes priority and mapping pinned to a version, and refuses the stale second change', async () => {
    // Act
    const changed = await world.call(
      'PATCH',
      `/admin/v1/accounts/${platform.id}`,
      { priority: 1, modelMapping: ['gpt-5=gpt-5.1-codex'] },
      { 'if-match': String(platform.version) },
    );
    const stale = await world.call(
      'PATCH',
      `/admin/v1/accounts/${platform.id}`,
      { priority: 2 },
      { 'if-match': String(platform.version) },
    );

    // Assess
    assert.equal(changed.status, 200);
    assert.equal(changed.json.priority, 1);
    assert.deepEqual(changed.json.modelMapping, { 'gpt-5': 'gpt-5.1-codex' });
    assert.equal(changed.headers.get('etag'), `"${platform.version + 1}"`);
    assert.equal(stale.status, 409);
    assert.equal((await world.ok('GET', `/admin/v1/accounts/${platform.id}`)).priority, 1);
  });

  it('takes custom error codes on create and PATCH, and refuses anything but 4xx/5xx statuses', async () => {
    // Act
    const created = await world.call('POST', '/admin/v1/accounts', {
      type: 'apikey',
      name: 'with-codes',
      apiKey: PLATFORM_KEY,
      customErrorCodes: [403, 401],
    });
    const patched = await world.call('PATCH', `/admin/v1/accounts/${created.json.id}`, {
      customErrorCodes: '429',
    });
    const refused = await world.call('PATCH', `/admin/v1/accounts/${created.json.id}`, {
      customErrorCodes: [true],
    });
    const outOfRange = await world.call('PATCH', `/admin/v1/accounts/${created.json.id}`, {
      customErrorCodes: [302],
    });
    const after = await world.call('GET', `/admin/v1/accounts/${created.json.id}`);

    // Assess
    assert.deepEqual([created.status, created.json.customErrorCodes], [201, [401, 403]]);
    assert.deepEqual(patched.json.customErrorCodes, [429]);
    assert.deepEqual([refused.status, outOfRange.status], [400, 400]);
    assert.deepEqual(after.json.customErrorCodes, [429]);
  });

  it('adds the account to a group and removes it again', async () => {
    // Prepare
    await world.ok('POST', '/admin/v1/groups', { id: 'team', name: 'Team' });

    // Act
    const added = await world.ok('POST', `/admin/v1/accounts/${platform.id}/groups`, { groupId: 'team' });
    const removed = await world.ok('DELETE', `/admin/v1/accounts/${platform.id}/groups/team`);
    const missing = await world.call('DELETE', `/admin/v1/accounts/${platform.id}/groups/team`);

    // Assess
    assert.ok(added.groupIds.includes('team'));
    assert.ok(!removed.groupIds.includes('team'));
    assert.equal(missing.status, 404);
  });

  it('reports health: state, reason, cooldown, Codex 5h/7d usage and live in-flight slots', async () => {
    // Prepare: a cooldown and a Codex snapshot as the gateway and recorder write them, two live leases, one lapsed
    const now = Date.now();
    await world.store.update('account', platform.id, {
      health: {
        state: 'rate_limited',
        reason: 'upstream 429',
        until: now + 120_000,
        updatedAt: new Date(now).toISOString(),
      },
      codexUsage: {
        fiveHour: { usedPercent: 42, windowMinutes: 300, resetsAt: now + 3_600_000 },
        sevenDay: { usedPercent: 7, windowMinutes: 10_080 },
        updatedAt: now,
      },
    });
    const slots = new DynamoSlotStore(sdkRequester(world.client), world.tables.state);
    const pool = { kind: 'slot', scope: 'acct', id: platform.id } as const;
    const nowSeconds = Math.floor(now / 1000);
    await slots.take(pool, 0, 'req_a', nowSeconds + 90, nowSeconds);
    await slots.take(pool, 1, 'req_b', nowSeconds + 90, nowSeconds);
    await slots.take(pool, 2, 'req_dead', nowSeconds - 5, nowSeconds - 100);
    await slots.take({ ...pool, kind: 'wait' }, 0, 'req_c', nowSeconds + 90, nowSeconds);

    // Act
    const health = await world.ok('GET', `/admin/v1/accounts/${platform.id}/health`);

    // Assess
    assert.equal(health.state, 'rate_limited');
    assert.equal(health.reason, 'upstream 429');
    assert.equal(health.until, new Date(now + 120_000).toISOString());
    assert.equal(health.coolingDown, true);
    assert.equal(health.schedulable, false);
    assert.deepEqual(health.codexUsage.fiveHour, {
      usedPercent: 42,
      windowMinutes: 300,
      resetsAt: new Date(now + 3_600_000).toISOString(),
    });
    assert.equal(health.codexUsage.sevenDay.usedPercent, 7);
    assert.equal(health.inFlight, 2);
    assert.equal(health.waiting, 1);
    assert.equal(health.concurrency, 3);
  });

  it('clears the health back to ok', async () => {
    // Act
    const cleared = await world.ok('POST', `/admin/v1/accounts/${platform.id}/clear`);
    const health = await world.ok('GET', `/admin/v1/accounts/${platform.id}/health`);

    // Assess
    assert.equal(cleared.health.state, 'ok');
    assert.equal(health.coolingDown, false);
    assert.equal(health.schedulable, true);
  });

  it('disables an account through PATCH status', async () => {
    const disabled = await world.ok('PATCH', `/admin/v1/accounts/${platform.id}`, { status: 'disabled' });
    assert.equal(disabled.status, 'disabled');
    assert.equal((await world.ok('GET', `/admin/v1/accounts/${platform.id}/health`)).schedulable, false);
  });

  for (const [name, body, message] of [
    [
      'an unknown type',
      { type: 'azure', name: 'x', apiKey: 'sk-x' },
      /Account type must be "apikey" or "oauth"/,
    ],
    ['a missing key', { type: 'apikey', name: 'x' }, /The upstream API key is required/],
    [
      'OAuth tokens on a platform account',
      { type: 'apikey', name: 'x', apiKey: 'sk-abc', accessToken: 'eyJ' },
      /apply only to accounts of type "oauth"/,
    ],
    [
      'a mapping of the wrong shape',
      { type: 'apikey', name: 'x', apiKey: 'sk-abc', modelMapping: 5 },
      /must be a JSON object/,
    ],
    ['a concurrency of 0', { type: 'apikey', name: 'x', apiKey: 'sk-abc', concurrency: 0 }, /at least 1/],
  ] as const) {
    it(`refuses ${name} with 400, without echoing the credential, and writes nothing`, async () => {
      // Prepare
      const before = await world.snapshot();

      // Act
      const result = await world.call('POST', '/admin/v1/accounts', body);

      // Assess
      assert.equal(result.status, 400);
      assert.match(result.json.error.message, message);
      assert.ok(!result.text.includes('sk-abc'));
      assert.equal(await world.snapshot(), before);
    });
  }
});
