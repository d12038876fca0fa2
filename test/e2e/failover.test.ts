/**
 * Failover and account health through the running gateway: an account that fails before the
 * first byte (HTTP error, refused connection, first-byte timeout) is swapped for another without
 * the client noticing, at most three times; its cooldown is written back so the next request skips
 * it until the cooldown ends. What each upstream error means is in upstream-errors.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getAccount } from '#shared/admin/accounts.ts';
import { type AccountPoolOptions, seedAccountPool } from '../support/account-pool.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { call, closedPortUrl, isCleanStream, PING, sseEvents, startCall } from '../support/gateway-calls.ts';

const STREAM = { model: 'gpt-5.1', input: 'hi', stream: true };
const COOLDOWN_SECONDS = 2;

const e2e = e2eForSuite(
  {
    QG_FIRST_BYTE_TIMEOUT_MS: '800',
    QG_RATE_LIMIT_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
    QG_OVERLOAD_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
    QG_PING_INTERVAL_SECONDS: '0.5',
  },
  {},
  { resetMockEachTest: true },
);

const pool = (count: number, options?: AccountPoolOptions) => seedAccountPool(e2e, count, options);

/**
 * A stream sent while another stream of the same user holds its only slot: it waits (pinged)
 * until the holder ends, then is served; resolves once both ended.
 */
async function streamBehindHolder(secret: string) {
  const holder = startCall(e2e.stack.url, secret, STREAM);
  await holder.until(() => e2e.mock.requests.length === 1);
  const waiter = await call(e2e.stack.url, secret, STREAM);
  await holder.finished;
  return waiter;
}

describe('failover before the first byte', () => {
  for (const status of [429, 500]) {
    it(`serves one clean stream from the next account when the first answers ${status}`, async () => {
      const { secret, userId, accountIds, attempts } = await pool(2);
      e2e.mock.enqueue({ kind: 'error', status });

      const result = await call(e2e.stack.url, secret, STREAM);

      assert.equal(result.status, 200);
      assert.ok(isCleanStream(result.text), result.text);
      assert.deepEqual(attempts(), [0, 1]);
      const [usage] = await e2e.usageOf(userId);
      assert.equal(usage?.failovers, 1);
      assert.equal(usage?.accountId, accountIds[1]);
    });
  }

  it('fails over when the account refuses the connection', async () => {
    const { secret, userId, accountIds, attempts } = await pool(2, { firstBaseUrl: await closedPortUrl() });

    const result = await call(e2e.stack.url, secret, STREAM);

    assert.equal(result.status, 200);
    assert.ok(isCleanStream(result.text));
    assert.deepEqual(attempts(), [1]);
    const [usage] = await e2e.usageOf(userId);
    assert.equal(usage?.failovers, 1);
    assert.equal(usage?.accountId, accountIds[1]);
  });

  it('fails over when the first byte does not arrive within the first-byte timeout', async () => {
    const { secret, userId, accountIds, attempts } = await pool(2);
    e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 5_000 });

    const result = await call(e2e.stack.url, secret, STREAM);

    assert.equal(result.status, 200);
    assert.ok(isCleanStream(result.text));
    assert.deepEqual(attempts(), [0, 1]);
    assert.equal((await e2e.usageOf(userId))[0]?.accountId, accountIds[1]);
  });

  it('stops after 3 switches: of 5 failing accounts 4 are tried and the last status is mapped', async () => {
    const { secret, userId, attempts } = await pool(5);
    e2e.mock.enqueue(
      { kind: 'error', status: 500 },
      { kind: 'error', status: 503 },
      { kind: 'error', status: 500 },
      { kind: 'error', status: 429 },
    );
    e2e.mock.setDefault({ kind: 'error', status: 500 });

    const result = await call(e2e.stack.url, secret, STREAM);

    assert.equal(result.status, 429);
    assert.deepEqual(JSON.parse(result.text), {
      error: { type: 'rate_limit_error', message: 'Upstream rate limit exceeded, please retry later' },
    });
    assert.deepEqual(attempts(), [0, 1, 2, 3]);
    assert.deepEqual(await e2e.usageOf(userId), []);
  });

  it('maps the last status when every account of the group failed', async () => {
    const { secret, attempts } = await pool(2);
    e2e.mock.enqueue({ kind: 'error', status: 500 }, { kind: 'error', status: 529 });

    const result = await call(e2e.stack.url, secret, STREAM);

    assert.equal(result.status, 503);
    assert.deepEqual(JSON.parse(result.text), {
      error: { type: 'upstream_error', message: 'Upstream service overloaded, please retry later' },
    });
    assert.deepEqual(attempts(), [0, 1]);
  });

  it('fails over after pings started the stream, and the client sees the pings then one clean stream', async () => {
    const { secret, userId, accountIds, attempts } = await pool(2, { userConcurrency: 1 });
    e2e.mock.enqueue({ kind: 'ok', chunkDelayMs: 100 }, { kind: 'error', status: 429 });
    const waiter = await streamBehindHolder(secret);

    assert.equal(waiter.status, 200);
    assert.ok(waiter.text.startsWith(PING));
    assert.ok(isCleanStream(waiter.text), waiter.text);
    assert.deepEqual(attempts(), [0, 0, 1]);
    const failovers = (await e2e.usageOf(userId))
      .sort((a, b) => a.failovers - b.failovers)
      .map((usage) => [usage.accountId, usage.failovers]);
    assert.deepEqual(failovers, [
      [accountIds[0], 0],
      [accountIds[1], 1],
    ]);
  });

  it('ends a pinged stream with the last status mapped, as an SSE error, when every account failed', async () => {
    const { secret, attempts } = await pool(2, { userConcurrency: 1 });
    e2e.mock.enqueue(
      { kind: 'ok', chunkDelayMs: 100 },
      { kind: 'error', status: 500 },
      { kind: 'error', status: 401 },
    );
    const waiter = await streamBehindHolder(secret);

    assert.equal(waiter.status, 200);
    assert.ok(waiter.text.startsWith(PING));
    assert.deepEqual(sseEvents(waiter.text), [
      {
        event: 'error',
        data: JSON.stringify({
          type: 'error',
          code: 'upstream_error',
          message: 'Upstream authentication failed, please contact administrator',
          param: null,
          sequence_number: 0,
        }),
      },
    ]);
    assert.deepEqual(attempts(), [0, 0, 1]);
  });
});

