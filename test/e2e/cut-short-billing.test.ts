/**
 * A stream cut short is billed for what was observed (the input from the request body, the output
 * from the text that reached the client), whoever cut it and wherever: the client leaving at each
 * stage of the answer, the upstream dropping, stalling into the idle timeout. Expected counts are
 * known by hand: o200k_base reads the mock's answer "Hello from the mock upstream.", sent as the
 * deltas "Hello from" | " the" | " mock" | " upstream.", as Hello| from| the| mock| upstream|. and
 * the prompt "Say hello to the mock upstream." as Say| hello| to| the| mock| upstream|.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getUser } from '#shared/admin/users.ts';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { expectedNano, PUBLISHED_PRICES } from '../support/expected-charge.ts';
import { eventually, startCall } from '../support/gateway-calls.ts';
import type { MockBehaviour } from '../support/mock-upstream.ts';

const PROMPT = 'Say hello to the mock upstream.';
const PROMPT_TOKENS = 7;
/** Output tokens after 0, 1, 2, 3 and 4 deltas reached the client. */
const TOKENS_AFTER_DELTAS = [0, 2, 3, 4, 6];
const MODEL = 'gpt-5.1';
const SLOW: MockBehaviour = { kind: 'ok', chunkDelayMs: 150 };

const e2e = e2eForSuite({ QG_IDLE_TIMEOUT_MS: '1000' });

/** The request's usage event; a client that left sees its response end before the gateway emits it. */
async function usageEventOf(requestId: string): Promise<UsageEventDetail | undefined> {
  for (let tries = 0; tries < 100; tries++) {
    await e2e.stack.bus.drain();
    const found = e2e.usageEvents().find((event) => event.detail.requestId === requestId);
    if (found) return found.detail;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

function deltasIn(text: string): number {
  return text.split('event: response.output_text.delta').length - 1;
}

/** Streams the prompt, hangs up once `leaveAt` shows in the body; returns what arrived and the event. */
async function leaveAt(secret: string, marker: string, input = PROMPT) {
  e2e.mock.enqueue(SLOW);
  const call = startCall(e2e.stack.url, secret, { model: MODEL, input, stream: true });
  await call.until((text) => text.includes(marker));
  call.abort();
  const result = await call.finished;
  const detail = await usageEventOf(result.headers.get('x-request-id') ?? '');
  return { text: result.text, detail };
}

describe('a stream the client leaves', () => {
  const stages: [string, string, number][] = [
    ['after response.created, before any text', 'event: response.created', 0],
    ['after the first delta', 'event: response.output_text.delta', 1],
    ['right after response.output_text.done', 'event: response.output_text.done', 4],
    ['right after response.output_item.done', 'event: response.output_item.done', 4],
  ];
  for (const [stage, marker, deltas] of stages) {
    it(`is billed the prompt and the text it received when it leaves ${stage}`, async () => {
      const { secret } = await e2e.seed();
      const { text, detail } = await leaveAt(secret, marker);
      assert.equal(deltasIn(text), deltas);
      assert.ok(detail, 'a usage event was emitted');
      assert.equal(detail.cutShort, true);
      assert.equal(detail.cutShortReason, 'client_disconnect');
      assert.equal(detail.usageSource, 'observed');
      assert.deepEqual(detail.usage, {
        inputTokens: PROMPT_TOKENS,
        cachedInputTokens: 0,
        outputTokens: TOKENS_AFTER_DELTAS[deltas],
        reasoningTokens: 0,
      });
    });
  }

  it('is billed a prompt that spells a special token, counted as the text it is', async () => {
    // o200k_base as text: Say| <|||end|of|text|||>| to| the| mock| upstream|. — 13 tokens.
    const { secret } = await e2e.seed();
    const { detail } = await leaveAt(
      secret,
      'event: response.output_text.delta',
      'Say <|endoftext|> to the mock upstream.',
    );
    assert.equal(detail?.usageSource, 'observed');
    assert.deepEqual(detail?.usage, {
      inputTokens: 13,
      cachedInputTokens: 0,
      outputTokens: TOKENS_AFTER_DELTAS[1],
      reasoningTokens: 0,
    });
  });

  it('is not billed when it leaves before the upstream answered', async () => {
    const { secret, userId } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 5_000 });
    const before = e2e.mock.requests.length;
    const metricsBefore = e2e.stack.metrics.length;
    const call = startCall(e2e.stack.url, secret, { model: MODEL, input: PROMPT, stream: true });
    await eventually(() => e2e.mock.requests.length > before);
    call.abort();
    const result = await call.finished;
    assert.equal(result.status, 0, 'no headers reached the client');
    // The client that left has no request id to look for: wait (bounded) for the gateway's metric
    // document of the request, written once its slots are released and any usage event published.
    await eventually(() =>
      e2e.stack.metrics
        .slice(metricsBefore)
        .some((emf) => JSON.stringify(emf).includes('"route":"/v1/responses"')),
    );
    assert.deepEqual(await e2e.usageOf(userId), []);
  });

  it('pays for the answer it took: the same request cut after output_item.done costs more than nothing', async () => {
    const price = PUBLISHED_PRICES[MODEL];
    assert.ok(price);
    const cut = await e2e.seed();
    await leaveAt(cut.secret, 'event: response.output_item.done');
    const completed = await e2e.seed();
    const stream = await e2e
      .client(completed.secret)
      .responses.create({ model: MODEL, input: PROMPT, stream: true });
    for await (const _event of stream) {
      // drain
    }
    await e2e.stack.bus.drain();
    const spent = async (userId: string) => 10_000_000_000 - (await getUser(e2e.admin, userId)).balanceNano;
    // 7 input and 6 output tokens at $1.25 and $10 per million: 68,750 nano-USD.
    const observed = expectedNano(
      { inputTokens: PROMPT_TOKENS, cachedInputTokens: 0, outputTokens: 6 },
      price,
      '1',
    );
    // The mock's default report, 12 input and 7 output tokens: 85,000 nano-USD.
    const reported = expectedNano({ inputTokens: 12, cachedInputTokens: 0, outputTokens: 7 }, price, '1');
    assert.equal(observed.chargeNano, 68_750);
    assert.equal(reported.chargeNano, 85_000);
    assert.equal(await spent(cut.userId), observed.chargeNano);
    assert.equal(await spent(completed.userId), reported.chargeNano);
  });
});

