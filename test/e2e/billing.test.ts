/**
 * Billing end to end: a request served through the gateway is recorded once by the recorder on
 * the local bus and charged to the nano-dollar; a user without balance is refused before any
 * upstream is called.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { listApiKeys } from '#shared/admin/api-keys.ts';
import { assignSubscription } from '#shared/admin/subscriptions.ts';
import { getUser } from '#shared/admin/users.ts';
import { hashApiKey } from '#shared/domain/api-key-hash.ts';
import { DynamoPriceOverrides } from '#shared/store/dynamo/billing-prices.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { clearOfMidnight } from '../support/utc-days.ts';

const e2e = e2eForSuite();

/** A model only an admin price knows, priced finer than a nano-dollar per token. */
const FINE_MODEL = 'qg-fine-priced';

/**
 * Charges worked out by hand from the price and the token counts, in a group with a 1.5×
 * multiplier. The second is one where rounding the list cost first and then multiplying would
 * charge one nano-dollar more than rounding once.
 */
const CHARGES = [
  {
    what: 'a built-in price',
    model: 'gpt-5.1', // $1.25 / $0.125 / $10 per 1M tokens: 1_250, 125 and 10_000 nano-USD a token
    usage: { input_tokens: 12_345, cached_tokens: 2_000, output_tokens: 6_789, reasoning_tokens: 1_000 },
    // 10_345 × 1_250 + 2_000 × 125 + 6_789 × 10_000 = 81_071_250 nano-USD; × 1.5
    chargeNano: 121_606_875,
  },
  {
    what: 'an admin price finer than a nano-dollar a token, rounded once',
    model: FINE_MODEL, // $0.0375 / $0.00375 / $0.1125 per 1M tokens: 37.5, 3.75 and 112.5 nano-USD a token
    usage: { input_tokens: 1_200, cached_tokens: 200, output_tokens: 301, reasoning_tokens: 0 },
    // 1_000 × 37.5 + 200 × 3.75 + 301 × 112.5 = 72_112.5 nano-USD; × 1.5 = 108_168.75 → 108_169
    // (the list cost rounded first, 72_113 × 1.5 = 108_169.5, would be 108_170)
    chargeNano: 108_169,
  },
];

describe('billing through the gateway', () => {
  before(async () => {
    await new DynamoPriceOverrides(e2e.stack.client, e2e.stack.settings.tables.config).setPrice(FINE_MODEL, {
      inputPicoPerToken: 37_500,
      cachedInputPicoPerToken: 3_750,
      outputPicoPerToken: 112_500,
    });
  });

  for (const { what, model, usage, chargeNano } of CHARGES) {
    it(`charges the balance exactly once for a streamed request at the group multiplier: ${what}`, async () => {
      // Prepare: the request and the report's "today" (the gateway's wall clock) on one UTC day.
      await clearOfMidnight();
      const { secret, userId } = await e2e.seed({
        user: { balanceUsd: '5' },
        group: { rateMultiplier: '1.5' },
      });
      e2e.mock.enqueue({ kind: 'ok', usage });

      // Act
      const stream = await e2e.client(secret).responses.create({ model, input: 'hi', stream: true });
      for await (const _event of stream) {
        // drain
      }
      await e2e.stack.bus.drain();

      // Assess
      const user = await getUser(e2e.admin, userId);
      assert.equal(user.balanceNano, 5_000_000_000 - chargeNano);
      const [key] = await listApiKeys(e2e.admin, userId);
      assert.equal(key?.usedNano, chargeNano, 'the key is charged too, found by its hash');
      const report = (await fetch(`${e2e.stack.url}/v1/usage`, {
        headers: { authorization: `Bearer ${secret}` },
      }).then((response) => response.json())) as {
        usage: { today: { requests: number; input_tokens: number; billed_usd: string } };
      };
      assert.equal(report.usage.today.requests, 1);
      assert.equal(report.usage.today.input_tokens, usage.input_tokens);
      assert.equal(Number(report.usage.today.billed_usd), chargeNano / 1e9);
    });
  }

  it('refuses a user whose balance is spent before calling any upstream', async () => {
    const { secret } = await e2e.seed({ user: { balanceUsd: '0' } });
    const before = e2e.mock.requests.length;
    await assert.rejects(
      e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' }),
      (error: unknown) =>
        error instanceof OpenAI.PermissionDeniedError &&
        error.message.includes('Insufficient account balance'),
    );
    assert.equal(e2e.mock.requests.length, before);
  });
});

describe('key options and subscriptions through the gateway', () => {
  const call = (secret: string, model = 'gpt-5.1') =>
    fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: 'hi' }),
    }).then(async (response) => ({
      status: response.status,
      error: ((await response.json()) as { error?: { code?: string } }).error,
    }));

  it('refuses an expired key with 403 and a model outside the key’s list with 403', async () => {
    // Admins cannot create a key that has already expired; let time pass for this one instead.
    const expired = await e2e.seed({ key: { expiresAt: '2099-01-01' } });
    await e2e.admin.update(
      'apiKey',
      { hash: hashApiKey(expired.secret), id: expired.keyId },
      { expiresAt: '2020-01-01' },
    );
    assert.deepEqual(await call(expired.secret), {
      status: 403,
      error: { type: 'permission_error', message: 'API key has expired', code: 'API_KEY_EXPIRED' },
    });
    const limited = await e2e.seed({ key: { allowedModels: ['gpt-5-mini'] } });
    assert.equal((await call(limited.secret, 'gpt-5.1')).error?.code, 'MODEL_NOT_ALLOWED');
    assert.equal((await call(limited.secret, 'gpt-5-mini')).status, 200);
  });

  it('stops a key once its USD quota is spent', async () => {
    const { secret } = await e2e.seed({ key: { quotaUsd: '0.000001' } });
    e2e.mock.enqueue({ kind: 'ok', usage: { input_tokens: 10_000, output_tokens: 10_000 } });
    assert.equal((await call(secret)).status, 200);
    await e2e.stack.bus.drain();
    assert.deepEqual(await call(secret).then((result) => [result.status, result.error?.code]), [
      429,
      'API_KEY_QUOTA_EXHAUSTED',
    ]);
  });

  it('serves a subscription group only with an active subscription, until its daily limit is reached', async () => {
    const { secret, userId, groupId } = await e2e.seed({
      group: { billingMode: 'subscription', dailyLimitUsd: '0.00001' },
      user: { balanceUsd: '0' },
    });
    assert.equal((await call(secret)).error?.code, 'SUBSCRIPTION_NOT_FOUND');

    await assignSubscription(e2e.admin, { userId, groupId, until: '2099-01-01' });
    e2e.mock.enqueue({ kind: 'ok', usage: { input_tokens: 10_000, output_tokens: 10_000 } });
    assert.equal((await call(secret)).status, 200, 'a balance of 0 does not matter in subscription mode');
    await e2e.stack.bus.drain();
    assert.deepEqual(await call(secret).then((result) => [result.status, result.error?.code]), [
      429,
      'USAGE_LIMIT_EXCEEDED',
    ]);
  });
});
