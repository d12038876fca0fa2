import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenUsageOf } from '#shared/gateway/responses-stream-events.ts';
import { HOLD_LIMIT, rewriteModel, SseRelay } from '#shared/gateway/sse-relay.ts';
import { relayed } from '../support/relay-feed.ts';

const frame = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const usage = {
  input_tokens: 10,
  input_tokens_details: { cached_tokens: 4 },
  output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 2 },
};
const expectedUsage = { inputTokens: 10, cachedInputTokens: 4, outputTokens: 5, reasoningTokens: 2 };
const completed = frame('response.completed', {
  sequence_number: 7,
  response: { id: 'resp_1', model: 'gpt-5.1-codex', usage },
});

/** The client's view of a mapped model: the test's own oracle, a plain text replacement. */
const mapped = (text: string) => text.replaceAll('"model":"gpt-5.1-codex"', '"model":"gpt-5"');

describe('SseRelay', () => {
  it('forwards complete frames byte for byte when no model was mapped', () => {
    const relay = new SseRelay();
    const text = frame('response.created', { response: { model: 'm' } }) + completed;
    assert.equal(relay.push(Buffer.from(text)).toString(), text);
  });

  it('holds back a partial frame until its blank line arrives', () => {
    const relay = new SseRelay();
    const text = frame('response.output_text.delta', { delta: 'héllo' });
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // split inside a multi-byte character
    assert.equal(relay.push(bytes.subarray(0, cut)).length, 0);
    assert.equal(relay.push(bytes.subarray(cut)).toString(), text);
  });

  it('reads usage from response.completed, and the final response only when asked to keep it', () => {
    const streaming = new SseRelay();
    streaming.push(Buffer.from(completed));
    assert.deepEqual(streaming.usage, expectedUsage);
    assert.equal(streaming.terminalEvent, 'response.completed');
    assert.equal(streaming.finalResponse, undefined);
    const json = new SseRelay({ keepFinalResponse: true });
    json.push(Buffer.from(completed));
    assert.equal(json.finalResponse?.id, 'resp_1');
  });

  it('writes the requested model back into every frame when the model was mapped', () => {
    const relay = new SseRelay({ rewrite: { from: 'gpt-5.1-codex', to: 'gpt-5' }, keepFinalResponse: true });
    const out = relayed(relay, completed, []);
    assert.ok(!out.includes('gpt-5.1-codex'));
    assert.equal(relay.finalResponse?.model, 'gpt-5');
  });

  it('notes the time of the first delta', () => {
    let now = 100;
    const relay = new SseRelay({ now: () => now });
    relay.push(Buffer.from(frame('response.created', {})));
    assert.equal(relay.firstDeltaAt, undefined);
    now = 250;
    relay.push(Buffer.from(frame('response.output_text.delta', { delta: 'a' })));
    now = 400;
    relay.push(Buffer.from(frame('response.output_text.delta', { delta: 'b' })));
    assert.equal(relay.firstDeltaAt, 250);
  });

  it('counts a final frame that lacks its blank line when the upstream ends', () => {
    const relay = new SseRelay();
    const inputTokens = () => relay.usage?.inputTokens;
    relay.push(Buffer.from(completed.trimEnd()));
    assert.equal(inputTokens(), undefined);
    relay.flush();
    assert.equal(inputTokens(), 10);
  });

  it('understands CRLF line endings and frames without an event line', () => {
    const relay = new SseRelay();
    const data = JSON.parse(completed.split('data: ')[1] ?? '{}');
    relay.push(Buffer.from(`data: ${JSON.stringify(data)}\r\n\r\n`));
    assert.equal(relay.usage?.outputTokens, 5);
  });

  it('passes a malformed terminal frame through without failing', () => {
    const relay = new SseRelay();
    const text = 'event: response.completed\ndata: {not json\n\n';
    assert.equal(relay.push(Buffer.from(text)).toString(), text);
    assert.equal(relay.usage, undefined);
    assert.equal(relay.terminalEvent, undefined);
  });

  it('notes an upstream error event, and the sequence number an added event must carry', () => {
    const relay = new SseRelay();
    relay.push(Buffer.from(frame('response.output_text.delta', { sequence_number: 4, delta: 'x' })));
    assert.equal(relay.nextSequenceNumber, 5);
    relay.push(Buffer.from(frame('error', { sequence_number: 5, code: 'server_error', message: 'boom' })));
    assert.equal(relay.upstreamError, true);
    assert.equal(relay.terminalEvent, undefined);
    assert.equal(relay.nextSequenceNumber, 6);
  });

  it('collects the text of every kind of delta but audio', () => {
    const relay = new SseRelay();
    const deltas = [
      ['response.output_text.delta', 'Hello'],
      ['response.reasoning_summary_text.delta', ' think'],
      ['response.function_call_arguments.delta', '{"a":1}'],
      ['response.custom_tool_call_input.delta', '*** Begin Patch'],
      ['response.refusal.delta', ' no'],
      ['response.audio.delta', 'AAAA'],
    ];
    for (const [type, delta] of deltas) relay.push(Buffer.from(frame(type as string, { delta })));
    assert.equal(relay.observed?.chars, 'Hello think{"a":1}*** Begin Patch no'.length);
  });
});

