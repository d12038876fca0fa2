/**
 * The ChatGPT Codex backend's own error answers, through the running gateway and the official
 * `openai` SDK, on a pool of ChatGPT (OAuth) accounts. The backend does not answer like the
 * platform API: a plan's usage limit is a 429 `usage_limit_reached` naming its reset, a plan
 * without Codex a 429 `usage_not_included`, a refused token a 401 `{"detail":"Unauthorized"}` or
 * `token_invalidated`, an unsupported model a 400 `{"detail":…}`, and Cloudflare may answer
 * with an HTML page. Each must fail over or not as its meaning says, mark the account for as long
 * as it says, reach the client as an OpenAI-shaped error with the right status, bill nothing for
 * what was not served, and leak no credential.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { getAccount } from '#shared/admin/accounts.ts';
import { getUser } from '#shared/admin/users.ts';
import { DynamoOpsErrorLog } from '#shared/store/dynamo/ops-error-log.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { call } from '../support/gateway-calls.ts';
import { type MockTokenEndpoint, startMockTokenEndpoint } from '../support/mock-token-endpoint.ts';
import {
  chatgptDetailError,
  chatgptExpiredTokenDetail,
  chatgptTokenInvalidatedError,
  chatgptUsageLimitError,
  chatgptUsageNotIncludedError,
  cloudflareBlockPage,
} from '../support/mock-upstream/errors.ts';
import type { MockBehaviour } from '../support/mock-upstream.ts';

const RECHECK_SECONDS = 600;
const REQUEST = { model: 'gpt-5.1', input: 'hi' } as const;
/** The Codex headers the backend sends with a usage-limit 429: the 5-hour window is spent. */
const CODEX_LIMIT_HEADERS = {
  'x-codex-primary-used-percent': '100',
  'x-codex-primary-window-minutes': '300',
  'x-codex-primary-reset-after-seconds': '13873',
  'x-codex-secondary-used-percent': '80',
  'x-codex-secondary-window-minutes': '10080',
  'x-codex-secondary-reset-after-seconds': '316705',
};

let e2e: E2E;
let tokens: MockTokenEndpoint;
let opsLog: DynamoOpsErrorLog;
before(async () => {
  tokens = await startMockTokenEndpoint();
  e2e = await startE2E({
    QG_OAUTH_TOKEN_URL: tokens.url,
    QG_ACCOUNT_ERROR_RECHECK_SECONDS: String(RECHECK_SECONDS),
  });
  opsLog = new DynamoOpsErrorLog(e2e.stack.client, e2e.stack.settings.tables.state);
});
after(async () => {
  await e2e.close();
  await tokens.close();
});
beforeEach(() => {
  e2e.mock.reset();
  tokens.mode = 'success';
});

/** The request's failure as the SDK raised it. */
async function failure(secret: string, request: OpenAI.Responses.ResponseCreateParamsNonStreaming = REQUEST) {
  const caught = await e2e
    .client(secret)
    .responses.create(request)
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  assert.ok(caught instanceof OpenAI.APIError, `expected an APIError, got ${String(caught)}`);
  return caught;
}

const healthOf = async (accountId: string | undefined) =>
  (await getAccount(e2e.admin, accountId as string)).health;

/** Every credential of the pool and what the token endpoint issued: none may reach a client. */
function assertNoCredential(text: string, keys: string[]): void {
  const secrets = [
    ...keys.flatMap((key) => [key, `rt_${key}`]),
    ...tokens.issued.flatMap((issued) => [issued.accessToken, issued.refreshToken]),
  ];
  for (const secret of secrets) assert.ok(!text.includes(secret), `a credential reached the client: ${text}`);
}

