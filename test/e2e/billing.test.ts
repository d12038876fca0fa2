/**
 * Billing end to end: a request served through the gateway is recorded once by the recorder on
 * the local bus and charged to the nano-dollar; a user without balance is refused before any
 * upstream is called.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { listApiKeys } from '#shared/admin/api-keys.ts';
import { getUser } from '#shared/admin/users.ts';
import { computeCost, multiplierToPpm } from '#shared/billing/cost.ts';
import { BUILTIN_PRICES } from '#shared/billing/price-table.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';

let e2e: E2E;
before(async () => {
  e2e = await startE2E();
});
after(async () => {
  await e2e.close();
});

describe('billing through the gateway', () => {
  it('charges the balance exactly once for a streamed request, at the group multiplier', async () => {
    const { secret, userId } = await e2e.seed({
      user: { balanceUsd: '5' },
      group: { rateMultiplier: '1.5' },
    });
    const usage = {
      input_tokens: 12_345,
      cached_tokens: 2_000,
      output_tokens: 6_789,
      reasoning_tokens: 1_000,
    };
    e2e.mock.enqueue({ kind: 'ok', usage });

    const stream = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi', stream: true });
    for await (const _event of stream) {
      // drain
    }
    await e2e.stack.bus.drain();

    const price = BUILTIN_PRICES['gpt-5.1'];
    assert.ok(price);
    const expected = computeCost(
      { inputTokens: 12_345, cachedInputTokens: 2_000, outputTokens: 6_789, reasoningTokens: 1_000 },
      price,
      multiplierToPpm(1.5),
    );
    const user = await getUser(e2e.admin, userId);
    assert.ok(expected.chargeNano > 0);
    assert.equal(user.balanceNano, 5_000_000_000 - expected.chargeNano);
    const [key] = await listApiKeys(e2e.admin, userId);
    assert.equal(key?.usedNano, expected.chargeNano, 'the key is charged too, found by its hash');

    const report = (await fetch(`${e2e.stack.url}/v1/usage`, {
      headers: { authorization: `Bearer ${secret}` },
    }).then((response) => response.json())) as {
      balance: { usd: string };
      usage: { today: { requests: number; input_tokens: number; billed_usd: string } };
    };
    assert.equal(report.usage.today.requests, 1);
    assert.equal(report.usage.today.input_tokens, 12_345);
    assert.equal(Number(report.usage.today.billed_usd), expected.chargeNano / 1e9);
  });

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
