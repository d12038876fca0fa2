/**
 * Per-key limits through the gateway, called from 127.0.0.1 the way a client calls it: an IP
 * allow-list refuses every other address, and a requests-per-minute limit refuses the requests
 * past it, before any upstream is called or anything is recorded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { listApiKeys, setApiKeyLimits } from '#shared/admin/api-keys.ts';
import { scanAll } from '#shared/store/dynamo/query-pages.ts';
import { keys } from '#shared/tables/keys.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { clearOfBoundary, clearOfMidnight } from '../support/utc-days.ts';

const e2e = e2eForSuite();

describe('IP allow-list', { timeout: 60_000 }, () => {
  it('serves a key from an address in its list', async () => {
    const { secret } = await e2e.seed({ key: { allowedIps: ['10.0.0.0/8', '127.0.0.0/8'] } });
    e2e.mock.enqueue({ kind: 'ok', usage: { input_tokens: 10, output_tokens: 5 } });

    const response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' });

    assert.equal(response.object, 'response');
  });

  it('refuses a key from an address outside its list with 403 IP_NOT_ALLOWED, whatever headers claim', async () => {
    // Prepare
    const { secret } = await e2e.seed({ key: { allowedIps: ['10.0.0.0/8', '2001:db8::/32', '::1'] } });
    const upstreamCalls = e2e.mock.requests.length;
    const events = e2e.usageEvents().length;

    // Act
    const refused = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secret}`,
        'content-type': 'application/json',
        'x-forwarded-for': '10.0.0.1',
        'x-real-ip': '10.0.0.1',
      },
      body: JSON.stringify({ model: 'gpt-5.1', input: 'hi' }),
    });
    const sdk = await e2e
      .client(secret)
      .responses.create({ model: 'gpt-5.1', input: 'hi' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await e2e.stack.bus.drain();

    // Assess
    assert.equal(refused.status, 403);
    assert.deepEqual(await refused.json(), {
      error: {
        type: 'permission_error',
        message: 'Access from IP 127.0.0.1 is not allowed for this API key',
        code: 'IP_NOT_ALLOWED',
      },
    });
    assert.ok(sdk instanceof OpenAI.PermissionDeniedError, 'the SDK reads it as PermissionDeniedError');
    assert.equal(e2e.mock.requests.length, upstreamCalls, 'no upstream was called');
    assert.equal(e2e.usageEvents().length, events, 'nothing was recorded');
  });
});

describe('limits changed on a live key', { timeout: 60_000 }, () => {
  it('applies an allow-list set on an existing key, and serves it again once the list is removed', async () => {
    const { secret, keyId } = await e2e.seed();
    const call = () => e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' });
    await call();

    await setApiKeyLimits(e2e.admin, keyId, { allowedIps: '10.0.0.0/8' });
    const refused = await call().then(
      () => undefined,
      (error: unknown) => error,
    );
    await setApiKeyLimits(e2e.admin, keyId, { allowedIps: 'none' });
    const served = await call();

    assert.ok(refused instanceof OpenAI.PermissionDeniedError, 'refused once the list excludes 127.0.0.1');
    assert.equal(served.object, 'response');
  });
});

describe('requests per minute', { timeout: 60_000 }, () => {
  /** The counter is per UTC minute: start well inside one, so five quick requests share it. */
  const awaitFreshMinute = () => clearOfBoundary(60_000, 15_000);

  it('serves 3 of 5 simultaneous requests on a 3-per-minute key and refuses 2 with 429 and Retry-After, uncharged', async () => {
    // Prepare
    const { secret, userId, keyId } = await e2e.seed({ key: { requestsPerMinute: 3 } });
    // gpt-5.1 at $1.25 / $10 per 1M tokens: 1_000 × 1_250 + 100 × 10_000 = 2_250_000 nano-USD each.
    const usage = { input_tokens: 1_000, cached_tokens: 0, output_tokens: 100, reasoning_tokens: 0 };
    e2e.mock.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'ok' as const, usage })));
    const upstreamCalls = e2e.mock.requests.length;
    await awaitFreshMinute();

    // Act
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${e2e.stack.url}/v1/responses`, {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-5.1', input: 'hi' }),
        }).then(async (response) => ({
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: (await response.json()) as { error?: { type: string; code?: string; message: string } },
        })),
      ),
    );
    const secondsLeft = 60 - Math.floor((Date.now() % 60_000) / 1000);
    await e2e.stack.bus.drain();

    // Assess
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 200, 200, 429, 429]);
    for (const refused of answers.filter((answer) => answer.status === 429)) {
      assert.deepEqual(refused.body.error, {
        type: 'rate_limit_error',
        message: 'Rate limit reached: this API key allows 3 requests per minute',
        code: 'API_KEY_RATE_LIMITED',
      });
      const retryAfter = Number(refused.retryAfter);
      assert.ok(
        retryAfter >= secondsLeft && retryAfter <= 60,
        `Retry-After ${refused.retryAfter} ends the minute`,
      );
    }
    assert.equal(e2e.mock.requests.length - upstreamCalls, 3, 'only the admitted requests reached upstream');
    const events = e2e.usageEvents().filter((event) => event.detail.apiKeyId === keyId);
    assert.equal(events.length, 3, 'only the served requests were recorded');
    const [key] = await listApiKeys(e2e.admin, userId);
    assert.equal(key?.usedNano, 3 * 2_250_000, 'the key is charged for the 3 served requests only');
    const state = await scanAll(e2e.stack.client, {
      TableName: e2e.stack.settings.tables.state,
      ConsistentRead: true,
    });
    const held = state.filter((item) => item.pk === keys.slotPartition('user', userId));
    assert.deepEqual(held, [], 'the refused requests gave back the slots they won');
  });

  it('lets the SDK read the refusal as RateLimitError and leaves keys without a limit alone', async () => {
    const { secret } = await e2e.seed({ key: { requestsPerMinute: 1 } });
    const unlimited = await e2e.seed();
    await awaitFreshMinute();
    await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' });

    const refused = await e2e
      .client(secret)
      .responses.create({ model: 'gpt-5.1', input: 'hi' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    for (let index = 0; index < 3; index += 1) {
      await e2e.client(unlimited.secret).responses.create({ model: 'gpt-5.1', input: 'hi' });
    }

    assert.ok(refused instanceof OpenAI.RateLimitError, 'the SDK reads it as RateLimitError');
  });
});

describe('budget with a reset period', { timeout: 120_000 }, () => {
  it('serves a key until its daily budget is spent, then refuses it with 429 until the next UTC day', async () => {
    // Prepare: gpt-5.1, 1_000 × 1_250 + 100 × 10_000 = 2_250_000 nano-USD per request. The
    // gateway's budget day is the wall clock's: the requests and the Retry-After check below must
    // fall on one UTC day, as a budget reset between them would serve the third request.
    await clearOfMidnight();
    const usage = { input_tokens: 1_000, cached_tokens: 0, output_tokens: 100, reasoning_tokens: 0 };
    const { secret } = await e2e.seed({ key: { budgetUsd: '0.004', budgetPeriod: 'daily' } });
    const monthly = await e2e.seed({ key: { budgetUsd: '1', budgetPeriod: 'monthly' } });
    const call = (key: string) =>
      fetch(`${e2e.stack.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-5.1', input: 'hi' }),
      });

    // Act: 2_250_000 is below the 4_000_000 budget, 4_500_000 is not.
    const answers: Response[] = [];
    for (let index = 0; index < 3; index += 1) {
      e2e.mock.enqueue({ kind: 'ok', usage });
      answers.push(await call(secret));
      await e2e.stack.bus.drain();
    }
    const upstreamCalls = e2e.mock.requests.length;
    e2e.mock.enqueue(...Array.from({ length: 2 }, () => ({ kind: 'ok' as const, usage })));
    const other = [await call(monthly.secret), await call(monthly.secret)];
    const secondsToMidnight = Math.floor((86_400_000 - (Date.now() % 86_400_000)) / 1000);

    // Assess
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 429],
    );
    const refused = answers[2] as Response;
    assert.deepEqual(await refused.json(), {
      error: {
        type: 'rate_limit_error',
        message: 'API key daily budget exhausted',
        code: 'API_KEY_BUDGET_EXHAUSTED',
      },
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(
      retryAfter >= secondsToMidnight && retryAfter <= secondsToMidnight + 30,
      `Retry-After ${retryAfter} is the next UTC midnight`,
    );
    assert.equal(e2e.mock.requests.length - upstreamCalls, 2, 'the refused request reached no upstream');
    assert.deepEqual(
      other.map((answer) => answer.status),
      [200, 200],
      'a key within its monthly budget is served',
    );
  });
});
