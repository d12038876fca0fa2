/**
 * Every shape a real Responses stream takes, through the gateway: reasoning (summary deltas,
 * encrypted content), messages, refusals, function calls and Codex's `apply_patch` custom tool
 * call with their deltas, several items at once; endings in `response.completed`,
 * `response.incomplete`, `response.failed`, a top-level `error` event and a close, or a dropped
 * connection. The client gets the upstream's bytes unchanged (but for a mapped model's name),
 * exactly one error frame whatever went wrong, and is billed from the ending the upstream sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { getAccount } from '#shared/admin/accounts.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { insufficientQuotaError } from '../support/mock-upstream/errors.ts';
import type { MockEnding, MockOutputItem } from '../support/mock-upstream.ts';

const USAGE = { input_tokens: 1_234, cached_tokens: 200, output_tokens: 345, reasoning_tokens: 120 };
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n';
const EVERY_ITEM: MockOutputItem[] = [
  { type: 'reasoning', summary: ['Looking at the files.', 'A patch will do.'], encrypted: true },
  { type: 'message', text: 'I will add the file.' },
  { type: 'function_call', name: 'shell', arguments: '{"command":["ls","-la"]}' },
  { type: 'custom_tool_call', name: 'apply_patch', input: PATCH },
];

const e2e = e2eForSuite({}, {}, { resetMockEachTest: true });

/** Streams a request with fetch and returns the body exactly as the client received it. */
async function rawStream(secret: string, model = 'gpt-5.1'): Promise<{ status: number; text: string }> {
  const response = await fetch(`${e2e.stack.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: 'add hello.txt', stream: true }),
  });
  return { status: response.status, text: await response.text() };
}

/** The JSON payloads of the SSE frames in `text` whose type is `error`. */
function errorFrames(text: string): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .map((frame) => /^data: (.*)$/m.exec(frame)?.[1])
    .filter((data): data is string => data !== undefined)
    .map((data) => JSON.parse(data) as Record<string, unknown>)
    .filter((payload) => payload.type === 'error');
}

/** The usage events of one user's requests, oldest first. */
const usageOf = (userId: string) =>
  e2e
    .usageEvents()
    .filter((event) => event.detail.userId === userId)
    .map((event) => event.detail);

describe('output items', () => {
  it('passes reasoning, a message, a function call and apply_patch byte for byte, billed from the completed usage', async () => {
    // Prepare
    const { secret, userId } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'ok', output: EVERY_ITEM, usage: USAGE });

    // Act
    const received = await rawStream(secret);

    // Assess
    assert.equal(received.status, 200);
    assert.equal(received.text, e2e.mock.requests[0]?.sent);
    assert.ok(received.text.includes('"type":"response.custom_tool_call_input.delta"'));
    assert.ok(received.text.includes('"encrypted_content":"gAAAAA'));
    const [event] = usageOf(userId);
    assert.deepEqual(
      [event?.cutShort, event?.usage],
      [false, { inputTokens: 1_234, cachedInputTokens: 200, outputTokens: 345, reasoningTokens: 120 }],
    );
  });

  it('rewrites only the model name of a mapped model', async () => {
    // Prepare
    const { secret } = await e2e.seed({ account: { modelMapping: { 'gpt-5.1': 'gpt-5.1-codex' } } });
    e2e.mock.enqueue({ kind: 'ok', output: EVERY_ITEM, usage: USAGE });

    // Act
    const received = await rawStream(secret, 'gpt-5.1');

    // Assess
    const sent = e2e.mock.requests[0]?.sent ?? '';
    assert.equal(e2e.mock.requests[0]?.body.model, 'gpt-5.1-codex');
    assert.ok(sent.includes('"model":"gpt-5.1-codex"'));
    assert.equal(received.text, sent.replaceAll('"model":"gpt-5.1-codex"', '"model":"gpt-5.1"'));
  });

  it("lets the SDK's stream helper read every item and a refusal", async () => {
    // Prepare
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({
      kind: 'ok',
      output: [...EVERY_ITEM, { type: 'refusal', refusal: 'I cannot delete the repository.' }],
      usage: USAGE,
    });

    // Act
    const stream = e2e.client(secret).responses.stream({ model: 'gpt-5.1', input: 'add hello.txt' });
    const patchDeltas: string[] = [];
    stream.on('event', (event) => {
      if (event.type === 'response.custom_tool_call_input.delta') patchDeltas.push(event.delta);
    });
    const response = await stream.finalResponse();

    // Assess
    assert.deepEqual(
      response.output.map((item) => item.type),
      ['reasoning', 'message', 'function_call', 'custom_tool_call', 'message'],
    );
    const [reasoning, , call, patch, refusal] = response.output;
    assert.equal(
      reasoning?.type === 'reasoning' && reasoning.summary.map((part) => part.text).join(' '),
      'Looking at the files. A patch will do.',
    );
    assert.equal(call?.type === 'function_call' && call.arguments, '{"command":["ls","-la"]}');
    assert.equal(patch?.type === 'custom_tool_call' && patch.input, PATCH);
    assert.equal(patchDeltas.join(''), PATCH);
    assert.deepEqual(
      refusal?.type === 'message' && refusal.content.map((part) => part.type === 'refusal' && part.refusal),
      ['I cannot delete the repository.'],
    );
  });
});

describe('endings', () => {
  const endings: [string, MockEnding, string][] = [
    ['max_output_tokens', { status: 'incomplete', reason: 'max_output_tokens' }, 'incomplete'],
    ['content_filter', { status: 'incomplete', reason: 'content_filter' }, 'incomplete'],
    ['response.failed', { status: 'failed', code: 'server_error', message: 'The model failed.' }, 'failed'],
  ];
  for (const [what, ending, status] of endings) {
    it(`passes a ${what} ending untouched, with no error frame of its own, billed from its usage`, async () => {
      // Prepare
      const { secret, userId } = await e2e.seed();
      e2e.mock.enqueue({ kind: 'ok', output: EVERY_ITEM.slice(0, 2), usage: USAGE, ending });

      // Act
      const received = await rawStream(secret);
      e2e.mock.enqueue({ kind: 'ok', output: EVERY_ITEM.slice(0, 2), usage: USAGE, ending });
      const viaSdk = await e2e
        .client(secret)
        .responses.stream({ model: 'gpt-5.1', input: 'x' })
        .finalResponse();

      // Assess
      assert.equal(received.text, e2e.mock.requests[0]?.sent);
      assert.deepEqual(errorFrames(received.text), []);
      assert.equal(viaSdk.status, status);
      const events = usageOf(userId);
      assert.deepEqual(
        events.map((event) => [event.cutShort, event.usage.inputTokens, event.usage.outputTokens]),
        [
          [false, 1_234, 345],
          [false, 1_234, 345],
        ],
      );
    });
  }

  it("forwards an upstream error event followed by a close as the stream's one error frame, billed as cut short", async () => {
    // Prepare
    const { secret, userId } = await e2e.seed();
    const ending: MockEnding = {
      status: 'error',
      code: 'server_error',
      message: 'Upstream broke mid-answer.',
    };
    e2e.mock.enqueue({ kind: 'ok', output: EVERY_ITEM.slice(0, 2), usage: USAGE, ending });

    // Act
    const received = await rawStream(secret);
    e2e.mock.enqueue({ kind: 'ok', output: EVERY_ITEM.slice(0, 2), usage: USAGE, ending });
    const viaSdk = e2e.client(secret).responses.stream({ model: 'gpt-5.1', input: 'x' }).finalResponse();

    // Assess
    assert.equal(received.text, e2e.mock.requests[0]?.sent);
    assert.deepEqual(
      errorFrames(received.text).map(({ code, message }) => ({ code, message })),
      [{ code: 'server_error', message: 'Upstream broke mid-answer.' }],
    );
    await assert.rejects(
      viaSdk,
      (error: unknown) => error instanceof OpenAI.OpenAIError && /Upstream broke/.test(String(error)),
    );
    const events = usageOf(userId);
    assert.deepEqual(
      events.map((event) => [event.cutShort, event.cutShortReason]),
      [
        [true, 'upstream_error'],
        [true, 'upstream_error'],
      ],
    );
  });

  it('ends a dropped stream with exactly one error frame of its own, in the Responses error event shape', async () => {
    // Prepare
    const { secret, userId } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'drop', afterEvents: 4 });

    // Act
    const received = await rawStream(secret);

    // Assess
    const sent = e2e.mock.requests[0]?.sent ?? '';
    assert.ok(received.text.startsWith(sent), 'what the upstream sent comes first, untouched');
    const frames = errorFrames(received.text.slice(sent.length));
    assert.equal(frames.length, 1);
    assert.deepEqual(Object.keys(frames[0] ?? {}).sort(), [
      'code',
      'message',
      'param',
      'sequence_number',
      'type',
    ]);
    assert.equal(frames[0]?.sequence_number, 4, 'numbered after the last upstream event');
    assert.deepEqual(
      usageOf(userId).map((event) => [event.cutShort, event.cutShortReason]),
      [[true, 'upstream_error']],
    );
  });
});

describe('upstream refusals of the account', () => {
  it('fails over on a 429 insufficient_quota and takes that account out until it is re-checked', async () => {
    // Prepare
    const { secret, accountIds } = await seedAccountPool(e2e, 2);
    e2e.mock.enqueue({ kind: 'error', status: 429, body: insufficientQuotaError() });

    // Act
    const response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'x' });

    // Assess
    assert.equal(response.status, 'completed');
    assert.equal(e2e.mock.requests.length, 2);
    const health = (await getAccount(e2e.admin, accountIds[0] as string)).health;
    assert.equal(health.state, 'error', 'a spent quota is not a rate limit that passes by itself');
    assert.equal((await getAccount(e2e.admin, accountIds[1] as string)).health.state, 'ok');
  });
});