describe('a plan at its usage limit (429 usage_limit_reached)', () => {
  it('fails over, cools the account down until the reset the body names, and bills only the served answer', async () => {
    // Prepare
    const { secret, userId, accountIds, attempts } = await seedAccountPool(e2e, 2, { oauth: true });
    e2e.mock.enqueue({
      kind: 'error',
      status: 429,
      body: chatgptUsageLimitError(13_872, Math.floor(Date.now() / 1000) + 13_872),
      headers: CODEX_LIMIT_HEADERS,
    });

    // Act
    const startedAt = Date.now();
    const response = await e2e.client(secret).responses.create(REQUEST);
    const endedAt = Date.now();

    // Assess
    assert.equal(response.status, 'completed');
    assert.deepEqual(attempts(), [0, 1]);
    const health = await healthOf(accountIds[0]);
    assert.equal(health.state, 'rate_limited');
    assert.equal(health.reason, 'upstream 429: The usage limit has been reached');
    const until = health.until ?? 0;
    assert.ok(until >= startedAt + 13_872_000 && until <= endedAt + 13_872_000, `until ${until}`);
    assert.equal((await healthOf(accountIds[1])).state, 'ok');
    const usage = await e2e.usageOf(userId);
    assert.deepEqual(
      usage.map((event) => [event.accountId, event.status, event.failovers]),
      [[accountIds[1], 200, 1]],
    );
  });

  it('cools the account down until resets_at when the body gives only that', async () => {
    // Prepare
    const { secret, accountIds, attempts } = await seedAccountPool(e2e, 2, { oauth: true });
    const resetsAt = Math.floor(Date.now() / 1000) + 7_200;
    e2e.mock.enqueue({ kind: 'error', status: 429, body: chatgptUsageLimitError(undefined, resetsAt) });

    // Act
    const response = await e2e.client(secret).responses.create(REQUEST);

    // Assess
    assert.equal(response.status, 'completed');
    assert.deepEqual(attempts(), [0, 1]);
    const health = await healthOf(accountIds[0]);
    assert.equal(health.state, 'rate_limited');
    // Read and judged a few ms apart, so within a second of the named time.
    assert.ok(Math.abs((health.until ?? 0) - resetsAt * 1000) <= 1000, `until ${health.until}`);
  });

  it('answers 429 rate_limit_error with Retry-After at the soonest reset once every account is spent, and charges nothing', async () => {
    // Prepare
    const { secret, userId, accountIds, attempts, keys } = await seedAccountPool(e2e, 2, { oauth: true });
    const balanceBefore = (await getUser(e2e.admin, userId)).balanceNano;
    e2e.mock.enqueue(
      { kind: 'error', status: 429, body: chatgptUsageLimitError(9_000) },
      { kind: 'error', status: 429, body: chatgptUsageLimitError(3_600) },
    );

    // Act
    const limited = await failure(secret);
    const unavailable = await call(e2e.stack.url, secret, { ...REQUEST, stream: true });

    // Assess
    assert.ok(limited instanceof OpenAI.RateLimitError, String(limited));
    assert.equal(limited.type, 'rate_limit_error');
    assert.equal(limited.message, '429 Upstream rate limit exceeded, please retry later');
    const retryAfter = Number(limited.headers?.get('retry-after'));
    assert.ok(retryAfter > 3_590 && retryAfter <= 3_600, `Retry-After ${retryAfter}`);
    assert.deepEqual(attempts(), [0, 1], 'a cooling account is not tried again');
    assert.deepEqual(await Promise.all(accountIds.map(async (id) => (await healthOf(id)).state)), [
      'rate_limited',
      'rate_limited',
    ]);
    assert.equal(unavailable.status, 503);
    assert.match(
      JSON.parse(unavailable.text).error.message,
      /^No available accounts: all cooling down until \d{4}-\d\d-\d\dT/,
    );
    assert.deepEqual(await e2e.usageOf(userId), []);
    assert.equal((await getUser(e2e.admin, userId)).balanceNano, balanceBefore);
    assertNoCredential(JSON.stringify(limited.error) + unavailable.text, keys);
  });
});

