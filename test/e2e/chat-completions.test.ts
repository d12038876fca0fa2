/**
 * POST /v1/chat/completions end to end with the official `openai` SDK, on both kinds of account:
 * an API-key account gets the request as it came on the platform's chat endpoint, a ChatGPT
 * (OAuth) account gets it translated to Responses on the Codex backend path; the client reads
 * Chat Completions either way, and the request is billed from the usage the upstream reported.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { createAccount } from '#shared/admin/account-create.ts';
import { e2eForSuite, UPSTREAM_KEY } from '../support/e2e-stack.ts';
import { eventually } from '../support/gateway-calls.ts';

const e2e = e2eForSuite({}, {}, { resetMockEachTest: true });

const MOCK_TEXT = 'Hello from the mock upstream.';
/** The mock's default usage: 12 input tokens, 7 output tokens. */
const MOCK_USAGE = { inputTokens: 12, cachedInputTokens: 0, outputTokens: 7, reasoningTokens: 0 };
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const ACCOUNTS = {
  apikey: () => ({ modelMapping: { 'gpt-5': 'gpt-5.1-codex' } }),
  oauth: () => ({
    type: 'oauth' as const,
    baseUrl: `${e2e.mock.url}/backend-api/codex`,
    apiKey: undefined,
    accessToken: 'at-chat-token',
    refreshToken: 'rt_chat_refresh_token_0001',
    chatgptAccountId: 'chatgpt-account-chat',
    expiresAt: '2099-01-01T00:00:00Z',
    modelMapping: { 'gpt-5': 'gpt-5.1-codex' },
  }),
};

function usageEventOf(requestId: string | null) {
  return e2e.usageEvents().find((event) => event.detail.requestId === requestId)?.detail;
}

/** Waits (bounded) for the usage event of a request: it is published as the body ends. */
async function billed(requestId: string | null) {
  await eventually(() => usageEventOf(requestId) !== undefined).catch(() => {});
  const detail = usageEventOf(requestId);
  assert.ok(detail, `no usage event for ${requestId}`);
  return detail;
}

