/**
 * Sticky sessions through the running gateway: a conversation, identified by whichever of Codex's
 * session identities the client sends (`session-id`, `session_id`, `thread-id` headers or
 * `prompt_cache_key`), stays on the account that served it even when another is preferred, and
 * moves when that account becomes unschedulable (disabled, or failed over from). A busy sticky
 * account is waited for first; the session moves only when that wait runs out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getAccount, setAccountStatus } from '#shared/admin/accounts.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { call, startCall } from '../support/gateway-calls.ts';

const STREAM = { model: 'gpt-5.1', input: 'hi', stream: true };

const e2e = e2eForSuite(
  { QG_RATE_LIMIT_COOLDOWN_SECONDS: '2', QG_STICKY_WAIT_SECONDS: '1' },
  {},
  { resetMockEachTest: true },
);

const pool = (count: number) => seedAccountPool(e2e, count);

describe('sticky sessions', () => {
  /** Binds `identity` to the second (less preferred) account by serving it while the first is disabled. */
  async function boundToSecond(identity: {
    headers?: Record<string, string>;
    body?: Record<string, unknown>;
  }) {
    const group = await pool(2);
    await setAccountStatus(e2e.admin, group.accountIds[0] as string, 'disabled');
    await call(e2e.stack.url, group.secret, { ...STREAM, ...identity.body }, identity.headers);
    await setAccountStatus(e2e.admin, group.accountIds[0] as string, 'active');
    return group;
  }

  const identities: [string, { headers?: Record<string, string>; body?: Record<string, unknown> }][] = [
    ['the session-id header', { headers: { 'session-id': 'c0ffee00-0000-4000-8000-000000000001' } }],
    ['the session_id header', { headers: { session_id: 'c0ffee00-0000-4000-8000-000000000002' } }],
    ['the thread-id header', { headers: { 'thread-id': 'c0ffee00-0000-4000-8000-000000000003' } }],
    ['prompt_cache_key in the body', { body: { prompt_cache_key: 'c0ffee00-0000-4000-8000-000000000004' } }],
  ];
  for (const [name, identity] of identities) {
    it(`keeps a conversation identified by ${name} on the account that served it`, async () => {
      const { secret, attempts } = await boundToSecond(identity);

      for (let turn = 0; turn < 3; turn++)
        await call(e2e.stack.url, secret, { ...STREAM, ...identity.body }, identity.headers);
      await call(e2e.stack.url, secret, STREAM);

      assert.deepEqual(attempts(), [1, 1, 1, 1, 0]);
    });
  }

  it('recognises one conversation whichever of its identities Codex sends', async () => {
    const id = 'c0ffee00-0000-4000-8000-000000000005';
    const { secret, attempts } = await boundToSecond({ headers: { 'session-id': id } });

    await call(e2e.stack.url, secret, { ...STREAM, prompt_cache_key: id });
    await call(e2e.stack.url, secret, STREAM, { 'thread-id': id });

    assert.deepEqual(attempts(), [1, 1, 1]);
  });

  it('moves the session when its account is disabled, and keeps it on the new account afterwards', async () => {
    const headers = { 'session-id': 'c0ffee00-0000-4000-8000-000000000006' };
    const { secret, accountIds, attempts } = await pool(2);
    await call(e2e.stack.url, secret, STREAM, headers);

    await setAccountStatus(e2e.admin, accountIds[0] as string, 'disabled');
    await call(e2e.stack.url, secret, STREAM, headers);
    await setAccountStatus(e2e.admin, accountIds[0] as string, 'active');
    await call(e2e.stack.url, secret, STREAM, headers);
    await call(e2e.stack.url, secret, STREAM);

    assert.deepEqual(attempts(), [0, 1, 1, 0]);
  });

  it('moves the session to the account it failed over to, and keeps it there after the cooldown', async () => {
    const headers = { 'session-id': 'c0ffee00-0000-4000-8000-000000000007' };
    const { secret, accountIds, attempts } = await pool(2);
    await call(e2e.stack.url, secret, STREAM, headers);
    e2e.mock.enqueue({ kind: 'error', status: 429 });

    await call(e2e.stack.url, secret, STREAM, headers);
    const { until = 0 } = (await getAccount(e2e.admin, accountIds[0] as string)).health;
    await sleep(Math.max(0, until - Date.now() + 50));
    await call(e2e.stack.url, secret, STREAM, headers);
    await call(e2e.stack.url, secret, STREAM);

    assert.deepEqual(attempts(), [0, 0, 1, 1, 0]);
  });

  describe('when the sticky account is busy (1 s sticky wait)', () => {
    const headers = { 'session-id': 'c0ffee00-0000-4000-8000-000000000008' };

    it('waits for it and serves the conversation there once it frees', async () => {
      const { secret, attempts } = await seedAccountPool(e2e, 2, { firstConcurrency: 1 });
      await call(e2e.stack.url, secret, STREAM, headers);
      e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 400 });
      const holder = startCall(e2e.stack.url, secret, STREAM);
      await holder.until(() => e2e.mock.requests.length === 2);

      const turn = await call(e2e.stack.url, secret, STREAM, headers);
      await holder.finished;

      assert.equal(turn.status, 200);
      assert.deepEqual(attempts(), [0, 0, 0]);
    });

    it('moves the conversation when the account stays busy past the wait, and keeps it moved', async () => {
      const { secret, attempts } = await seedAccountPool(e2e, 2, { firstConcurrency: 1 });
      await call(e2e.stack.url, secret, STREAM, headers);
      e2e.mock.enqueue({ kind: 'stall', afterEvents: 1 });
      const holder = startCall(e2e.stack.url, secret, STREAM);
      await holder.until((text) => text.includes('response.created'));
      const startedAt = Date.now();

      await call(e2e.stack.url, secret, STREAM, headers);
      const movedAfterMs = Date.now() - startedAt;
      holder.abort();
      await call(e2e.stack.url, secret, STREAM, headers);

      assert.ok(movedAfterMs >= 1_000, `moved after ${movedAfterMs} ms, before the 1 s sticky wait`);
      assert.deepEqual(attempts(), [0, 0, 1, 1]);
    });
  });
});
