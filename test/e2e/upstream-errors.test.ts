/**
 * What an upstream error does, through the running gateway and the official `openai` SDK: an
 * account-level error marks the account for a while and is re-checked after; a refusal the
 * request causes goes back to the client and marks nothing; an unexplained 403 takes at most one
 * account out of rotation, and only once another account served the request, so no key holder
 * can empty the pool by sending a request every account refuses.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { getAccount } from '#shared/admin/accounts.ts';
import { createApiKey } from '#shared/admin/api-keys.ts';
import { createUser } from '#shared/admin/users.ts';
import { DynamoOpsErrorLog } from '#shared/store/dynamo/ops-error-log.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { call, isCleanStream } from '../support/gateway-calls.ts';
import { keptLogLines } from '../support/test-logs.ts';

const STREAM = { model: 'gpt-5.1', input: 'hi', stream: true };
const RECHECK_SECONDS = 2;
/** A 403 that says nothing about its cause: a proxy's page, an unknown code. */
const UNEXPLAINED_403 = {
  kind: 'error',
  status: 403,
  body: { error: { message: 'Forbidden', type: 'permission_error', param: null, code: null } },
} as const;
const DEACTIVATED_403 = {
  kind: 'error',
  status: 403,
  body: {
    error: {
      message: 'This key is associated with a deactivated account.',
      type: 'invalid_request_error',
      param: null,
      code: 'account_deactivated',
    },
  },
} as const;

let e2e: E2E;
let opsLog: DynamoOpsErrorLog;
before(async () => {
  e2e = await startE2E({
    QG_ACCOUNT_ERROR_RECHECK_SECONDS: String(RECHECK_SECONDS),
    QG_IDLE_TIMEOUT_MS: '500',
  });
  opsLog = new DynamoOpsErrorLog(e2e.stack.client, e2e.stack.settings.tables.state);
});
after(async () => {
  await e2e.close();
});
beforeEach(() => {
  e2e.mock.reset();
});

const healthOf = async (accountIds: string[]) =>
  Promise.all(accountIds.map(async (id) => (await getAccount(e2e.admin, id)).health.state));

describe('a refusal the request itself causes', () => {
  it('returns OpenAI’s own 403 for a model the project may not use, without failover or mark', async () => {
    const { secret, accountIds, attempts } = await seedAccountPool(e2e, 2);
    e2e.mock.setDefault({ kind: 'error', status: 403 });

    const error = await e2e
      .client(secret)
      .responses.create({ model: 'gpt-5.1', input: 'hi' })
      .catch((caught: unknown) => caught);

    assert.ok(error instanceof OpenAI.PermissionDeniedError, String(error));
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /does not have access to model `gpt-5.1`/);
    assert.deepEqual(attempts(), [0]);
    assert.deepEqual(await healthOf(accountIds), ['ok', 'ok']);
  });

  it('stops at the second identical unexplained 403, returns it, and leaves every account in rotation', async () => {
    const { secret, accountIds, attempts, groupId } = await seedAccountPool(e2e, 3);
    e2e.mock.setDefault(UNEXPLAINED_403);

    const refused = await call(e2e.stack.url, secret, STREAM);

    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.text), UNEXPLAINED_403.body);
    assert.deepEqual(attempts(), [0, 1]);
    assert.deepEqual(await healthOf(accountIds), ['ok', 'ok', 'ok']);

    // Another user of the same group is served as before.
    e2e.mock.reset();
    const other = await createUser(e2e.admin, { email: `other-${groupId}@example.com`, balanceUsd: '1' });
    const { secret: otherSecret } = await createApiKey(e2e.admin, { userId: other.id, groupId });
    const served = await call(e2e.stack.url, otherSecret, STREAM);
    assert.ok(isCleanStream(served.text), served.text);
    assert.deepEqual(attempts(), [0]);
  });

  it('never empties the pool, however often a key holder repeats the request', async () => {
    const { secret, accountIds } = await seedAccountPool(e2e, 3);
    e2e.mock.setDefault(UNEXPLAINED_403);

    for (let i = 0; i < 4; i++) assert.equal((await call(e2e.stack.url, secret, STREAM)).status, 403);

    assert.deepEqual(await healthOf(accountIds), ['ok', 'ok', 'ok']);
  });
});