describe('account health written back', () => {
  const rateLimited = (message: string) => ({
    error: { message, type: 'requests', param: null, code: 'rate_limit_exceeded' },
  });
  const cooldowns: [string, number, Record<string, string>, unknown, string, number][] = [
    [
      'a 429 that names no reset',
      429,
      {},
      rateLimited('Rate limit reached.'),
      'rate_limited',
      COOLDOWN_SECONDS,
    ],
    ['a 429 whose retry-after names the reset', 429, { 'retry-after': '3' }, undefined, 'rate_limited', 3],
    [
      'a 429 whose message says "try again in 3s"',
      429,
      {},
      rateLimited('Rate limit reached for gpt-5.1 on requests per min (RPM). Please try again in 3s.'),
      'rate_limited',
      3,
    ],
    ['a 529', 529, {}, undefined, 'overloaded', COOLDOWN_SECONDS],
  ];
  for (const [what, status, headers, body, state, seconds] of cooldowns) {
    it(`cools an account down for ${seconds} s after ${what}, skipping it until then`, async () => {
      const { secret, accountIds, attempts } = await pool(2);
      e2e.mock.enqueue({ kind: 'error', status, headers, ...(body ? { body } : {}) });

      const startedAt = Date.now();
      await call(e2e.stack.url, secret, STREAM);
      const endedAt = Date.now();
      const health = (await getAccount(e2e.admin, accountIds[0] as string)).health;
      await call(e2e.stack.url, secret, STREAM);
      assert.deepEqual(attempts(), [0, 1, 1]);

      await sleep(Math.max(0, (health.until ?? 0) - Date.now() + 50));
      const recovered = await call(e2e.stack.url, secret, STREAM);

      assert.equal(health.state, state);
      const until = health.until ?? 0;
      assert.ok(until >= startedAt + seconds * 1000 && until <= endedAt + seconds * 1000, `until ${until}`);
      assert.ok(isCleanStream(recovered.text));
      assert.deepEqual(attempts(), [0, 1, 1, 0]);
    });
  }
});
