import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '#shared/domain/api-key-hash.ts';
import { ADMIN_TOKEN, type AdminWorld, startAdminWorld } from './admin-api-harness.ts';

describe('admin API: users and keys', () => {
  let world: AdminWorld;
  before(async () => {
    world = await startAdminWorld();
  });
  after(async () => {
    await world.close();
  });

  it('creates a user (201, ETag of version 1) and reads it back with its keys and subscriptions', async () => {
    // Act
    const created = await world.call('POST', '/admin/v1/users', {
      email: 'Ada@Example.com',
      balanceUsd: '10',
    });
    const shown = await world.call('GET', `/admin/v1/users/${created.json.id}`);

    // Assess
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('etag'), '"1"');
    assert.match(created.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(created.json.email, 'ada@example.com');
    assert.equal(created.json.balanceNano, 10_000_000_000);
    assert.deepEqual(Object.keys(shown.json).sort(), ['keys', 'subscriptions', 'user']);
    assert.equal(shown.json.user.id, created.json.id);
  });

  it('lists users under "data"', async () => {
    const { data } = await world.ok('GET', '/admin/v1/users');
    assert.ok(data.some((user: { email: string }) => user.email === 'ada@example.com'));
  });

  it('lets only one of two PATCHes pinned to the same version win; the other gets 409', async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'race@example.com' });

    // Act
    const [first, second] = await Promise.all([
      world.call(
        'PATCH',
        `/admin/v1/users/${user.id}`,
        { concurrency: 7 },
        { 'if-match': `"${user.version}"` },
      ),
      world.call('PATCH', `/admin/v1/users/${user.id}`, { concurrency: 9, version: user.version }),
    ]);

    // Assess
    const statuses = [first.status, second.status].sort();
    assert.deepEqual(statuses, [200, 409]);
    const loser = first.status === 409 ? first : second;
    assert.equal(loser.json.error.type, 'conflict_error');
    assert.match(loser.json.error.message, /was changed by someone else \(it is now at version 2\)/);
    const winner = first.status === 200 ? first : second;
    const { user: stored } = await world.ok('GET', `/admin/v1/users/${user.id}`);
    assert.equal(stored.concurrency, winner.json.concurrency);
    assert.equal(stored.version, 2);
  });

  it('disables and re-enables a user through PATCH status, honouring If-Match', async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'status@example.com' });

    // Act
    const disabled = await world.call(
      'PATCH',
      `/admin/v1/users/${user.id}`,
      { status: 'disabled' },
      { 'if-match': '1' },
    );
    const stale = await world.call(
      'PATCH',
      `/admin/v1/users/${user.id}`,
      { status: 'active' },
      { 'if-match': '1' },
    );

    // Assess
    assert.equal(disabled.json.status, 'disabled');
    assert.equal(stale.status, 409);
  });

  it('adds to a balance atomically and refuses a version on that change', async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'topup@example.com', balanceUsd: '1' });

    // Act
    const added = await world.ok('POST', `/admin/v1/users/${user.id}/balance`, { amountUsd: '2.5' });
    const pinned = await world.call(
      'POST',
      `/admin/v1/users/${user.id}/balance`,
      { amountUsd: 1 },
      { 'if-match': '2' },
    );

    // Assess
    assert.equal(added.balanceNano, 3_500_000_000);
    assert.equal(pinned.status, 400);
    assert.match(pinned.json.error.message, /takes no version: adding to a balance is atomic/);
  });

  it('shows a new key secret once: in the create answer, stored only as its hash, never listed', async () => {
    // Prepare
    const user = await world.ok('POST', '/admin/v1/users', { email: 'keys@example.com' });

    // Act
    const created = await world.call('POST', '/admin/v1/keys', {
      userId: user.id,
      name: 'laptop',
      quotaUsd: 5,
      allowedModels: ['gpt-5.1'],
      allowedIps: ['203.0.113.9/24', '2001:DB8::/32'],
      requestsPerMinute: 30,
      budgetUsd: '3',
      budgetPeriod: 'monthly',
    });
    const listed = await world.call('GET', `/admin/v1/users/${user.id}/keys`);
    const revoked = await world.ok('POST', `/admin/v1/keys/${created.json.id}/revoke`);

    // Assess
    assert.equal(created.status, 201);
    assert.match(created.json.key, /^sk-qg-/);
    assert.equal(created.json.quotaNano, 5_000_000_000);
    assert.deepEqual(created.json.allowedIps, ['203.0.113.9/24', '2001:db8::/32']);
    assert.equal(created.json.requestsPerMinute, 30);
    assert.deepEqual(created.json.budget, { period: 'monthly', limitNano: 3_000_000_000 });
    assert.ok(!listed.text.includes(created.json.key), 'a listing shows the secret');
    assert.ok(!listed.text.includes(hashApiKey(created.json.key)), 'a listing shows the hash');
    assert.equal(listed.json.data[0].prefix, created.json.prefix);
    assert.ok((await world.snapshot()).includes(hashApiKey(created.json.key)));
    assert.ok(!(await world.snapshot()).includes(created.json.key));
    assert.equal(revoked.status, 'disabled');
  });

  describe('refusals change nothing', () => {
    for (const [name, method, path, body, status, message] of [
      ['bad JSON', 'POST', '/admin/v1/users', '{"email": ', 400, /not valid JSON/],
      ['a JSON array', 'POST', '/admin/v1/users', '[]', 400, /must be a JSON object/],
      [
        'an unknown field',
        'POST',
        '/admin/v1/users',
        { email: 'x@example.com', balance: 5 },
        400,
        /Unknown field "balance"/,
      ],
      ['a wrong type', 'POST', '/admin/v1/users', { email: 42 }, 400, /Field "email" must be a string/],
      ['an invalid email', 'POST', '/admin/v1/users', { email: 'nope' }, 400, /not a valid email address/],
      ['a duplicate email', 'POST', '/admin/v1/users', { email: 'ada@example.com' }, 409, /already exists/],
      [
        'a negative balance',
        'PATCH',
        '/admin/v1/users/{user}',
        { balanceUsd: '-1' },
        400,
        /must not be negative/,
      ],
      [
        'status with other fields',
        'PATCH',
        '/admin/v1/users/{user}',
        { status: 'disabled', concurrency: 1 },
        400,
        /on its own/,
      ],
      [
        'a bad If-Match',
        'PATCH',
        '/admin/v1/users/{user}',
        { concurrency: 1, version: 'x' },
        400,
        /must be the version/,
      ],
      ['an unknown user', 'PATCH', '/admin/v1/users/usr_missing', { concurrency: 1 }, 404, /does not exist/],
      [
        'a key for an unknown user',
        'POST',
        '/admin/v1/keys',
        { userId: 'usr_missing' },
        404,
        /does not exist/,
      ],
      [
        'a key with an IP allow-list entry that is not a CIDR block',
        'POST',
        '/admin/v1/keys',
        { userId: 'usr_missing', allowedIps: ['10.0.0.0/8', '10.0.0.0/33'] },
        400,
        /Allowed IPs: "10\.0\.0\.0\/33" is not an IPv4 or IPv6 address or CIDR block/,
      ],
      [
        'a key with a negative request rate',
        'POST',
        '/admin/v1/keys',
        { userId: 'usr_missing', requestsPerMinute: -1 },
        400,
        /Requests per minute must be a whole number of 0 or more \(requests per minute\), got "-1"/,
      ],
      [
        'a key with a budget period but no amount',
        'POST',
        '/admin/v1/keys',
        { userId: 'usr_missing', budgetPeriod: 'daily' },
        400,
        /A budget needs both an amount in USD and a period/,
      ],
      [
        'an unknown route',
        'GET',
        '/admin/v1/nothing',
        undefined,
        404,
        /Invalid URL \(GET \/admin\/v1\/nothing\)/,
      ],
      [
        'a wrong method',
        'DELETE',
        '/admin/v1/users',
        undefined,
        405,
        /Method DELETE is not allowed on \/admin\/v1\/users; use GET, POST/,
      ],
      [
        'an unknown query parameter',
        'GET',
        '/admin/v1/users?limit=5',
        undefined,
        400,
        /Unknown query parameter "limit"/,
      ],
    ] as const) {
      it(`answers ${status} to ${name}, as JSON, and writes nothing`, async () => {
        // Prepare
        const { data } = await world.ok('GET', '/admin/v1/users');
        const target = (path as string).replace('{user}', data[0].id);
        const before = await world.snapshot();

        // Act
        const result = await world.call(method, target, body);

        // Assess
        assert.equal(result.status, status);
        assert.match(result.headers.get('content-type') ?? '', /^application\/json/);
        assert.match(result.json.error.message, message);
        assert.equal(typeof result.json.error.type, 'string');
        assert.equal(await world.snapshot(), before);
      });
    }
    it('answers 405 with an allow header', async () => {
      const result = await world.call('PUT', '/admin/v1/users');
      assert.equal(result.headers.get('allow'), 'GET, POST');
    });
  });

  describe('authentication', () => {
    for (const [name, authorization] of [
      ['no token', undefined],
      ['a wrong token', 'Bearer wrong-token-0123456789'],
      ['a token of another scheme', `Basic ${ADMIN_TOKEN}`],
      ['a longer token with the right prefix', `Bearer ${ADMIN_TOKEN}x`],
    ] as const) {
      it(`refuses ${name} with 401 before anything runs`, async () => {
        // Act
        const response = await fetch(`${world.server.url}/admin/v1/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify({ email: 'intruder@example.com' }),
        });

        // Assess
        assert.equal(response.status, 401);
        assert.equal(
          ((await response.json()) as { error: { type: string } }).error.type,
          'authentication_error',
        );
        const { data } = await world.ok('GET', '/admin/v1/users');
        assert.ok(!data.some((user: { email: string }) => user.email === 'intruder@example.com'));
      });
    }
  });

  it('logs one line per request with its request id and status, never a body', async () => {
    // Act
    const result = await world.call('POST', '/admin/v1/users', { email: 'logged@example.com' });

    // Assess
    const line = world.logs.find(
      (entry) => entry.attributes.requestId === result.headers.get('x-request-id'),
    );
    assert.equal(line?.message, 'admin request');
    assert.equal(line?.attributes.status, 201);
    assert.equal(line?.attributes.route, '/admin/v1/users');
    assert.equal(line?.attributes.caller, 'local-admin');
    assert.ok(!JSON.stringify(world.logs).includes('logged@example.com'));
  });
});
