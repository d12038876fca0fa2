/**
 * Every refusal the gateway makes (docs/architecture.md), end to end: authentication, the body, upstream errors
 * before and after the stream started. Each is OpenAI-shaped, and none reaches the upstream
 * or leaves a usage event when it should not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import OpenAI from 'openai';
import { getAccount } from '#shared/admin/accounts.ts';
import { revokeApiKey } from '#shared/admin/api-keys.ts';
import { setUserStatus } from '#shared/admin/users.ts';
import { keys } from '#shared/tables/keys.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { eventually } from '../support/gateway-calls.ts';

const BODY_LIMIT = 64 * 1024;
const e2e = e2eForSuite(
  { QG_BODY_LIMIT_BYTES: String(BODY_LIMIT), QG_IDLE_TIMEOUT_MS: '1500' },
  {},
  { resetMockEachTest: true },
);

async function post(secret: string | undefined, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${e2e.stack.url}/v1/responses`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret ? { authorization: `Bearer ${secret}` } : {}),
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: () => JSON.parse(text) as { error: { type: string; message: string } },
  };
}

describe('authentication', () => {
  it('refuses a request without a key with 401', async () => {
    const result = await post(undefined, '{"model":"gpt-5.1"}');
    assert.equal(result.status, 401);
    assert.equal(result.json().error.type, 'authentication_error');
  });

  it('refuses an unknown key through the SDK as an AuthenticationError', async () => {
    const client = e2e.client('sk-qg-not-a-real-key');
    await assert.rejects(
      client.responses.create({ model: 'gpt-5.1', input: 'hi' }),
      OpenAI.AuthenticationError,
    );
  });

  it('accepts the key in x-api-key', async () => {
    const { secret } = await e2e.seed();
    const result = await post(undefined, '{"model":"gpt-5.1","input":"hi"}', { 'x-api-key': secret });
    assert.equal(result.status, 200);
  });

  it('refuses a revoked key and a disabled user with 401', async () => {
    const revoked = await e2e.seed();
    await revokeApiKey(e2e.admin, revoked.keyId);
    assert.equal((await post(revoked.secret, '{"model":"gpt-5.1"}')).status, 401);

    const disabled = await e2e.seed();
    await setUserStatus(e2e.admin, disabled.userId, 'disabled');
    assert.equal((await post(disabled.secret, '{"model":"gpt-5.1"}')).status, 401);
    assert.equal(e2e.mock.requests.length, 0);
  });

  it('refuses a key whose group was deleted with 403, forwarding nothing', async () => {
    // Prepare: the admin API never deletes a group; one removed from the table behind its back
    const { secret, groupId } = await e2e.seed();
    await e2e.stack.client.send(
      new DeleteCommand({ TableName: e2e.stack.settings.tables.config, Key: keys.group(groupId) }),
    );

    // Act
    const result = await post(secret, '{"model":"gpt-5.1","input":"hi"}');

    // Assess
    assert.equal(result.status, 403);
    assert.deepEqual(
      [result.json().error.type, result.json().error.message],
      ['permission_error', 'The group of this API key no longer exists'],
    );
    assert.equal(e2e.mock.requests.length, 0);
  });

  it('refuses hostile authorization values without echoing them', async () => {
    const huge = `Bearer ${'x'.repeat(10_000)}`;
    const result = await post(undefined, '{"model":"gpt-5.1"}', { authorization: huge });
    assert.equal(result.status, 401);
    assert.ok(!result.text.includes('xxxx'));
    assert.equal((await post(undefined, '{"model":"gpt-5.1"}', { authorization: 'Basic abc' })).status, 401);
  });
});

describe('request body', () => {
  const cases: [string, string | Buffer, number, string][] = [
    [
      'is larger than the limit',
      JSON.stringify({ model: 'gpt-5.1', input: 'x'.repeat(BODY_LIMIT) }),
      413,
      'Request body too large, limit is 64 KiB',
    ],
    ['is empty', '', 400, 'Request body is empty'],
    ['is not JSON', '{"model": ', 400, 'Failed to parse request body'],
    ['is a JSON array', '[1,2]', 400, 'Request body must be a JSON object'],
    ['has no model', '{"input":"hi"}', 400, 'model is required'],
    ['has a numeric model', '{"model":5}', 400, 'model must be a string'],
    ['has a non-boolean stream', '{"model":"gpt-5.1","stream":"yes"}', 400, 'stream must be a boolean'],
  ];
  for (const [what, body, status, message] of cases) {
    it(`answers ${status} when the body ${what}`, async () => {
      const { secret } = await e2e.seed();
      const result = await post(secret, body);
      assert.equal(result.status, status);
      assert.deepEqual(result.json(), { error: { type: 'invalid_request_error', message } });
      assert.equal(e2e.mock.requests.length, 0);
    });
  }
});

describe('upstream errors on the only account', () => {
  const mapped: [number, number, string, string][] = [
    [401, 502, 'upstream_error', 'Upstream authentication failed, please contact administrator'],
    [403, 502, 'upstream_error', 'Upstream access forbidden, please contact administrator'],
    [429, 429, 'rate_limit_error', 'Upstream rate limit exceeded, please retry later'],
    [529, 503, 'upstream_error', 'Upstream service overloaded, please retry later'],
    [500, 502, 'upstream_error', 'Upstream service temporarily unavailable'],
    [503, 502, 'upstream_error', 'Upstream service temporarily unavailable'],
  ];
  // A 403 that names no cause; OpenAI's own 403 for a model or region goes to the client as it is.
  const unexplained = { error: { message: 'Forbidden', type: 'permission_error', param: null, code: null } };
  for (const [upstream, status, type, message] of mapped) {
    it(`maps an upstream ${upstream} to ${status} ${type}`, async () => {
      const { secret } = await e2e.seed();
      e2e.mock.setDefault({
        kind: 'error',
        status: upstream,
        ...(upstream === 403 ? { body: unexplained } : {}),
      });
      const result = await post(secret, '{"model":"gpt-5.1","input":"hi"}');
      assert.equal(result.status, status);
      assert.deepEqual(result.json(), { error: { type, message } });
    });
  }

  it('puts an account that got 401 into error state with the reason, never the credential', async () => {
    const { secret, accountId } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'error', status: 401 });
    await post(secret, '{"model":"gpt-5.1","input":"hi"}');
    const account = await getAccount(e2e.admin, accountId);
    assert.equal(account.health?.state, 'error');
    assert.match(account.health?.reason ?? '', /^upstream 401/);
    assert.ok(!JSON.stringify(account).includes('sk-upstream-platform-secret'));
  });

  it('cools down an account that got 429 until the reset the upstream named', async () => {
    const { secret, accountId } = await e2e.seed();
    e2e.mock.enqueue({
      kind: 'error',
      status: 429,
      headers: { 'x-codex-primary-reset-after-seconds': '120' },
    });
    const before = Date.now();
    await post(secret, '{"model":"gpt-5.1","input":"hi"}');
    const account = await getAccount(e2e.admin, accountId);
    assert.equal(account.health?.state, 'rate_limited');
    const until = account.health?.until ?? 0;
    assert.ok(until >= before + 119_000 && until <= Date.now() + 121_000);
  });

  const passed: [number, string][] = [
    [400, 'invalid_request_error'],
    [404, 'invalid_request_error'],
    [422, 'invalid_request_error'],
  ];
  for (const [upstream] of passed) {
    it(`passes an upstream ${upstream} through with OpenAI's body`, async () => {
      const { secret, accountId } = await e2e.seed();
      const body = {
        error: {
          message: `client mistake ${upstream}`,
          type: 'invalid_request_error',
          param: 'input',
          code: null,
        },
      };
      e2e.mock.enqueue({ kind: 'error', status: upstream, body });
      const result = await post(secret, '{"model":"gpt-5.1","input":"hi"}');
      assert.equal(result.status, upstream);
      assert.deepEqual(JSON.parse(result.text), body);
      assert.equal((await getAccount(e2e.admin, accountId)).health?.state ?? 'ok', 'ok');
    });
  }

  it('surfaces a 400 through the SDK as a BadRequestError', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'error', status: 400 });
    await assert.rejects(
      e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' }),
      OpenAI.BadRequestError,
    );
  });
});

describe('failures after the stream started', () => {
  it('ends a stream whose upstream connection dropped with an SSE error event, billed as cut short', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'drop', afterEvents: 3 });
    const before = e2e.usageEvents().length;
    const result = await post(secret, '{"model":"gpt-5.1","input":"hi","stream":true}');
    assert.equal(result.status, 200);
    assert.match(result.text, /event: response\.created/);
    assert.match(result.text, /event: error\ndata: \{"type":"error","code":"upstream_error"/);
    await e2e.stack.bus.drain();
    const event = e2e.usageEvents().slice(before)[0];
    assert.equal(event?.detail.cutShort, true);
    assert.equal(event?.detail.cutShortReason, 'upstream_error');
  });

  it('ends a stalled stream after the idle timeout with an SSE error event', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'stall', afterEvents: 2 });
    const result = await post(secret, '{"model":"gpt-5.1","input":"hi","stream":true}');
    assert.equal(result.status, 200);
    assert.match(result.text, /event: error\ndata: .*idle_timeout/);
  });

  it("makes the SDK throw an APIError with the gateway's code and message, after the events before it", async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'drop', afterEvents: 2 });
    const stream = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi', stream: true });
    const received: number[] = [];
    await assert.rejects(
      async () => {
        for await (const event of stream) received.push(event.sequence_number);
      },
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError, String(error));
        assert.equal(error.code, 'upstream_error');
        assert.equal(error.message, 'Upstream stream ended early (upstream_error)');
        assert.deepEqual(error.error, {
          type: 'error',
          code: 'upstream_error',
          message: 'Upstream stream ended early (upstream_error)',
          param: null,
          // The event follows the two the upstream sent (0 and 1).
          sequence_number: 2,
        });
        return true;
      },
    );
    assert.deepEqual(received, [0, 1]);
  });
});

describe('a client that leaves before the response started', () => {
  it('aborts the upstream call at once, frees the slots and bills nothing', async () => {
    const { secret } = await e2e.seed({ user: { concurrency: 1 } });
    e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 20_000 });
    const before = e2e.usageEvents().length;
    const leaving = new AbortController();
    const call = fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: '{"model":"gpt-5.1","input":"hi"}',
      signal: leaving.signal,
    }).catch(() => 'aborted');
    await eventually(() => e2e.mock.inFlight > 0);
    const abortedAt = Date.now();
    leaving.abort();
    assert.equal(await call, 'aborted');
    await eventually(() => e2e.mock.inFlight === 0, 15_000);
    const upstreamClosedAfter = Date.now() - abortedAt;

    // The user's only slot is free again: the next request is served without waiting for a lease.
    const next = await post(secret, '{"model":"gpt-5.1","input":"hi"}');
    assert.equal(next.status, 200);
    assert.ok(
      upstreamClosedAfter < 10_000,
      `upstream closed ${upstreamClosedAfter} ms after the client left`,
    );
    await e2e.stack.bus.drain();
    assert.equal(e2e.usageEvents().length - before, 1, 'only the second request was billed');
  });
});

describe('hostile bodies', () => {
  it('answers a body nested too deeply to re-serialise with 400, not 500', async () => {
    const { secret } = await e2e.seed();
    const depth = 20_000; // 40 KB, inside this file's 64 KiB body limit
    const body = `{"model":"gpt-5.1","input":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const result = await post(secret, body);
    assert.equal(result.status, 400);
    assert.deepEqual(result.json(), {
      error: { type: 'invalid_request_error', message: 'Request body is nested too deeply' },
    });
    assert.equal(e2e.mock.requests.length, 0);
  });
});

describe('hostile headers', () => {
  it('answers headers past the server limit with an OpenAI-shaped 431', async () => {
    const response = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-padding': 'x'.repeat(20_000) },
      body: '{"model":"gpt-5.1"}',
    });
    assert.equal(response.status, 431);
    assert.deepEqual(await response.json(), {
      error: { type: 'invalid_request_error', message: 'Request headers too large' },
    });
  });
});