describe('an account that is the problem', () => {
  it('marks an unexplained 403 once another account served the request, until the re-check', async () => {
    const { secret, accountIds, attempts } = await seedAccountPool(e2e, 2);
    e2e.mock.enqueue(UNEXPLAINED_403);

    const startedAt = Date.now();
    const served = await call(e2e.stack.url, secret, STREAM);

    assert.ok(isCleanStream(served.text));
    assert.deepEqual(attempts(), [0, 1]);
    const health = (await getAccount(e2e.admin, accountIds[0] as string)).health;
    assert.equal(health.state, 'error');
    assert.equal(health.reason, 'upstream 403: Forbidden (another account served the same request)');
    assert.ok((health.until ?? 0) >= startedAt + RECHECK_SECONDS * 1000, `until ${health.until}`);
    assert.equal((await getAccount(e2e.admin, accountIds[1] as string)).health.state, 'ok');
  });

  const accountErrors = [
    ['an invalid key (401)', { kind: 'error', status: 401 }, /^upstream 401: Incorrect API key provided: /],
    ['a deactivated account (403)', DEACTIVATED_403, /^upstream 403: This key is associated/],
    ['a payment required (402)', { kind: 'error', status: 402 }, /^upstream 402: /],
  ] as const;
  for (const [what, behaviour, reason] of accountErrors) {
    it(`marks ${what} at once, fails over, and re-checks the account after ${RECHECK_SECONDS} s`, async () => {
      const { secret, accountIds, attempts, keys } = await seedAccountPool(e2e, 2);
      e2e.mock.enqueue(behaviour);

      const first = await call(e2e.stack.url, secret, STREAM);
      const health = (await getAccount(e2e.admin, accountIds[0] as string)).health;
      const skipped = await call(e2e.stack.url, secret, STREAM);
      await sleep(Math.max(0, (health.until ?? 0) - Date.now() + 50));
      const rechecked = await call(e2e.stack.url, secret, STREAM);

      assert.ok(isCleanStream(first.text) && isCleanStream(skipped.text) && isCleanStream(rechecked.text));
      assert.equal(health.state, 'error');
      assert.match(health.reason ?? '', reason);
      // The upstream's masked echo of the key (its last four characters) is not kept either.
      assert.ok(!(health.reason ?? '').includes((keys[0] as string).slice(-4)), health.reason);
      assert.deepEqual(attempts(), [0, 1, 1, 0]);
    });
  }
});

describe('custom error codes', () => {
  it('decide what marks the account, never what fails over', async () => {
    const { secret, accountIds, attempts } = await seedAccountPool(e2e, 2);
    await e2e.admin.update('account', accountIds[0] as string, { customErrorCodes: [429] });

    // An unlisted 401 still fails over (the user's key is fine) but leaves the account alone.
    e2e.mock.enqueue({ kind: 'error', status: 401 });
    const unlisted = await call(e2e.stack.url, secret, STREAM);
    assert.ok(isCleanStream(unlisted.text));
    assert.deepEqual(attempts(), [0, 1]);
    assert.equal((await getAccount(e2e.admin, accountIds[0] as string)).health.state, 'ok');

    e2e.mock.enqueue({ kind: 'error', status: 429 });
    const listed = await call(e2e.stack.url, secret, STREAM);
    assert.ok(isCleanStream(listed.text));
    assert.deepEqual(attempts(), [0, 1, 0, 1]);
    assert.equal((await getAccount(e2e.admin, accountIds[0] as string)).health.state, 'rate_limited');
  });
});

describe('the gateway’s own 429 and 503', () => {
  it('tells the client when the soonest rate-limited account is back, then why none is available', async () => {
    const { secret, attempts } = await seedAccountPool(e2e, 2);
    e2e.mock.enqueue(
      { kind: 'error', status: 429, headers: { 'retry-after': '30' } },
      { kind: 'error', status: 429, headers: { 'retry-after': '3' } },
    );

    const limited = await call(e2e.stack.url, secret, STREAM);
    const unavailable = await call(e2e.stack.url, secret, STREAM);

    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.equal(unavailable.status, 503);
    const { error } = JSON.parse(unavailable.text) as { error: { type: string; message: string } };
    assert.equal(error.type, 'api_error');
    assert.match(error.message, /^No available accounts: all cooling down until \d{4}-\d\d-\d\dT/);
    assert.ok(
      Number(unavailable.headers.get('retry-after')) <= 3,
      unavailable.headers.get('retry-after') ?? '',
    );
    assert.deepEqual(attempts(), [0, 1]);
  });

  it('says a group has no account for the model, with a Retry-After', async () => {
    const { secret } = await e2e.seed({ account: { modelMapping: ['gpt-4.1=gpt-4.1'] } });

    const result = await call(e2e.stack.url, secret, STREAM);

    assert.equal(result.status, 503);
    assert.equal(JSON.parse(result.text).error.message, 'No available accounts: none serves model gpt-5.1');
    assert.equal(result.headers.get('retry-after'), '5');
  });
});

async function opsRecordOf(requestId: string | null) {
  const { records } = await opsLog.query({
    fromMs: Date.now() - 60_000,
    toMs: Date.now() + 1000,
    limit: 1000,
  });
  return records.find((record) => record.requestId === requestId);
}