for (const [kind, account] of Object.entries(ACCOUNTS)) {
  const upstreamPath = kind === 'apikey' ? '/v1/chat/completions' : '/backend-api/codex/responses';

  describe(`chat.completions with the openai SDK on an ${kind} account`, () => {
    it('answers a plain request with the requested model, and bills the upstream usage', async () => {
      const { secret } = await e2e.seed({ account: account() });

      const { data, response } = await e2e
        .client(secret)
        .chat.completions.create({
          model: 'gpt-5',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Say hello' },
          ],
        })
        .withResponse();

      assert.equal(data.object, 'chat.completion');
      assert.equal(data.model, 'gpt-5');
      assert.equal(data.choices[0]?.message.content, MOCK_TEXT);
      assert.equal(data.choices[0]?.finish_reason, 'stop');
      assert.equal(data.usage?.prompt_tokens, 12);
      assert.equal(data.usage?.completion_tokens, 7);
      const received = e2e.mock.requests[0];
      assert.equal(received?.path, upstreamPath);
      assert.equal(received?.body.model, 'gpt-5.1-codex');
      if (kind === 'apikey') {
        assert.equal(received?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
        assert.deepEqual(received?.body.messages, [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hello' },
        ]);
      } else {
        assert.equal(received?.headers.authorization, 'Bearer at-chat-token');
        assert.equal(received?.body.stream, true);
        assert.equal(received?.body.store, false);
        assert.deepEqual(received?.body.input.slice(-2), [
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }] },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello' }] },
        ]);
      }
      const detail = await billed(response.headers.get('x-request-id'));
      assert.deepEqual(detail.usage, MOCK_USAGE);
      assert.equal(detail.modelRequested, 'gpt-5');
      assert.equal(detail.modelSent, 'gpt-5.1-codex');
      assert.equal(detail.stream, false);
      assert.equal(detail.route, '/v1/chat/completions');
    });

    it('streams chunks with the usage chunk the client asked for', async () => {
      const { secret } = await e2e.seed({ account: account() });

      const { data: stream, response } = await e2e
        .client(secret, { basePath: '/openai/v1' })
        .chat.completions.create({
          model: 'gpt-5',
          messages: [{ role: 'user', content: 'Say hello' }],
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      const chunks: ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);

      assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
      assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), MOCK_TEXT);
      assert.ok(chunks.every((chunk) => chunk.model === 'gpt-5'));
      const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
      assert.equal(finish?.choices[0]?.finish_reason, 'stop');
      const last = chunks.at(-1);
      assert.deepEqual(last?.choices, []);
      assert.equal(last?.usage?.prompt_tokens, 12);
      assert.equal(last?.usage?.completion_tokens, 7);
      const detail = await billed(response.headers.get('x-request-id'));
      assert.deepEqual(detail.usage, MOCK_USAGE);
      assert.equal(detail.stream, true);
      assert.equal(detail.cutShort, false);
      assert.equal(detail.route, '/openai/v1/chat/completions');
    });

    it('bills a stream whose client did not ask for usage, without showing it the usage chunk', async () => {
      const { secret } = await e2e.seed({ account: account() });

      const raw = await fetch(`${e2e.stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-5',
          messages: [{ role: 'user', content: 'Say hello' }],
          stream: true,
        }),
      });
      const text = await raw.text();

      assert.equal(raw.status, 200);
      assert.match(raw.headers.get('content-type') ?? '', /text\/event-stream/);
      assert.doesNotMatch(text, /"usage"/);
      assert.ok(text.endsWith('data: [DONE]\n\n'), text.slice(-80));
      if (kind === 'apikey')
        assert.deepEqual(e2e.mock.requests[0]?.body.stream_options, { include_usage: true });
      const detail = await billed(raw.headers.get('x-request-id'));
      assert.deepEqual(detail.usage, MOCK_USAGE);
    });

    it('streams tool calls that the stream helper assembles, then serves the tool-result turn', async () => {
      const { secret } = await e2e.seed({ account: account() });
      const client = e2e.client(secret);
      e2e.mock.enqueue(
        { kind: 'ok', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { kind: 'ok', text: 'It is 18°C in Paris.' },
      );

      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const first = await client.chat.completions
        .stream({ model: 'gpt-5', messages, tools: [weatherTool] })
        .finalChatCompletion();
      const call = first.choices[0]?.message.tool_calls?.[0];
      assert.equal(first.choices[0]?.finish_reason, 'tool_calls');
      assert.equal(call?.type, 'function');
      assert.ok(call?.type === 'function' && call.id);
      assert.deepEqual(call.function, { name: 'get_weather', arguments: '{"city":"Paris"}' });

      const second = await client.chat.completions.create({
        model: 'gpt-5',
        messages: [
          ...messages,
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '18°C' },
        ],
        tools: [weatherTool],
      });

      assert.equal(second.choices[0]?.message.content, 'It is 18°C in Paris.');
      const [toolsSent, resultSent] = e2e.mock.requests;
      if (kind === 'apikey') {
        assert.equal(toolsSent?.body.tools[0].function.name, 'get_weather');
        assert.deepEqual(resultSent?.body.messages.at(-1), {
          role: 'tool',
          tool_call_id: call.id,
          content: '18°C',
        });
      } else {
        assert.deepEqual(toolsSent?.body.tools, [
          {
            type: 'function',
            name: 'get_weather',
            description: 'Current weather in a city',
            parameters: weatherTool.function.parameters,
            strict: false,
          },
        ]);
        assert.deepEqual(resultSent?.body.input.slice(-2), [
          { type: 'function_call', call_id: call.id, name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call_output', call_id: call.id, output: '18°C' },
        ]);
      }
    });

    it('runs a tool loop with runTools: the call, the function, the tool result, the answer', async () => {
      const { secret } = await e2e.seed({ account: account() });
      e2e.mock.enqueue(
        { kind: 'ok', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Rome"}' }] },
        { kind: 'ok', text: 'Sunny in Rome.' },
      );
      const cities: string[] = [];

      const runner = e2e.client(secret).chat.completions.runTools({
        model: 'gpt-5',
        messages: [{ role: 'user', content: 'Weather in Rome?' }],
        stream: true,
        tools: [
          {
            type: 'function',
            function: {
              ...weatherTool.function,
              parse: JSON.parse,
              function: ({ city }: { city: string }) => {
                cities.push(city);
                return '25°C';
              },
            },
          },
        ],
      });

      assert.equal(await runner.finalContent(), 'Sunny in Rome.');
      assert.deepEqual(cities, ['Rome']);
      assert.equal(e2e.mock.requests.length, 2);
    });

    it('ends a stream cut short upstream with a Chat-shaped error frame, billed for the text it got', async () => {
      const { secret } = await e2e.seed({ account: account() });
      // Up to the deltas "Hello from" and " the": chunks on the platform; Responses events (created,
      // in_progress, output_item.added, content_part.added, then the deltas) on the Codex backend.
      e2e.mock.enqueue({ kind: 'drop', afterEvents: kind === 'apikey' ? 3 : 6 });

      const { data: stream, response } = await e2e
        .client(secret)
        .chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }], stream: true })
        .withResponse();
      const roles: (string | undefined)[] = [];
      let text = '';
      await assert.rejects(
        async () => {
          for await (const chunk of stream) {
            roles.push(chunk.choices[0]?.delta.role);
            text += chunk.choices[0]?.delta.content ?? '';
          }
        },
        (error: unknown) =>
          error instanceof OpenAI.APIError && /Upstream stream ended early/.test(error.message),
      );

      assert.equal(roles[0], 'assistant');
      assert.equal(text, 'Hello from the');
      const detail = await billed(response.headers.get('x-request-id'));
      assert.equal(detail.cutShort, true);
      assert.equal(detail.cutShortReason, 'upstream_error');
      // "Hello", " from", " the": three o200k_base tokens reached the client; the prompt was read.
      assert.equal(detail.usageSource, 'observed');
      assert.equal(detail.usage.outputTokens, 3);
      assert.ok(detail.usage.inputTokens > 0);
    });

    it('refuses a bad key with 401 before anything reaches the upstream', async () => {
      await e2e.seed({ account: account() });

      await assert.rejects(
        e2e.client('sk-qg-not-a-key').chat.completions.create({
          model: 'gpt-5',
          messages: [{ role: 'user', content: 'x' }],
        }),
        (error: unknown) => error instanceof OpenAI.AuthenticationError && error.status === 401,
      );
      assert.equal(e2e.mock.requests.length, 0);
    });
  });
}

describe('chat.completions in a pool of both kinds of account', () => {
  it('fails over from a ChatGPT account that answered 429 to an API-key account, invisibly', async () => {
    const { secret, groupId, userId } = await e2e.seed({ account: { ...ACCOUNTS.oauth(), priority: 1 } });
    const platform = await createAccount(e2e.admin, {
      type: 'apikey',
      name: 'chat failover target',
      baseUrl: e2e.mock.url,
      apiKey: UPSTREAM_KEY,
      groupIds: [groupId],
      priority: 2,
    });
    e2e.mock.enqueue({ kind: 'error', status: 429 });

    const completion = await e2e.client(secret).chat.completions.create({
      model: 'gpt-5',
      messages: [{ role: 'user', content: 'Say hello' }],
    });

    assert.equal(completion.choices[0]?.message.content, MOCK_TEXT);
    assert.deepEqual(
      e2e.mock.requests.map((request) => request.path),
      ['/backend-api/codex/responses', '/v1/chat/completions'],
    );
    await e2e.stack.bus.drain();
    const detail = e2e.usageEvents().find((event) => event.detail.userId === userId)?.detail;
    assert.equal(detail?.accountId, platform.id);
    assert.equal(detail?.failovers, 1);
  });
});

describe('chat.completions fields a ChatGPT account cannot serve', () => {
  it('refuses them with a 400 naming the field, and sends nothing upstream', async () => {
    const { secret } = await e2e.seed({ account: ACCOUNTS.oauth() });

    await assert.rejects(
      e2e.client(secret).chat.completions.create({
        model: 'gpt-5',
        messages: [{ role: 'user', content: 'x' }],
        n: 3,
      }),
      (error: unknown) =>
        error instanceof OpenAI.BadRequestError &&
        error.param === 'n' &&
        /n is not supported/.test(error.message),
    );
    assert.equal(e2e.mock.requests.length, 0);
  });

  it('passes them to an API-key account, which decides for itself', async () => {
    const { secret } = await e2e.seed({ account: ACCOUNTS.apikey() });

    await e2e.client(secret).chat.completions.create({
      model: 'gpt-5',
      messages: [{ role: 'user', content: 'x' }],
      n: 3,
      stop: ['\n'],
    });

    assert.equal(e2e.mock.requests[0]?.body.n, 3);
    assert.deepEqual(e2e.mock.requests[0]?.body.stop, ['\n']);
  });
});
