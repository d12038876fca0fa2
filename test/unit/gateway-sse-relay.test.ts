import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rewriteModel, SseRelay, tokenUsageOf } from '#shared/gateway/sse-relay.ts';

const frame = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const completed = frame('response.completed', {
  response: {
    id: 'resp_1',
    model: 'gpt-5.1-codex',
    usage: {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 2 },
    },
  },
});

describe('SseRelay', () => {
  it('forwards complete frames byte for byte when no model was mapped', () => {
    const relay = new SseRelay(undefined);
    const text = frame('response.created', { response: { model: 'm' } }) + completed;
    assert.equal(relay.push(Buffer.from(text)), text);
  });

  it('holds back a partial frame until its blank line arrives', () => {
    const relay = new SseRelay(undefined);
    const text = frame('response.output_text.delta', { delta: 'héllo' });
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // split inside a multi-byte character
    assert.equal(relay.push(bytes.subarray(0, cut)), '');
    assert.equal(relay.push(bytes.subarray(cut)), text);
  });

  it('reads usage and the final response from response.completed', () => {
    const relay = new SseRelay(undefined);
    relay.push(Buffer.from(completed));
    assert.deepEqual(relay.usage, {
      inputTokens: 10,
      cachedInputTokens: 4,
      outputTokens: 5,
      reasoningTokens: 2,
    });
    assert.equal(relay.terminalEvent, 'response.completed');
    assert.equal(relay.finalResponse?.id, 'resp_1');
  });

  it('writes the requested model back into every frame when the model was mapped', () => {
    const relay = new SseRelay({ from: 'gpt-5.1-codex', to: 'gpt-5' });
    const out = relay.push(Buffer.from(completed));
    assert.ok(!out.includes('gpt-5.1-codex'));
    assert.equal(relay.finalResponse?.model, 'gpt-5');
  });

  it('notes the time of the first delta', () => {
    let now = 100;
    const relay = new SseRelay(undefined, () => now);
    relay.push(Buffer.from(frame('response.created', {})));
    assert.equal(relay.firstDeltaAt, undefined);
    now = 250;
    relay.push(Buffer.from(frame('response.output_text.delta', { delta: 'a' })));
    now = 400;
    relay.push(Buffer.from(frame('response.output_text.delta', { delta: 'b' })));
    assert.equal(relay.firstDeltaAt, 250);
  });

  it('counts a final frame that lacks its blank line when the upstream ends', () => {
    const relay = new SseRelay(undefined);
    const inputTokens = () => relay.usage?.inputTokens;
    relay.push(Buffer.from(completed.trimEnd()));
    assert.equal(inputTokens(), undefined);
    relay.flush();
    assert.equal(inputTokens(), 10);
  });

  it('understands CRLF line endings and frames without an event line', () => {
    const relay = new SseRelay(undefined);
    const data = JSON.parse(completed.split('data: ')[1] ?? '{}');
    relay.push(Buffer.from(`data: ${JSON.stringify(data)}\r\n\r\n`));
    assert.equal(relay.usage?.outputTokens, 5);
  });

  it('passes a malformed terminal frame through without failing', () => {
    const relay = new SseRelay(undefined);
    const text = 'event: response.completed\ndata: {not json\n\n';
    assert.equal(relay.push(Buffer.from(text)), text);
    assert.equal(relay.usage, undefined);
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
