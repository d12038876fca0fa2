import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoPriceOverrides } from '#shared/store/dynamo/billing-prices.ts';
import { type AdminWorld, startAdminWorld } from './admin-api-harness.ts';

describe('admin API: groups, subscriptions and prices', () => {
  let world: AdminWorld;
  let userId: string;
  before(async () => {
    world = await startAdminWorld();
    userId = (await world.ok('POST', '/admin/v1/users', { email: 'sub@example.com' })).id;
  });
  after(async () => {
    await world.close();
  });

  it('creates a subscription group and shows it with its accounts; a second create is a 409', async () => {
    // Act
    const created = await world.call('POST', '/admin/v1/groups', {
      id: 'pro',
      name: 'Pro',
      billingMode: 'subscription',
      dailyLimitUsd: '5',
    });
    const again = await world.call('POST', '/admin/v1/groups', { id: 'pro', name: 'Pro again' });
    const shown = await world.ok('GET', '/admin/v1/groups/pro');
    const { data } = await world.ok('GET', '/admin/v1/groups');

    // Assess
    assert.equal(created.status, 201);
    assert.equal(created.json.dailyLimitNano, 5_000_000_000);
    assert.equal(again.status, 409);
    assert.equal(shown.group.name, 'Pro');
    assert.deepEqual(shown.accounts, []);
    assert.deepEqual(
      data.map((group: { id: string }) => group.id),
      ['pro'],
    );
  });

  it('assigns, extends (pinned to a version), lists and cancels a subscription', async () => {
    // Act
    const assigned = await world.call('POST', '/admin/v1/subscriptions', {
      userId,
      groupId: 'pro',
      until: '2030-01-01',
    });
    const twice = await world.call('POST', '/admin/v1/subscriptions', {
      userId,
      groupId: 'pro',
      until: '2031-01-01',
    });
    const extended = await world.call(
      'PATCH',
      `/admin/v1/subscriptions/${userId}/pro`,
      { until: '2031-01-01' },
      { 'if-match': String(assigned.json.version) },
    );
    const stale = await world.call(
      'PATCH',
      `/admin/v1/subscriptions/${userId}/pro`,
      { until: '2032-01-01' },
      { 'if-match': String(assigned.json.version) },
    );
    const listed = await world.ok('GET', `/admin/v1/subscriptions?user=${userId}`);
    const cancelled = await world.ok('POST', `/admin/v1/subscriptions/${userId}/pro/cancel`);

    // Assess
    assert.equal(assigned.status, 201);
    assert.equal(twice.status, 409);
    assert.equal(extended.json.expiresAt, '2031-01-01T00:00:00.000Z');
    assert.equal(stale.status, 409);
    assert.equal(listed.data.length, 1);
    assert.equal(cancelled.status, 'disabled');
  });

  it('refuses a subscription to a balance group and an end in the past, writing nothing', async () => {
    // Prepare
    await world.ok('POST', '/admin/v1/groups', { id: 'payg', name: 'Pay as you go' });
    const before = await world.snapshot();

    // Act
    const balance = await world.call('POST', '/admin/v1/subscriptions', {
      userId,
      groupId: 'payg',
      until: '2030-01-01',
    });
    const past = await world.call('POST', '/admin/v1/subscriptions', {
      userId,
      groupId: 'pro',
      until: '2001-01-01',
    });

    // Assess
    assert.equal(balance.status, 400);
    assert.match(balance.json.error.message, /bills by balance/);
    assert.equal(past.status, 400);
    assert.equal(await world.snapshot(), before);
  });

  describe('prices', () => {
    it('creates an override the recorder reads, in USD per 1M tokens, exactly', async () => {
      // Act
      const created = await world.call('POST', '/admin/v1/prices', {
        model: 'GPT-X',
        input: '1.25',
        cachedInput: 0.125,
        output: '10',
      });
      const overrides = await new DynamoPriceOverrides(world.client, world.tables.config).listOverrides();

      // Assess
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('etag'), '"1"');
      assert.equal(created.json.model, 'gpt-x');
      assert.deepEqual(overrides.get('gpt-x'), {
        inputPicoPerToken: 1_250_000,
        cachedInputPicoPerToken: 125_000,
        outputPicoPerToken: 10_000_000,
      });
    });

    it('refuses to create an existing override, and changes it only at its current version', async () => {
      // Act
      const again = await world.call('POST', '/admin/v1/prices', {
        model: 'gpt-x',
        input: 1,
        cachedInput: 1,
        output: 1,
      });
      const changed = await world.call('PATCH', '/admin/v1/prices/gpt-x', {
        input: 2,
        cachedInput: 0.2,
        output: 8,
        version: 1,
      });
      const stale = await world.call(
        'PATCH',
        '/admin/v1/prices/gpt-x',
        { input: 3, cachedInput: 0.3, output: 9 },
        { 'if-match': '1' },
      );
      const listed = await world.ok('GET', '/admin/v1/prices');

      // Assess
      assert.equal(again.status, 409);
      assert.equal(changed.status, 200);
      assert.equal(changed.json.version, 2);
      assert.equal(stale.status, 409);
      assert.match(stale.json.error.message, /now at version 2/);
      assert.deepEqual(
        listed.data.map((price: { model: string; input: string; output: string }) => [
          price.model,
          price.input,
          price.output,
        ]),
        [['gpt-x', '2', '8']],
      );
    });

    it('deletes an override at its version; a missing one is 404', async () => {
      const stale = await world.call('DELETE', '/admin/v1/prices/gpt-x', undefined, { 'if-match': '1' });
      const deleted = await world.call('DELETE', '/admin/v1/prices/gpt-x', undefined, { 'if-match': '2' });
      const missing = await world.call('DELETE', '/admin/v1/prices/gpt-x');
      assert.equal(stale.status, 409);
      assert.equal(deleted.status, 200);
      assert.equal(missing.status, 404);
    });

    for (const [name, body, message] of [
      [
        'a float with too many decimals',
        { model: 'm', input: '0.0000001', cachedInput: 0, output: 0 },
        /more than 6 decimals/,
      ],
      [
        'a negative price',
        { model: 'm', input: '-1', cachedInput: 0, output: 0 },
        /must be a USD amount per 1M tokens/,
      ],
      [
        'a missing part',
        { model: 'm', input: '1', output: '1' },
        /Field "cachedInput" \(USD per 1M tokens\) is required/,
      ],
      ['a model with spaces', { model: 'gpt 5', input: 1, cachedInput: 1, output: 1 }, /must be a model id/],
    ] as const) {
      it(`refuses ${name} with 400 and writes nothing`, async () => {
        const before = await world.snapshot();
        const result = await world.call('POST', '/admin/v1/prices', body);
        assert.equal(result.status, 400);
        assert.match(result.json.error.message, message);
        assert.equal(await world.snapshot(), before);
      });
    }
  });
});
