/**
 * The Chat Completions translation of a Responses stream whose frames are larger than the relay
 * holds (a long delta, `*.done` events and `response.completed` repeating the whole answer): the
 * chunks carry exactly the text and arguments the deltas carried, the finish reason and usage come
 * from the terminal event, and all of it holds wherever the bytes are split.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatOverResponsesRelay } from '#shared/gateway/chat-over-responses.ts';
import { HOLD_LIMIT } from '#shared/gateway/sse-relay.ts';

const event = (type: string, data: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

// Longer than the hold limit, with escapes and characters of 2 to 4 bytes to cut in halves.
const LONG_TEXT = 'Hé "quoted" \\ line\n€ 🦊 '.repeat(Math.ceil((HOLD_LIMIT * 1.5) / 24));
const LONG_ARGS = JSON.stringify({ patch: 'x'.repeat(HOLD_LIMIT + 100) });
const USAGE = {
  input_tokens: 30,
  input_tokens_details: { cached_tokens: 10 },
  output_tokens: 5,
  output_tokens_details: { reasoning_tokens: 2 },
};
const CHAT_USAGE = {
  prompt_tokens: 30,
  completion_tokens: 5,
  total_tokens: 35,
  prompt_tokens_details: { cached_tokens: 10, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 2,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};
const BILLED = { inputTokens: 30, cachedInputTokens: 10, outputTokens: 5, reasoningTokens: 2 };
const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  content: [{ type: 'output_text', text: LONG_TEXT }],
};
const call = {
  id: 'fc_1',
  type: 'function_call',
  call_id: 'call_1',
  name: 'apply_patch',
  arguments: LONG_ARGS,
};
// Instructions echoed in the first event make even it larger than the hold limit.
const created = {
  id: 'resp_9',
  created_at: 7,
  model: 'gpt-5.1-codex',
  instructions: 'i'.repeat(HOLD_LIMIT + 1),
};

const STREAM =
  event('response.created', { response: { ...created, status: 'in_progress' } }) +
  event('response.output_item.added', { item: { ...message, content: [] } }) +
  event('response.output_text.delta', { item_id: 'msg_1', delta: 'Hi ' }) +
  event('response.output_text.delta', { item_id: 'msg_1', delta: LONG_TEXT }) +
  event('response.output_text.done', { item_id: 'msg_1', text: `Hi ${LONG_TEXT}` }) +
  event('response.content_part.done', {
    item_id: 'msg_1',
    part: { type: 'output_text', text: `Hi ${LONG_TEXT}` },
  }) +
  event('response.output_item.done', { item: message }) +
  event('response.output_item.added', { item: { ...call, arguments: '' } }) +
  event('response.function_call_arguments.delta', { item_id: 'fc_1', delta: LONG_ARGS }) +
  event('response.function_call_arguments.done', { item_id: 'fc_1', arguments: LONG_ARGS }) +
  event('response.output_item.done', { item: call }) +
  event('response.completed', {
    response: { ...created, status: 'completed', output: [message, call], usage: USAGE },
  });

interface ToolCallDelta {
  index: number;
  id?: string;
  function: { name?: string; arguments: string };
}

interface Chunk {
  id?: string;
  created?: number;
  model?: string;
  choices: { delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: unknown;
}

function translate(pieces: Buffer[]) {
  const relay = new ChatOverResponsesRelay({ from: 'gpt-5.1-codex', to: 'gpt-5' }, () => 1, true);
  let out = '';
  for (const piece of pieces) out += relay.push(piece);
  out += relay.flush();
  const frames = out.split('\n\n').filter(Boolean);
  assert.equal(frames.at(-1), 'data: [DONE]');
  const chunks = frames.slice(0, -1).map((frame) => JSON.parse(frame.replace(/^data: /, '')) as Chunk);
  const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
  const calls = deltas.flatMap((delta) => (delta.tool_calls ?? []) as ToolCallDelta[]);
  return {
    relay,
    chunks,
    content: deltas.map((delta) => delta.content ?? '').join(''),
    roles: deltas.filter((delta) => delta.role).length,
    callHeads: calls.filter((c) => c.id).map((c) => [c.id, c.function.name, c.index]),
    args: calls.map((c) => c.function.arguments).join(''),
    finish: chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean),
  };
}

function assertTranslated(result: ReturnType<typeof translate>, where: string) {
  assert.equal(result.content, `Hi ${LONG_TEXT}`, where);
  assert.equal(result.roles, 1, where);
  assert.deepEqual(result.callHeads, [['call_1', 'apply_patch', 0]], where);
  assert.equal(result.args, LONG_ARGS, where);
  assert.deepEqual(result.finish, ['tool_calls'], where);
  assert.deepEqual(result.chunks.at(-1)?.usage, CHAT_USAGE, where);
  // The chat id is the response id without its `resp_` prefix.
  assert.ok(
    result.chunks.every((chunk) => chunk.id === 'chatcmpl-9'),
    where,
  );
  assert.ok(
    result.chunks.every((chunk) => chunk.model === 'gpt-5' && chunk.created === 7),
    where,
  );
  assert.deepEqual(result.relay.usage, BILLED, where);
  assert.equal(result.relay.terminalEvent, 'response.completed', where);
}

describe('ChatOverResponsesRelay with frames larger than the relay holds', () => {
  it('translates the stream fed whole', () => {
    assertTranslated(translate([Buffer.from(STREAM)]), 'whole');
  });

  it('translates it split in two at every byte around each frame’s start and end', () => {
    const bytes = Buffer.from(STREAM);
    const cuts = new Set<number>();
    for (let at = bytes.indexOf('\n\n'); at !== -1; at = bytes.indexOf('\n\n', at + 1)) {
      // Around the blank line, and around where the next frame's head ends and the hold limit falls.
      for (let d = -8; d <= 8; d++) for (const base of [at, at + 64, at + HOLD_LIMIT]) cuts.add(base + d);
    }
    for (const cut of [...cuts].filter((at) => at > 0 && at < bytes.length)) {
      assertTranslated(translate([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`);
    }
  });

  it('translates it fed in pieces of 1, 2, 3, 5, 7 and 13 bytes', () => {
    const bytes = Buffer.from(STREAM);
    for (const size of [1, 2, 3, 5, 7, 13]) {
      const pieces: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
      assertTranslated(translate(pieces), `pieces of ${size}`);
    }
  });

  it('ends with the upstream’s error when its error event is larger than the relay holds', () => {
    const relay = new ChatOverResponsesRelay(undefined, () => 1, false);
    const stream =
      event('response.created', { response: created }) +
      event('error', { message: 'Upstream broke', detail: 'd'.repeat(HOLD_LIMIT + 1) });
    const bytes = Buffer.from(stream);
    let out = '';
    for (let at = 0; at < bytes.length; at += 4096) out += relay.push(bytes.subarray(at, at + 4096));
    out += relay.flush();
    const last = out.split('\n\n').filter(Boolean).at(-1) ?? '';
    assert.deepEqual(JSON.parse(last.slice(6)).error.message, 'Upstream broke');
  });

  it('gives the arguments of a large call whose arguments never streamed, once, from its end', () => {
    const stream =
      event('response.created', { response: created }) +
      event('response.output_item.added', { item: { ...call, arguments: '' } }) +
      event('response.output_item.done', { item: call }) +
      event('response.incomplete', {
        response: { ...created, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } },
      });
    const bytes = Buffer.from(stream);
    const pieces: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 1000) pieces.push(bytes.subarray(at, at + 1000));
    const relay = new ChatOverResponsesRelay(undefined, () => 1, false);
    const out = pieces.map((piece) => relay.push(piece)).join('') + relay.flush();
    const chunks = out
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: {'))
      .map((frame) => JSON.parse(frame.slice(6)) as Chunk);
    const calls = chunks.flatMap((chunk) => (chunk.choices[0]?.delta.tool_calls ?? []) as ToolCallDelta[]);
    assert.equal(calls.map((c) => c.function.arguments).join(''), LONG_ARGS);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'length');
    assert.ok(out.endsWith('data: [DONE]\n\n'));
  });
});