describe('a stream the upstream cuts', () => {
  it('is billed the text that reached the client when the upstream drops', async () => {
    const { secret } = await e2e.seed();
    // Events 0–3 open the message, 4 is the first delta.
    e2e.mock.enqueue({ kind: 'drop', afterEvents: 5 });
    const call = startCall(e2e.stack.url, secret, { model: MODEL, input: PROMPT, stream: true });
    const result = await call.finished;
    assert.equal(deltasIn(result.text), 1);
    const detail = await usageEventOf(result.headers.get('x-request-id') ?? '');
    assert.equal(detail?.cutShortReason, 'upstream_error');
    assert.equal(detail?.usageSource, 'observed');
    assert.equal(detail?.usage.inputTokens, PROMPT_TOKENS);
    assert.equal(detail?.usage.outputTokens, TOKENS_AFTER_DELTAS[1]);
  });

  it('is billed nothing when the upstream drops before any text', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'drop', afterEvents: 3 });
    const result = await startCall(e2e.stack.url, secret, { model: MODEL, input: PROMPT, stream: true })
      .finished;
    const detail = await usageEventOf(result.headers.get('x-request-id') ?? '');
    assert.equal(detail?.cutShortReason, 'upstream_error');
    assert.equal(detail?.usageSource, 'observed');
    assert.deepEqual(detail?.usage, {
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('is billed the text that reached the client when the upstream stalls into the idle timeout', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'stall', afterEvents: 6 });
    const result = await startCall(e2e.stack.url, secret, { model: MODEL, input: PROMPT, stream: true })
      .finished;
    assert.equal(deltasIn(result.text), 2);
    assert.match(result.text, /idle_timeout/);
    const detail = await usageEventOf(result.headers.get('x-request-id') ?? '');
    assert.equal(detail?.cutShortReason, 'idle_timeout');
    assert.equal(detail?.usage.inputTokens, PROMPT_TOKENS);
    assert.equal(detail?.usage.outputTokens, TOKENS_AFTER_DELTAS[2]);
  });

  it('says the usage came from the upstream when the stream completed', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'ok' });
    const result = await startCall(e2e.stack.url, secret, { model: MODEL, input: PROMPT, stream: true })
      .finished;
    const detail = await usageEventOf(result.headers.get('x-request-id') ?? '');
    assert.equal(detail?.cutShort, false);
    assert.equal(detail?.usageSource, 'upstream');
    assert.equal(detail?.usage.outputTokens, 7);
  });
});