describe('a JSON answer that breaks off after its 200 headers', () => {
  for (const kind of ['drop', 'stall'] as const) {
    it(`is answered by the next account when the first ${kind}s`, async () => {
      const { secret, userId, accountIds, attempts } = await seedAccountPool(e2e, 2);
      e2e.mock.enqueue({ kind });

      const response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' });

      assert.equal(response.status, 'completed');
      assert.deepEqual(attempts(), [0, 1]);
      await e2e.stack.bus.drain();
      const usage = e2e.usageEvents().filter((event) => event.detail.userId === userId);
      assert.deepEqual(
        usage.map((event) => [event.detail.accountId, event.detail.status, event.detail.failovers]),
        [[accountIds[1], 200, 1]],
      );
    });
  }

  it('is a 502 upstream_error, not a gateway failure, when no account is left', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'drop' });
    const before = e2e.stack.metrics.length;

    const result = await call(e2e.stack.url, secret, { model: 'gpt-5.1', input: 'hi' });

    assert.equal(result.status, 502);
    assert.deepEqual(JSON.parse(result.text), {
      error: { type: 'upstream_error', message: 'Upstream service temporarily unavailable' },
    });
    const record = await opsRecordOf(result.headers.get('x-request-id'));
    assert.deepEqual([record?.status, record?.errorType], [502, 'upstream_error']);
    const metrics = e2e.stack.metrics.slice(before).map((document) => JSON.stringify(document));
    assert.ok(
      metrics.some((document) => document.includes('"errorType":"upstream_error"')),
      metrics.join(),
    );
    assert.ok(!metrics.some((document) => document.includes('"errorType":"api_error"')));
  });
});

describe('an upstream 4xx passed through', () => {
  for (const status of [400, 404, 422]) {
    it(`is recorded with its real status ${status}, type and message`, async () => {
      const { secret } = await e2e.seed();
      const body = {
        error: { message: `bad input ${status}`, type: 'invalid_request_error', param: 'input', code: null },
      };
      e2e.mock.enqueue({ kind: 'error', status, body });
      const before = e2e.stack.metrics.length;

      const result = await call(e2e.stack.url, secret, { model: 'gpt-5.1', input: 'hi' });

      assert.equal(result.status, status);
      const record = await opsRecordOf(result.headers.get('x-request-id'));
      assert.deepEqual(
        [record?.status, record?.upstreamStatus, record?.errorType, record?.message],
        [status, status, 'invalid_request_error', `bad input ${status}`],
      );
      const metrics = e2e.stack.metrics.slice(before).map((document) => JSON.stringify(document));
      assert.ok(
        metrics.some(
          (document) => document.includes(`"status":"${status}"`) && document.includes(`"Errors":1`),
        ),
        metrics.join(),
      );
    });
  }
});

describe('what the client and the records learn of the upstream', () => {
  it('passes the upstream request id back and into the usage record, and streams unbuffered', async () => {
    const { secret, userId } = await e2e.seed();

    const streamed = await call(e2e.stack.url, secret, STREAM);
    const json = await call(e2e.stack.url, secret, { model: 'gpt-5.1', input: 'hi' });

    const ids = [streamed, json].map((result) => result.headers.get('x-upstream-request-id'));
    for (const [i, id] of ids.entries()) {
      assert.match(id ?? '', /^req_[0-9a-f]{32}$/);
      assert.notEqual(id, [streamed, json][i]?.headers.get('x-request-id'));
    }
    assert.equal(streamed.headers.get('x-accel-buffering'), 'no');
    await e2e.stack.bus.drain();
    const recorded = e2e
      .usageEvents()
      .filter((event) => event.detail.userId === userId)
      .map((event) => event.detail.upstreamRequestId)
      .sort();
    assert.deepEqual(recorded, [...ids].sort());
  });

  it('writes an ops record that says what happened: model, stream, client, group and the upstream’s redacted message', async () => {
    const { secret, groupId, keys } = await seedAccountPool(e2e, 1);
    e2e.mock.enqueue({ kind: 'error', status: 401 });

    const result = await call(e2e.stack.url, secret, STREAM, { 'user-agent': 'upstream-errors-test/1.0' });

    assert.equal(result.status, 502);
    const record = await opsRecordOf(result.headers.get('x-request-id'));
    assert.ok(record);
    assert.deepEqual(
      [record.model, record.stream, record.clientIp, record.userAgent, record.groupId, record.upstreamStatus],
      ['gpt-5.1', true, '127.0.0.1', 'upstream-errors-test/1.0', groupId, 401],
    );
    assert.match(record.upstreamMessage ?? '', /^Incorrect API key provided: sk-\[redacted\]/);
    assert.match(record.upstreamRequestId ?? '', /^req_[0-9a-f]{32}$/);
    assert.ok(!JSON.stringify(record).includes((keys[0] as string).slice(-4)), JSON.stringify(record));
    // The WARN line of the upstream error keeps the masked key out too (the test log holds this test's lines).
    const warned = keptLogLines().filter((line) => line.includes('"message":"upstream error"'));
    assert.ok(
      warned.some((line) => line.includes('Incorrect API key provided: sk-[redacted]')),
      warned.join('\n'),
    );
    for (const line of keptLogLines()) assert.ok(!line.includes((keys[0] as string).slice(-4)), line);
  });
});
