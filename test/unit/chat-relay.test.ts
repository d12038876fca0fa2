import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatOverResponsesRelay } from '#shared/gateway/chat-over-responses.ts';
import { ChatChunkRelay } from '#shared/gateway/chat-relay.ts';

const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-5.1-codex' };
const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
const usageChunk = `data: ${JSON.stringify({
  ...head,
  choices: [],
  usage: {
    prompt_tokens: 30,
    completion_tokens: 5,
    total_tokens: 35,
    prompt_tokens_details: { cached_tokens: 10 },
    completion_tokens_details: { reasoning_tokens: 2 },
  },
})}\n\n`;
const DONE = 'data: [DONE]\n\n';
const BILLED = { inputTokens: 30, cachedInputTokens: 10, outputTokens: 5, reasoningTokens: 2 };

function relayAll(relay: { push(chunk: Buffer): Buffer | string; flush(): Buffer | string }, text: string) {
  const bytes = Buffer.from(text);
  let out = '';
  // Fed in 7-byte pieces, so frames and characters are split across pushes.
  for (let at = 0; at < bytes.length; at += 7) out += relay.push(bytes.subarray(at, at + 7)).toString();
  return out + relay.flush().toString();
}

describe('ChatChunkRelay (API-key accounts)', () => {
  it('passes chunks through, usage chunk included, when the client asked for it', () => {
    const relay = new ChatChunkRelay(undefined, () => 5, true);
    const stream =
      chunk({ role: 'assistant', content: '' }, { usage: null }) +
      chunk({ content: 'Hé' }, { usage: null }) +
      usageChunk +
      DONE;

    assert.equal(relayAll(relay, stream), stream);
    assert.deepEqual(relay.usage, BILLED);
    assert.equal(relay.terminalEvent, '[DONE]');
    assert.equal(relay.firstDeltaAt, 5);
  });

  it('bills from the usage chunk it asked for, and hides it and the usage nulls from a client that did not', () => {
    const relay = new ChatChunkRelay(undefined, Date.now, false);
    const stream = chunk({ content: 'Hi' }, { usage: null }) + chunk({}, { usage: null }) + usageChunk + DONE;

    const out = relayAll(relay, stream);

    assert.equal(out, chunk({ content: 'Hi' }) + chunk({}) + DONE);
    assert.deepEqual(relay.usage, BILLED);
  });

  it('writes the requested model back and observes the text and tool arguments that passed', () => {
    const relay = new ChatChunkRelay({ from: 'gpt-5.1-codex', to: 'gpt-5' }, Date.now, true);
    const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":' } };
    const stream =
      chunk({ content: 'Hello ' }) +
      chunk({ tool_calls: [call] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] });

    const out = relayAll(relay, stream);

    assert.ok(!out.includes('gpt-5.1-codex'));
    assert.equal((out.match(/"model":"gpt-5"/g) ?? []).length, 3);
    assert.equal(relay.terminalEvent, undefined, 'no [DONE]: the stream was cut short');
    assert.equal(relay.observed.chars, 'Hello {"a":1}'.length);
  });
});

describe('ChatChunkRelay split anywhere', () => {
  const stream =
    chunk({ role: 'assistant', content: '' }, { usage: null }) +
    chunk({ content: 'Hé 🦊 "q"' }, { usage: null }) +
    chunk({}, { usage: null }) +
    usageChunk +
    DONE;
  const expected = (
    chunk({ role: 'assistant', content: '' }) +
    chunk({ content: 'Hé 🦊 "q"' }) +
    chunk({}) +
    DONE
  )
    .split('gpt-5.1-codex')
    .join('gpt-5');

  it('rewrites, strips and bills the same at every split position', () => {
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut++) {
      const relay = new ChatChunkRelay({ from: 'gpt-5.1-codex', to: 'gpt-5' }, () => 5, false);
      const out = Buffer.concat([
        Buffer.from(relay.push(bytes.subarray(0, cut))),
        Buffer.from(relay.push(bytes.subarray(cut))),
        Buffer.from(relay.flush()),
      ]).toString();
      assert.equal(out, expected, `cut at ${cut}`);
      assert.deepEqual(relay.usage, BILLED, `cut at ${cut}`);
      assert.equal(relay.terminalEvent, '[DONE]', `cut at ${cut}`);
      assert.equal(relay.observed.chars, 'Hé 🦊 "q"'.length, `cut at ${cut}`);
    }
  });

  it('passes a chunk larger than it holds as it comes, reading its text and still billing the usage chunk', () => {
    const long = 'é'.repeat(100_000);
    const large = chunk({ content: long }, { usage: null });
    const relay = new ChatChunkRelay(undefined, () => 5, true);
    const bytes = Buffer.from(large + usageChunk + DONE);
    const out: Buffer[] = [];
    let forwardedEarly = 0;
    for (let at = 0; at < bytes.length; at += 4096) {
      out.push(Buffer.from(relay.push(bytes.subarray(at, at + 4096))));
      if (at + 4096 < Buffer.byteLength(large)) forwardedEarly = Buffer.concat(out).length;
    }
    out.push(Buffer.from(relay.flush()));

    assert.equal(Buffer.concat(out).toString(), large + usageChunk + DONE);
    assert.ok(
      forwardedEarly > Buffer.byteLength(large) - 2 * 65536,
      `only ${forwardedEarly} bytes before its end`,
    );
    assert.equal(relay.observed.chars, long.length);
    assert.equal(relay.firstDeltaAt, 5);
    assert.deepEqual(relay.usage, BILLED);
  });
});

describe('ChatOverResponsesRelay (ChatGPT accounts)', () => {
  const event = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const response = { id: 'resp_9', created_at: 7, model: 'gpt-5.1-codex' };
  const usage = {
    input_tokens: 30,
    input_tokens_details: { cached_tokens: 10 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 2 },
  };
  const stream =
    event('response.created', { response }) +
    event('response.output_text.delta', { item_id: 'm', delta: 'Hi' }) +
    event('response.completed', {
      response: {
        ...response,
        status: 'completed',
        output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hi' }] }],
        usage,
      },
    });

  it('turns the Responses stream into chunks with the requested model, billed from response.completed', () => {
    const relay = new ChatOverResponsesRelay({ from: 'gpt-5.1-codex', to: 'gpt-5' }, Date.now, false);

    const frames = relayAll(relay, stream).split('\n\n').filter(Boolean);

    assert.deepEqual(
      frames.map((frame) => (frame === 'data: [DONE]' ? frame : JSON.parse(frame.slice(6)).choices[0])),
      [
        {
          index: 0,
          delta: { role: 'assistant', content: '', refusal: null },
          logprobs: null,
          finish_reason: null,
        },
        { index: 0, delta: { content: 'Hi' }, logprobs: null, finish_reason: null },
        { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' },
        'data: [DONE]',
      ],
    );
    assert.ok(frames.slice(0, 3).every((frame) => JSON.parse(frame.slice(6)).model === 'gpt-5'));
    assert.deepEqual(relay.usage, BILLED);
    assert.equal(relay.terminalEvent, 'response.completed');
  });

  it('gives a JSON client the chat.completion of the final response', () => {
    const relay = new ChatOverResponsesRelay(undefined, Date.now, false, false);
    relayAll(relay, stream);

    const final = relay.finalBody() as {
      status: number;
      body: { object: string; choices: { message: { content: string } }[] };
    };

    assert.equal(final.status, 200);
    assert.equal(final.body.object, 'chat.completion');
    assert.equal(final.body.choices[0]?.message.content, 'Hi');
  });
});
