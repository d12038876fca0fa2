import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatCompletionOf } from '#shared/chat/chat-response.ts';
import { ChatChunkStream } from '#shared/chat/chat-stream.ts';

const usage = {
  input_tokens: 20,
  input_tokens_details: { cached_tokens: 8 },
  output_tokens: 9,
  output_tokens_details: { reasoning_tokens: 4 },
  total_tokens: 29,
};
const chatUsage = {
  prompt_tokens: 20,
  completion_tokens: 9,
  total_tokens: 29,
  prompt_tokens_details: { cached_tokens: 8, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 4,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};
const base = { id: 'resp_abc', object: 'response', created_at: 1_700_000_000, model: 'gpt-5' };
const call = (id: string, callId: string, name: string, args: string) => ({
  id,
  type: 'function_call',
  call_id: callId,
  name,
  arguments: args,
  status: 'completed',
});

/** Parses the SSE text the translator wrote into its data payloads. */
function payloads(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      assert.ok(frame.startsWith('data: '), frame);
      const data = frame.slice(6);
      return data === '[DONE]' ? '[DONE]' : JSON.parse(data);
    });
}

describe('chatCompletionOf', () => {
  it('turns a completed text response into a chat.completion with Chat usage', () => {
    const completion = chatCompletionOf({
      ...base,
      status: 'completed',
      service_tier: 'default',
      output: [
        { type: 'reasoning', id: 'rs_1', summary: [] },
        {
          type: 'message',
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'Hel' },
            { type: 'output_text', text: 'lo' },
          ],
        },
      ],
      usage,
    });
    assert.deepEqual(completion, {
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-5',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: chatUsage,
      service_tier: 'default',
      system_fingerprint: null,
    });
  });

  it('reports tool calls with finish_reason tool_calls, and an incomplete response as length', () => {
    const tools = chatCompletionOf({
      ...base,
      status: 'completed',
      output: [call('fc_1', 'call_1', 'weather', '{"city":"Paris"}')],
    }) as { choices: [{ message: Record<string, unknown>; finish_reason: string }] };
    assert.deepEqual(tools.choices[0].message.tool_calls, [
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ]);
    assert.equal(tools.choices[0].message.content, null);
    assert.equal(tools.choices[0].finish_reason, 'tool_calls');
    const cut = chatCompletionOf({
      ...base,
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [],
    }) as { choices: [{ finish_reason: string }] };
    assert.equal(cut.choices[0].finish_reason, 'length');
  });
});

describe('ChatChunkStream', () => {
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: 'chatcmpl-abc',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gpt-5',
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

  it('streams role, content deltas, finish_reason, the usage chunk when asked, then [DONE]', () => {
    const stream = new ChatChunkStream({ includeUsage: true });
    const events = [
      { type: 'response.created', response: { ...base, status: 'in_progress' } },
      { type: 'response.in_progress', response: { ...base, status: 'in_progress' } },
      { type: 'response.output_item.added', item: { type: 'message', id: 'msg_1', content: [] } },
      { type: 'response.output_text.delta', item_id: 'msg_1', delta: 'Hel' },
      { type: 'response.output_text.delta', item_id: 'msg_1', delta: 'lo' },
      { type: 'response.output_text.done', item_id: 'msg_1', text: 'Hello' },
      { type: 'response.completed', response: { ...base, status: 'completed', output: [], usage } },
      { type: 'response.output_text.delta', item_id: 'msg_1', delta: 'after the end' },
    ];
    const text = events.map((event) => stream.event(event)).join('');
    assert.deepEqual(payloads(text), [
      chunk({ role: 'assistant', content: '', refusal: null }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({}, 'stop'),
      { ...chunk({}), choices: [], usage: chatUsage },
      '[DONE]',
    ]);
  });

  it('numbers tool calls by index: id and name first, then argument deltas; no usage chunk unless asked', () => {
    const stream = new ChatChunkStream({ includeUsage: false });
    const events = [
      { type: 'response.created', response: base },
      {
        type: 'response.output_item.added',
        item: { ...call('fc_1', 'call_1', 'weather', ''), status: 'in_progress' },
      },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', delta: '{"city":' },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_1', delta: '"Paris"}' },
      { type: 'response.output_item.done', item: call('fc_1', 'call_1', 'weather', '{"city":"Paris"}') },
      {
        type: 'response.output_item.added',
        item: { ...call('fc_2', 'call_2', 'time', ''), status: 'in_progress' },
      },
      { type: 'response.output_item.done', item: call('fc_2', 'call_2', 'time', '{}') },
      { type: 'response.output_item.done', item: call('fc_3', 'call_3', 'date', '{"tz":"UTC"}') },
      { type: 'response.completed', response: { ...base, status: 'completed', usage } },
    ];
    const text = events.map((event) => stream.event(event)).join('');
    const fn = (name: string, args: string) => ({ name, arguments: args });
    assert.deepEqual(payloads(text), [
      chunk({ role: 'assistant', content: '', refusal: null }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: fn('weather', '') }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: fn('time', '') }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      chunk({
        tool_calls: [{ index: 2, id: 'call_3', type: 'function', function: fn('date', '{"tz":"UTC"}') }],
      }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    ]);
  });

  it('ends a failed response with an error frame the SDKs raise, and no [DONE]', () => {
    const stream = new ChatChunkStream({ includeUsage: true });
    stream.event({ type: 'response.created', response: base });
    const text = stream.event({
      type: 'response.failed',
      response: { ...base, status: 'failed', error: { code: 'server_error', message: 'The model crashed' } },
    });
    assert.deepEqual(payloads(text), [{ error: { type: 'upstream_error', message: 'The model crashed' } }]);
    assert.equal(stream.ended, true);
  });
});