describe('SseRelay, frames cut anywhere', () => {
  const small =
    frame('response.created', { sequence_number: 0, response: { model: 'gpt-5.1-codex', usage: null } }) +
    frame('response.output_text.delta', { sequence_number: 1, delta: 'Hé "quoted" 😀\n' }) +
    frame('response.output_text.delta', { sequence_number: 2, delta: ' done' }) +
    completed;

  it('rewrites the model, reads usage and collects delta text whatever byte a chunk ends at', () => {
    const expected = mapped(small);
    const length = Buffer.byteLength(small);
    for (let cut = 0; cut <= length; cut++) {
      const relay = new SseRelay({ rewrite: { from: 'gpt-5.1-codex', to: 'gpt-5' } });
      assert.equal(relayed(relay, small, [cut]), expected, `cut at ${cut}`);
      assert.deepEqual(relay.usage, expectedUsage, `cut at ${cut}`);
      assert.equal(relay.observed?.chars, 'Hé "quoted" 😀\n done'.length, `cut at ${cut}`);
    }
  });

  it('gives the same result fed one byte at a time', () => {
    const relay = new SseRelay({ rewrite: { from: 'gpt-5.1-codex', to: 'gpt-5' }, keepFinalResponse: true });
    const cuts = Array.from({ length: Buffer.byteLength(small) }, (_, index) => index);
    assert.equal(relayed(relay, small, cuts), mapped(small));
    assert.equal(relay.finalResponse?.model, 'gpt-5');
    assert.deepEqual(relay.usage, expectedUsage);
  });
});

describe('SseRelay, frames larger than it holds', () => {
  const longText = 'Lorem "ipsum" \\ dolor é 😀 sit amet, '.repeat(12_000); // ≈ 450 KB
  const large =
    frame('response.created', { sequence_number: 0, response: { model: 'gpt-5.1-codex' } }) +
    frame('response.output_text.delta', { sequence_number: 1, delta: longText }) +
    frame('response.output_text.done', { sequence_number: 2, text: longText }) +
    frame('response.completed', {
      sequence_number: 3,
      response: { model: 'gpt-5.1-codex', output: [{ content: [{ text: longText }] }], usage },
    });

  it('forwards a large frame as its bytes arrive instead of holding it', () => {
    const relay = new SseRelay();
    const bytes = Buffer.from(frame('response.output_text.done', { text: longText }));
    const half = Math.floor(bytes.length / 2);
    const first = relay.push(bytes.subarray(0, half));
    assert.ok(half > HOLD_LIMIT * 2);
    assert.ok(first.length >= half - HOLD_LIMIT, `only ${first.length} of ${half} bytes forwarded`);
  });

  for (const chunkSize of [1_000, 16_384, 65_537, 300_000]) {
    it(`rewrites, reads usage and counts delta text in chunks of ${chunkSize} bytes`, () => {
      const relay = new SseRelay({ rewrite: { from: 'gpt-5.1-codex', to: 'gpt-5' } });
      const length = Buffer.byteLength(large);
      const cuts = Array.from(
        { length: Math.floor(length / chunkSize) },
        (_, index) => (index + 1) * chunkSize,
      );
      assert.equal(relayed(relay, large, cuts), mapped(large));
      assert.deepEqual(relay.usage, expectedUsage);
      assert.equal(relay.terminalEvent, 'response.completed');
      assert.equal(relay.observed?.chars, longText.length);
      assert.equal(relay.nextSequenceNumber, 4);
    });
  }

  it('keeps a large terminal frame whole for a JSON client', () => {
    const relay = new SseRelay({ rewrite: { from: 'gpt-5.1-codex', to: 'gpt-5' }, keepFinalResponse: true });
    relayed(relay, large, [10_000, 100_000, 700_000]);
    assert.equal(relay.finalResponse?.model, 'gpt-5');
    assert.deepEqual(relay.usage, expectedUsage);
  });

  it('says when the stream ended in the middle of a large frame', () => {
    const relay = new SseRelay();
    const cutAt = Buffer.byteLength(large) - 1000;
    relay.push(Buffer.from(large).subarray(0, cutAt));
    relay.flush();
    assert.equal(relay.midFrame, true);
    assert.equal(relay.terminalEvent, undefined);
  });
});

describe('rewriteModel', () => {
  it('rewrites only the exact upstream name, with or without spaces, and escapes regex characters', () => {
    const text = '{"model": "gpt-5.1+x","other":"gpt-5.1+x","model":"gpt-5.1+xy"}';
    assert.equal(
      rewriteModel(text, { from: 'gpt-5.1+x', to: 'mine' }),
      '{"model":"mine","other":"gpt-5.1+x","model":"gpt-5.1+xy"}',
    );
  });

  it('leaves a model name quoted inside a string alone', () => {
    const text = '{"text":"say \\"model\\":\\"a\\"","model":"a"}';
    assert.equal(
      rewriteModel(text, { from: 'a', to: 'b' }),
      '{"text":"say \\"model\\":\\"a\\"","model":"b"}',
    );
  });
});

describe('tokenUsageOf', () => {
  it('treats missing, negative and non-numeric counts as zero', () => {
    assert.deepEqual(tokenUsageOf({ input_tokens: -3, output_tokens: 'x' }), {
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
    assert.equal(tokenUsageOf(null), undefined);
  });
});
