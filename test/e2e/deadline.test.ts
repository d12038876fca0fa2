/**
 * Lambda stops a function at its timeout without warning. The gateway ends its stream cleanly
 * before that (DEADLINE_MARGIN_MS ahead), releases its slots and bills what it observed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEADLINE_MARGIN_MS } from '#shared/gateway/serve-responses.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';

/** The function's timeout in this test: the gateway has 2 s before its own margin. */
const FUNCTION_TIMEOUT_MS = DEADLINE_MARGIN_MS + 2_000;
const e2e = e2eForSuite({ QG_IDLE_TIMEOUT_MS: '60000' }, { functionTimeoutMs: FUNCTION_TIMEOUT_MS });

describe('the function deadline', () => {
  it('ends a stream that would outlive the function with an SSE error, frees the slot and bills it cut short', async () => {
    const { secret } = await e2e.seed({ user: { concurrency: 1 } });
    e2e.mock.enqueue({ kind: 'stall', afterEvents: 3 });
    const before = e2e.usageEvents().length;

    const started = Date.now();
    const response = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: '{"model":"gpt-5.1","input":"hi","stream":true}',
    });
    const text = await response.text();
    const elapsed = Date.now() - started;

    assert.equal(response.status, 200);
    assert.match(text, /event: response\.created/);
    assert.match(
      text,
      /event: error\ndata: \{"type":"error","code":"upstream_error","message":"Upstream stream ended early \(deadline\)"/,
    );
    assert.ok(elapsed < FUNCTION_TIMEOUT_MS, `the gateway ended the stream itself (${elapsed} ms)`);
    await e2e.stack.bus.drain();
    const event = e2e.usageEvents().slice(before)[0];
    assert.equal(event?.detail.cutShort, true);
    assert.equal(event?.detail.cutShortReason, 'deadline');
    // The only slot was released: the next request of this concurrency-1 user is served at once.
    const next = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' });
    assert.equal(next.status, 'completed');
  });
});
