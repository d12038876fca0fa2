/**
 * The gateway end to end with the official `openai` SDK as the client: what the client gets,
 * what the upstream receives, and the usage event the request leaves behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { e2eForSuite, UPSTREAM_KEY } from '../support/e2e-stack.ts';

const e2e = e2eForSuite({}, {}, { resetMockEachTest: true });

describe('POST /v1/responses with the openai SDK', () => {
  it('returns a non-stream response with the model the client asked for, mapped upstream', async () => {
    const { secret } = await e2e.seed({ account: { modelMapping: { 'gpt-5': 'gpt-5.1-codex' } } });
    const client = e2e.client(secret);

    const response = await client.responses.create({ model: 'gpt-5', input: 'Say hello' });

    assert.equal(response.model, 'gpt-5');
    assert.equal(response.output_text, 'Hello from the mock upstream.');
    const [received] = e2e.mock.requests;
    assert.equal(received?.body.model, 'gpt-5.1-codex');
    assert.equal(received?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
  });

  it('streams every event through with the requested model restored', async () => {
    const { secret } = await e2e.seed({ account: { modelMapping: { 'gpt-5': 'gpt-5.1-codex' } } });
    const client = e2e.client(secret);

    const stream = await client.responses.create({ model: 'gpt-5', input: 'Say hello', stream: true });
    const types: string[] = [];
    let text = '';
    let completedModel: string | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completedModel = event.response.model;
    }

    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.ok(types.includes('response.output_text.delta'));
    assert.equal(text, 'Hello from the mock upstream.');
    assert.equal(completedModel, 'gpt-5');
    assert.equal(e2e.mock.requests[0]?.body.model, 'gpt-5.1-codex');
  });

  it('serves the responses.stream helper through the /openai/v1 base path', async () => {
    const { secret } = await e2e.seed();
    const client = e2e.client(secret, { basePath: '/openai/v1' });

    const stream = client.responses.stream({ model: 'gpt-5.1', input: 'Say hello' });
    const final = await stream.finalResponse();

    assert.equal(final.status, 'completed');
    assert.equal(final.output_text, 'Hello from the mock upstream.');
    assert.equal(e2e.mock.requests[0]?.path, '/v1/responses');
  });

  it('forwards only whitelisted headers and the platform credential, never the client key', async () => {
    const { secret } = await e2e.seed();
    const response = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secret}`,
        'content-type': 'application/json',
        'user-agent': 'codex_cli_rs/0.171.0',
        originator: 'codex_cli_rs',
        'accept-language': 'en',
        'session-id': 'sess-1',
        session_id: 'sess-1',
        'thread-id': 'thread-1',
        'x-client-request-id': 'client-1',
        'x-codex-turn-metadata': 'turn',
        'accept-encoding': 'gzip',
        cookie: 'secret=1',
        'x-forwarded-for': '10.0.0.1',
        'x-api-key': secret,
        'openai-organization': 'org-x',
      },
      body: JSON.stringify({ model: 'gpt-5.1', input: 'hi' }),
    });
    await response.text();

    assert.equal(response.status, 200);
    const received = e2e.mock.requests[0];
    assert.ok(received);
    const names = Object.keys(received.headers).filter(
      (name) => !['host', 'connection', 'content-length'].includes(name),
    );
    assert.deepEqual(names.sort(), [
      'accept',
      'accept-language',
      'authorization',
      'content-type',
      'originator',
      'session-id',
      'session_id',
      'thread-id',
      'user-agent',
      'x-client-request-id',
      'x-codex-turn-metadata',
    ]);
    assert.equal(received.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.ok(!JSON.stringify(received.headers).includes(secret));
  });

  it('gives non-Codex clients the default instructions and leaves Codex requests untouched', async () => {
    const { secret } = await e2e.seed();
    await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' });
    await e2e
      .client(secret, { headers: { originator: 'codex_cli_rs', 'user-agent': 'codex_cli_rs/0.171.0' } })
      .responses.create({ model: 'gpt-5.1', input: 'hi' });
    await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi', instructions: 'Be brief.' });

    const [sdk, codex, own] = e2e.mock.requests;
    assert.equal(typeof sdk?.body.instructions, 'string');
    assert.ok(String(sdk?.body.instructions).length > 0);
    assert.equal(codex?.body.instructions, undefined);
    assert.equal(own?.body.instructions, 'Be brief.');
  });

  it('passes unknown body fields, input item types and tools through untouched', async () => {
    const { secret } = await e2e.seed();
    const body = {
      model: 'gpt-5.1',
      instructions: 'x',
      input: [{ type: 'future_item', payload: { a: [1, 2, { b: null }] } }],
      tools: [{ type: 'local_shell' }, { type: 'custom_tool_kind', spec: 'z' }],
      some_new_field: { nested: true },
      prompt_cache_key: 'abc',
    };
    const response = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.text();

    assert.deepEqual(e2e.mock.requests[0]?.body, body);
  });

  it('emits one usage event per served request carrying the upstream usage', async () => {
    const { secret, userId, keyId, accountId } = await e2e.seed();
    e2e.mock.enqueue({
      kind: 'ok',
      usage: { input_tokens: 100, cached_tokens: 40, output_tokens: 9, reasoning_tokens: 3 },
    });
    const before = e2e.usageEvents().length;

    const stream = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi', stream: true });
    for await (const _event of stream) {
      // drain
    }
    await e2e.stack.bus.drain();

    const events = e2e.usageEvents().slice(before);
    assert.equal(events.length, 1);
    const detail = events[0]?.detail;
    assert.equal(detail?.userId, userId);
    assert.equal(detail?.apiKeyId, keyId);
    assert.equal(detail?.accountId, accountId);
    assert.equal(detail?.stream, true);
    assert.equal(detail?.cutShort, false);
    assert.deepEqual(detail?.usage, {
      inputTokens: 100,
      cachedInputTokens: 40,
      outputTokens: 9,
      reasoningTokens: 3,
    });
    assert.equal(typeof detail?.firstTokenMs, 'number');
  });

  it('returns x-request-id on every response', async () => {
    const { secret } = await e2e.seed();
    const { response } = await e2e
      .client(secret)
      .responses.create({ model: 'gpt-5.1', input: 'hi' })
      .withResponse();
    assert.match(response.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);
  });
});

describe('other routes', () => {
  it('lists the models the key can reach', async () => {
    const { secret } = await e2e.seed({
      account: { modelMapping: { 'gpt-5': 'gpt-5.1-codex', 'gpt-5-mini': 'gpt-5-mini' } },
    });
    const models = await e2e.client(secret).models.list();
    assert.deepEqual(
      models.data.map((model) => model.id),
      ['gpt-5', 'gpt-5-mini'],
    );
  });

  it('answers /health without a key', async () => {
    const response = await fetch(`${e2e.stack.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('answers unknown routes with an OpenAI-shaped 404 and wrong methods with 405', async () => {
    const notFound = await fetch(`${e2e.stack.url}/v1/chat/nope`, { method: 'POST' });
    assert.equal(notFound.status, 404);
    assert.deepEqual(await notFound.json(), {
      error: { type: 'invalid_request_error', message: 'Invalid URL (POST /v1/chat/nope)' },
    });
    const wrongMethod = await fetch(`${e2e.stack.url}/v1/responses`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    assert.equal(
      ((await wrongMethod.json()) as { error: { type: string } }).error.type,
      'invalid_request_error',
    );
  });
});