describe('a plan without Codex (429 usage_not_included)', () => {
  it('is an account error, not a rate limit: marked until the re-check, and another account serves', async () => {
    // Prepare
    const { secret, accountIds, attempts } = await seedAccountPool(e2e, 2, { oauth: true });
    e2e.mock.enqueue({ kind: 'error', status: 429, body: chatgptUsageNotIncludedError() });

    // Act
    const startedAt = Date.now();
    const response = await e2e.client(secret).responses.create(REQUEST);

    // Assess
    assert.equal(response.status, 'completed');
    assert.deepEqual(attempts(), [0, 1]);
    const health = await healthOf(accountIds[0]);
    assert.equal(health.state, 'error');
    assert.match(health.reason ?? '', /^upstream 429: Codex is not included in your plan/);
    assert.ok((health.until ?? 0) >= startedAt + RECHECK_SECONDS * 1000, `until ${health.until}`);
  });
});

describe('a refused token (401)', () => {
  const refusals: [string, MockBehaviour, string][] = [
    [
      '{"detail":"Unauthorized"}',
      { kind: 'error', status: 401, body: chatgptDetailError('Unauthorized') },
      'upstream 401: Unauthorized',
    ],
    [
      'token_invalidated',
      { kind: 'error', status: 401, body: chatgptTokenInvalidatedError() },
      'upstream 401: Your authentication token has been invalidated. Please try signing in again.',
    ],
    [
      'an expired token in a detail object',
      { kind: 'error', status: 401, body: chatgptExpiredTokenDetail() },
      'upstream 401: Your authentication token has expired. Please try signing in again.',
    ],
  ];
  for (const [what, refusal, reason] of refusals) {
    it(`${what}: one forced refresh and retry, then the account is marked and another serves`, async () => {
      // Prepare: the account refuses its token, and the refreshed one too
      const { secret, accountIds, keys } = await seedAccountPool(e2e, 2, { oauth: true });
      e2e.mock.enqueue(refusal, refusal);
      const issuedBefore = tokens.issued.length;

      // Act
      const response = await e2e.client(secret).responses.create(REQUEST);

      // Assess
      assert.equal(response.status, 'completed');
      const refreshed = tokens.issued.slice(issuedBefore);
      assert.equal(refreshed.length, 1, 'one forced refresh');
      assert.deepEqual(
        e2e.mock.requests.map((request) => request.headers.authorization),
        [`Bearer ${keys[0]}`, `Bearer ${refreshed[0]?.accessToken}`, `Bearer ${keys[1]}`],
      );
      const health = await healthOf(accountIds[0]);
      assert.equal(health.state, 'error');
      assert.equal(health.reason, reason);
    });
  }

  it('is cured by the refresh when the refreshed token is accepted: served by the same account, unmarked', async () => {
    // Prepare
    const { secret, userId, accountIds, keys } = await seedAccountPool(e2e, 2, { oauth: true });
    e2e.mock.enqueue({ kind: 'error', status: 401, body: chatgptTokenInvalidatedError() });
    const issuedBefore = tokens.issued.length;

    // Act
    const response = await e2e.client(secret).responses.create(REQUEST);

    // Assess
    assert.equal(response.status, 'completed');
    const [refreshed] = tokens.issued.slice(issuedBefore);
    assert.deepEqual(
      e2e.mock.requests.map((request) => [
        request.headers.authorization,
        request.headers['chatgpt-account-id'],
      ]),
      [
        [`Bearer ${keys[0]}`, `chatgpt-${keys[0]}`],
        [`Bearer ${refreshed?.accessToken}`, `chatgpt-${keys[0]}`],
      ],
    );
    assert.equal((await healthOf(accountIds[0])).state, 'ok');
    const usage = await e2e.usageOf(userId);
    assert.deepEqual(
      usage.map((event) => [event.accountId, event.failovers]),
      [[accountIds[0], 0]],
    );
  });

  it('ends in 502 upstream_error when no account is left, with no credential in the answer or the ops record', async () => {
    // Prepare
    const { secret, userId, keys, accountIds } = await seedAccountPool(e2e, 1, { oauth: true });
    e2e.mock.setDefault({ kind: 'error', status: 401, body: chatgptTokenInvalidatedError() });

    // Act
    const refused = await call(e2e.stack.url, secret, REQUEST);

    // Assess
    assert.equal(refused.status, 502);
    assert.deepEqual(JSON.parse(refused.text), {
      error: {
        type: 'upstream_error',
        message: 'Upstream authentication failed, please contact administrator',
      },
    });
    assert.equal((await healthOf(accountIds[0])).state, 'error');
    const { records } = await opsLog.query({
      fromMs: Date.now() - 60_000,
      toMs: Date.now() + 1000,
      limit: 1000,
    });
    const record = records.find((candidate) => candidate.requestId === refused.headers.get('x-request-id'));
    assert.equal(record?.upstreamStatus, 401);
    assertNoCredential(refused.text + JSON.stringify(record), keys);
    assert.deepEqual(await e2e.usageOf(userId), []);
  });
});

