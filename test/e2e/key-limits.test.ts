/**
 * Per-key limits through the gateway, called from 127.0.0.1 the way a client calls it: an IP
 * allow-list refuses every other address before any upstream is called or anything is recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type E2E, startE2E } from '../support/e2e-stack.ts';

let e2e: E2E;
before(async () => {
  e2e = await startE2E();
});
after(async () => {
  await e2e.close();
});

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
