import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatToResponsesRequest } from '#shared/chat/chat-request.ts';
import { GatewayError } from '#shared/errors.ts';

const user = (content: unknown) => ({ role: 'user', content });

function refusal(body: Record<string, unknown>): { message: string; param: string | undefined } {
  try {
    chatToResponsesRequest(body);
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    return { message: error.message, param: error.param };
  }
  assert.fail('expected a 400');
}

describe('chatToResponsesRequest', () => {
  it('turns system, developer, user and assistant messages into input items', () => {
    const body = chatToResponsesRequest({
      model: 'gpt-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        user('Hi'),
        { role: 'assistant', content: 'Bonjour' },
        user([
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
        ]),
      ],
    });
    assert.deepEqual(body, {
      model: 'gpt-5',
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }] },
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Answer in French.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Bonjour' }] },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
            { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' },
          ],
        },
      ],
    });
  });

  it('turns a tool-calling assistant turn and its tool results into function_call items and outputs', () => {
    const body = chatToResponsesRequest({
      model: 'gpt-5',
      messages: [
        user('Weather in Paris and Rome?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '18°C' },
        {
          role: 'tool',
          tool_call_id: 'call_b',
          content: [
            { type: 'text', text: '24' },
            { type: 'text', text: '°C' },
          ],
        },
      ],
    });
    assert.deepEqual(body.input, [
      {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Weather in Paris and Rome?' }],
      },
      { type: 'function_call', call_id: 'call_a', name: 'weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'call_b', name: 'weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'call_a', output: '18°C' },
      { type: 'function_call_output', call_id: 'call_b', output: '24°C' },
    ]);
  });

  it('flattens function tools (lax unless strict), and translates tool_choice', () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const body = chatToResponsesRequest({
      model: 'gpt-5',
      messages: [user('x')],
      tools: [
        { type: 'function', function: { name: 'weather', description: 'Weather now', parameters } },
        { type: 'function', function: { name: 'ping', strict: true } },
      ],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
    });
    assert.deepEqual(body.tools, [
      { type: 'function', name: 'weather', description: 'Weather now', parameters, strict: false },
      { type: 'function', name: 'ping', parameters: { type: 'object', properties: {} }, strict: true },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'function', name: 'weather' });
    assert.equal(body.parallel_tool_calls, false);
    for (const choice of ['none', 'auto', 'required']) {
      assert.equal(
        chatToResponsesRequest({ model: 'm', messages: [user('x')], tool_choice: choice }).tool_choice,
        choice,
      );
    }
  });

  it('translates response_format, reasoning effort, verbosity, max tokens, temperature and top_p', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } } };
    const body = chatToResponsesRequest({
      model: 'gpt-5',
      messages: [user('x')],
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } },
      reasoning_effort: 'low',
      verbosity: 'high',
      max_completion_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
      metadata: { team: 'a' },
      user: 'u-1',
    });
    assert.deepEqual(body, {
      model: 'gpt-5',
      stream: true,
      temperature: 0.2,
      top_p: 0.9,
      metadata: { team: 'a' },
      user: 'u-1',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] }],
      text: { format: { type: 'json_schema', name: 'reply', schema, strict: true }, verbosity: 'high' },
      reasoning: { effort: 'low' },
      max_output_tokens: 300,
      stream_options: { include_obfuscation: false },
    });
    const legacy = chatToResponsesRequest({
      model: 'm',
      messages: [user('x')],
      max_tokens: 50,
      response_format: { type: 'json_object' },
    });
    assert.equal(legacy.max_output_tokens, 50);
    assert.deepEqual(legacy.text, { format: { type: 'json_object' } });
  });

  it('lets fields through that are set to values asking for nothing', () => {
    const body = chatToResponsesRequest({
      model: 'm',
      messages: [user('x')],
      n: 1,
      logprobs: false,
      presence_penalty: 0,
      frequency_penalty: 0,
      logit_bias: {},
      stop: null,
      seed: null,
      modalities: ['text'],
    });
    assert.deepEqual(Object.keys(body).sort(), ['input', 'model']);
  });

  it('refuses with a 400 naming the field what Responses cannot do', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ n: 2 }, 'n'],
      [{ logprobs: true }, 'logprobs'],
      [{ stop: ['\n'] }, 'stop'],
      [{ stop: 'END' }, 'stop'],
      [{ seed: 7 }, 'seed'],
      [{ presence_penalty: 0.5 }, 'presence_penalty'],
      [{ logit_bias: { '50256': -100 } }, 'logit_bias'],
      [{ audio: { voice: 'alloy', format: 'mp3' } }, 'audio'],
      [{ modalities: ['text', 'audio'] }, 'modalities'],
      [{ functions: [{ name: 'f' }] }, 'functions'],
      [{ top_k: 5 }, 'top_k'],
      [{ tools: [{ type: 'custom', custom: { name: 'c' } }] }, 'tools[0]'],
      [{ response_format: { type: 'yaml' } }, 'response_format'],
      [{ messages: [] }, 'messages'],
      [{ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0]'],
      [
        { messages: [user([{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }])] },
        'messages[0].content[0]',
      ],
      [{ messages: [{ role: 'tool', content: 'no id' }] }, 'messages[0]'],
    ];
    for (const [fields, param] of cases) {
      const { message, param: named } = refusal({ model: 'm', messages: [user('x')], ...fields });
      assert.equal(named, param, message);
      assert.ok(message.includes(param.split('[')[0] ?? param), message);
    }
    assert.match(
      refusal({ model: 'm', messages: [user('x')], top_k: 5 }).message,
      /Unrecognized request argument supplied: top_k/,
    );
  });
});