describe('a request the backend refuses (400 {"detail":…})', () => {
  it('goes back to the client as an OpenAI-shaped 400 with the backend’s words, no failover, no mark, no charge', async () => {
    // Prepare
    const { secret, userId, accountIds, attempts } = await seedAccountPool(e2e, 2, { oauth: true });
    const detail = "The 'gpt-5.1' model is not supported when using Codex with a ChatGPT account.";
    e2e.mock.setDefault({ kind: 'error', status: 400, body: chatgptDetailError(detail) });

    // Act
    const refused = await failure(secret);
    const raw = await call(e2e.stack.url, secret, REQUEST);

    // Assess
    assert.ok(refused instanceof OpenAI.BadRequestError, String(refused));
    assert.equal(refused.message, `400 ${detail}`);
    assert.equal(raw.status, 400);
    assert.equal(raw.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(raw.text), { error: { type: 'invalid_request_error', message: detail } });
    assert.deepEqual(attempts(), [0, 0]);
    assert.deepEqual(await Promise.all(accountIds.map(async (id) => (await healthOf(id)).state)), [
      'ok',
      'ok',
    ]);
    assert.deepEqual(await e2e.usageOf(userId), []);
  });
});

describe('a Cloudflare block page (403 text/html)', () => {
  const BLOCKED: MockBehaviour = { kind: 'error', status: 403, rawBody: cloudflareBlockPage() };

  it('fails over, and marks the blocked account once another account served the request', async () => {
    // Prepare
    const { secret, accountIds, attempts } = await seedAccountPool(e2e, 2, { oauth: true });
    e2e.mock.enqueue(BLOCKED);

    // Act
    const response = await e2e.client(secret).responses.create(REQUEST);

    // Assess
    assert.equal(response.status, 'completed');
    assert.deepEqual(attempts(), [0, 1]);
    const health = await healthOf(accountIds[0]);
    assert.equal(health.state, 'error');
    assert.match(health.reason ?? '', /^upstream 403: <!DOCTYPE html>/);
    assert.match(health.reason ?? '', /\(another account served the same request\)$/);
  });

  it('blocking every account ends in an OpenAI-shaped 403, not the page, and marks no account', async () => {
    // Prepare
    const { secret, userId, accountIds, attempts, keys } = await seedAccountPool(e2e, 3, { oauth: true });
    e2e.mock.setDefault(BLOCKED);

    // Act
    const refused = await failure(secret);
    const raw = await call(e2e.stack.url, secret, { ...REQUEST, stream: true });

    // Assess
    assert.ok(refused instanceof OpenAI.PermissionDeniedError, String(refused));
    assert.equal(refused.message, '403 Upstream rejected the request (HTTP 403)');
    assert.equal(raw.status, 403);
    assert.equal(raw.headers.get('content-type'), 'application/json');
    assert.deepEqual(JSON.parse(raw.text), {
      error: { type: 'invalid_request_error', message: 'Upstream rejected the request (HTTP 403)' },
    });
    assert.deepEqual(attempts(), [0, 1, 0, 1], 'the second identical page ends failover');
    assert.deepEqual(await Promise.all(accountIds.map(async (id) => (await healthOf(id)).state)), [
      'ok',
      'ok',
      'ok',
    ]);
    assert.deepEqual(await e2e.usageOf(userId), []);
    assertNoCredential(raw.text, keys);
  });
});
