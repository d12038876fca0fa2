/**
 * Proves the mock upstream is a faithful stand-in for the OpenAI Responses API: the official `openai`
 * SDK, pointed at it, must parse its JSON, its SSE streams and its errors exactly as it does the real
 * API's, and the scripting/recording features the gateway tests rely on must do what they promise.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI, { APIError } from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { eventually } from '../support/gateway-calls.ts';
import type { OpenAIErrorBody } from '../support/mock-upstream/errors.ts';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.ts';

const TOKEN = 'sk-proj-mocktoken-0123456789abcdefghijklmnop';
const DEFAULT_TEXT = 'Hello from the mock upstream.';

const EXPECTED_SEQUENCE = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.delta',
  'response.output_text.delta',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.completed',
];

let mock: MockUpstream;

function client(options: { apiKey?: string; baseURL?: string } = {}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? TOKEN,
    baseURL: options.baseURL ?? `${mock.url}/v1`,
    maxRetries: 0,
  });
}

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Waits until the mock has seen every response finish; 'close' on the server side trails the client. */
async function settled(): Promise<void> {
  await eventually(() => mock.inFlight === 0);
}

async function errorOf(response: Response): Promise<OpenAIErrorBody['error']> {
  return ((await response.json()) as OpenAIErrorBody).error;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

before(async () => {
  mock = await startMockUpstream({ expectedTokens: [TOKEN] });
});
after(() => mock.close());
beforeEach(() => mock.reset());

describe('mock upstream: successful responses through the official SDK', () => {
  it('answers a non-streaming create with a completed response object', async () => {
    const { data, response, request_id } = await client()
      .responses.create({ model: 'gpt-5-codex', input: 'Say hello', instructions: 'Be brief.' })
      .withResponse();

    assert.equal(response.status, 200);
    assert.match(request_id ?? '', /^req_[0-9a-f]{32}$/);
    assert.match(data.id, /^resp_[0-9a-f]{50}$/);
    assert.equal(data.object, 'response');
    assert.equal(data.status, 'completed');
    assert.equal(data.model, 'gpt-5-codex');
    assert.equal(data.instructions, 'Be brief.');
    assert.equal(data.output_text, DEFAULT_TEXT);
    assert.equal(data.output.length, 1);
    assert.equal(data.output[0]?.type, 'message');
    assert.deepEqual(data.usage, {
      input_tokens: 12,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 19,
    });
  });

  it('streams the real event sequence with increasing sequence numbers', async () => {
    mock.enqueue({
      kind: 'ok',
      text: 'One two three four five six',
      usage: { input_tokens: 100, cached_tokens: 40, output_tokens: 20, reasoning_tokens: 5 },
    });
    const stream = await client().responses.create({ model: 'gpt-5', input: 'Count', stream: true });
    const events = await collect(stream);

    assert.deepEqual(
      events.map((event) => event.type),
      EXPECTED_SEQUENCE,
    );
    assert.deepEqual(
      events.map((event) => event.sequence_number),
      events.map((_, index) => index),
    );
    const deltas = events.flatMap((event) =>
      event.type === 'response.output_text.delta' ? [event.delta] : [],
    );
    assert.equal(deltas.join(''), 'One two three four five six');

    const [created, inProgress] = events;
    const completed = events.at(-1);
    assert.ok(created?.type === 'response.created' && inProgress?.type === 'response.in_progress');
    assert.ok(completed?.type === 'response.completed');
    for (const lifecycle of [created.response, inProgress.response]) {
      assert.equal(lifecycle.status, 'in_progress');
      assert.equal(lifecycle.usage, null);
      assert.deepEqual(lifecycle.output, []);
    }
    assert.equal(completed.response.id, created.response.id);
    assert.equal(completed.response.status, 'completed');
    assert.equal(completed.response.model, 'gpt-5');
    assert.deepEqual(completed.response.usage, {
      input_tokens: 100,
      input_tokens_details: { cached_tokens: 40 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 5 },
      total_tokens: 120,
    });
  });

  it('serves the responses.stream() helper, which rebuilds the final response', async () => {
    mock.enqueue({ kind: 'ok', text: 'Streamed via helper.', chunkDelayMs: 5 });
    const deltas: string[] = [];
    const stream = client()
      .responses.stream({ model: 'gpt-5', input: 'Hi' })
      .on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();

    assert.equal(final.status, 'completed');
    assert.equal(final.output_text, 'Streamed via helper.');
    assert.equal(deltas.join(''), 'Streamed via helper.');
    assert.equal(final.usage?.total_tokens, 19);
  });

  it('pads deltas with obfuscation unless stream_options.include_obfuscation is false', async () => {
    const withPadding = await collect(
      await client().responses.create({ model: 'gpt-5', input: 'x', stream: true }),
    );
    const without = await collect(
      await client().responses.create({
        model: 'gpt-5',
        input: 'x',
        stream: true,
        stream_options: { include_obfuscation: false },
      }),
    );
    const isDelta = (event: ResponseStreamEvent) => event.type === 'response.output_text.delta';
    assert.ok(withPadding.filter(isDelta).every((event) => 'obfuscation' in event));
    assert.ok(without.filter(isDelta).every((event) => !('obfuscation' in event)));
  });

  it('serves the Codex backend path like the platform path and adds the configured headers', async () => {
    mock.enqueue({ kind: 'ok', headers: { 'x-codex-primary-used-percent': '42' } });
    const codex = client({ baseURL: `${mock.url}/backend-api/codex` });
    const { data, response } = await codex.responses.create({ model: 'gpt-5', input: 'Hi' }).withResponse();

    assert.equal(data.output_text, DEFAULT_TEXT);
    assert.equal(response.headers.get('x-codex-primary-used-percent'), '42');
    assert.equal(mock.requests[0]?.path, '/backend-api/codex/responses');
  });

  it('lists models in the OpenAI list shape', async () => {
    const models = [];
    for await (const model of client().models.list()) models.push(model);
    assert.ok(models.length > 0);
    assert.ok(models.every((model) => model.object === 'model' && typeof model.id === 'string'));
  });
});

describe('mock upstream: errors', () => {
  it('surfaces a scripted 429 as the SDK RateLimitError with OpenAI fields and headers', async () => {
    mock.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });
    const error = await rejection(client().responses.create({ model: 'gpt-5', input: 'x' }));

    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.code, 'rate_limit_exceeded');
    assert.equal(error.param, null);
    assert.match(error.message, /Rate limit reached for gpt-5/);
    assert.equal(error.headers.get('retry-after'), '7');
    assert.match(error.requestID ?? '', /^req_/);
  });

  it('uses the default body for 500, 529 and 403, and a custom body when given', async () => {
    mock.enqueue(
      { kind: 'error', status: 500 },
      { kind: 'error', status: 529 },
      { kind: 'error', status: 403 },
      { kind: 'error', status: 400, body: { error: { message: 'custom', type: 'invalid_request_error' } } },
    );
    const errors = [];
    for (let i = 0; i < 4; i++)
      errors.push(await rejection(client().responses.create({ model: 'm', input: 'x' })));
    const [server, overloaded, forbidden, custom] = errors;

    assert.ok(server instanceof OpenAI.InternalServerError);
    assert.equal(server.type, 'server_error');
    assert.ok(overloaded instanceof APIError);
    assert.equal(overloaded.status, 529);
    assert.match(overloaded.message, /The server is overloaded/);
    assert.ok(forbidden instanceof OpenAI.PermissionDeniedError);
    assert.equal(forbidden.code, 'model_not_found');
    assert.ok(custom instanceof OpenAI.BadRequestError);
    assert.equal(custom.message, '400 custom');
  });

  it('rejects an unknown key with invalid_api_key without echoing the whole key, and records it', async () => {
    const wrong = 'sk-proj-wrongtoken-zyxwvutsrqponmlk9876';
    const error = await rejection(client({ apiKey: wrong }).responses.create({ model: 'gpt-5', input: 'x' }));

    assert.ok(error instanceof OpenAI.AuthenticationError);
    assert.equal(error.code, 'invalid_api_key');
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.message, /Incorrect API key provided: sk-proj-\*+9876\./);
    assert.ok(!error.message.includes(wrong));
    assert.equal(mock.requests.length, 1);
    assert.equal(mock.requests[0]?.headers.authorization, `Bearer ${wrong}`);
  });

  it('answers missing auth, invalid JSON, a missing model and unknown routes like OpenAI', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${mock.url}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      });
    const auth = { authorization: `Bearer ${TOKEN}` };

    const noAuth = await post('/v1/responses', '{"model":"gpt-5"}');
    assert.equal(noAuth.status, 401);
    assert.match((await errorOf(noAuth)).message, /You didn't provide an API key/);

    const badJson = await post('/v1/responses', '{"model":', auth);
    assert.equal(badJson.status, 400);
    assert.deepEqual(Object.keys(await errorOf(badJson)), ['message', 'type', 'param', 'code']);

    const noModel = await post('/v1/responses', '{"input":"x"}', auth);
    assert.equal(noModel.status, 400);
    assert.equal((await errorOf(noModel)).param, 'model');

    const unknown = await post('/v1/chat/nope', '{}', auth);
    assert.equal(unknown.status, 404);
    assert.equal((await errorOf(unknown)).message, 'Invalid URL (POST /v1/chat/nope)');
    assert.equal(mock.requests.length, 4);
  });
});

describe('mock upstream: broken connections', () => {
  it('drops the connection mid-stream, which makes the SDK stream throw', async () => {
    mock.enqueue({ kind: 'drop', afterEvents: 3 });
    const received: string[] = [];
    const stream = await client().responses.create({ model: 'gpt-5', input: 'x', stream: true });
    await assert.rejects(async () => {
      for await (const event of stream) received.push(event.type);
    });
    assert.deepEqual(received, EXPECTED_SEQUENCE.slice(0, 3));
    await settled();
  });

  it('makes the responses.stream() helper reject on a drop', async () => {
    mock.enqueue({ kind: 'drop', afterEvents: 5 });
    await assert.rejects(client().responses.stream({ model: 'gpt-5', input: 'x' }).finalResponse());
  });

  it('stalls after the given events until the client gives up', async () => {
    mock.enqueue({ kind: 'stall', afterEvents: 2 });
    const abort = new AbortController();
    const stream = await client().responses.create(
      { model: 'gpt-5', input: 'x', stream: true },
      { signal: abort.signal },
    );
    const received: string[] = [];
    for await (const event of stream) {
      received.push(event.type);
      if (received.length === 2) setTimeout(() => abort.abort(), 50);
    }
    assert.deepEqual(received, EXPECTED_SEQUENCE.slice(0, 2));
    await settled();
  });

  it('does not let stalled responses keep close() from finishing', async () => {
    const own = await startMockUpstream();
    own.setDefault({ kind: 'stall' });
    const sdk = new OpenAI({ apiKey: 'any', baseURL: `${own.url}/v1`, maxRetries: 0 });
    const pending = [
      sdk.responses.create({ model: 'gpt-5', input: 'x', stream: true }).then(collect),
      sdk.responses.create({ model: 'gpt-5', input: 'x' }),
    ];
    await eventually(() => own.requests.length >= 2);
    const started = Date.now();
    await own.close();
    // A stalled response never ends by itself: a close that waited for it would not end at all.
    const closedAfterMs = Date.now() - started;
    assert.ok(closedAfterMs < 10_000, `closed after ${closedAfterMs} ms`);
    for (const call of pending) await assert.rejects(call);
  });
});

describe('mock upstream: scripting and measurement', () => {
  it('records method, path, headers and body of each request', async () => {
    await client().responses.create(
      { model: 'gpt-5', input: 'Record me', stream: false },
      { headers: { 'chatgpt-account-id': 'acct_123' } },
    );
    const [recorded] = mock.requests;
    assert.ok(recorded);
    assert.equal(recorded.method, 'POST');
    assert.equal(recorded.path, '/v1/responses');
    assert.equal(recorded.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(recorded.headers['chatgpt-account-id'], 'acct_123');
    assert.equal(recorded.body.input, 'Record me');
    assert.deepEqual(JSON.parse(recorded.rawBody), recorded.body);
    assert.ok(Math.abs(recorded.receivedAt - Date.now()) < 5000);
  });

  it('lets a request choose its behaviour by header or input marker, after anything enqueued', async () => {
    const sdk = client();
    const header = (behaviour: object) => ({ headers: { 'x-mock-behaviour': JSON.stringify(behaviour) } });

    const byHeader = await rejection(
      sdk.responses.create({ model: 'gpt-5', input: 'x' }, header({ kind: 'error', status: 503 })),
    );
    assert.equal((byHeader as APIError).status, 503);

    const byStringMarker = await rejection(
      sdk.responses.create({ model: 'gpt-5', input: 'a [[mock:{"kind":"error","status":429}]] b' }),
    );
    assert.equal((byStringMarker as APIError).status, 429);

    // Like a Codex conversation: only the latest user message counts.
    const conversation = await sdk.responses.create({
      model: 'gpt-5',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: '[[mock:{"kind":"error","status":500}]]' }] },
        { role: 'assistant', content: 'ok' },
        {
          role: 'user',
          content: [{ type: 'input_text', text: 'go [[mock:{"kind":"ok","text":"Marked."}]]' }],
        },
      ],
    });
    assert.equal(conversation.output_text, 'Marked.');

    // A marker from an earlier turn does not stick to the next turn.
    const nextTurn = await sdk.responses.create({
      model: 'gpt-5',
      input: [
        { role: 'user', content: '[[mock:{"kind":"error","status":500}]]' },
        { role: 'assistant', content: 'failed' },
        { role: 'user', content: 'try again' },
      ],
    });
    assert.equal(nextTurn.output_text, DEFAULT_TEXT);

    const headerBeatsMarker = await sdk.responses.create(
      { model: 'gpt-5', input: '[[mock:{"kind":"error","status":500}]]' },
      header({ kind: 'ok', text: 'Header.' }),
    );
    assert.equal(headerBeatsMarker.output_text, 'Header.');

    mock.enqueue({ kind: 'ok', text: 'Queued.' });
    const queueBeatsHeader = await sdk.responses.create(
      { model: 'gpt-5', input: 'x' },
      header({ kind: 'error', status: 500 }),
    );
    assert.equal(queueBeatsHeader.output_text, 'Queued.');

    const invalid = await rejection(
      sdk.responses.create({ model: 'gpt-5', input: '[[mock:{"kind":"nap"}]]' }),
    );
    assert.ok(invalid instanceof OpenAI.BadRequestError);
    assert.match(invalid.message, /Invalid mock behaviour/);
  });

  it('takes enqueued behaviours in order, then the default, and reset() restores ok', async () => {
    const sdk = client();
    mock.setDefault({ kind: 'ok', text: 'Default.' });
    mock.enqueue({ kind: 'ok', text: 'First.' }, { kind: 'ok', text: 'Second.' });
    const texts = [];
    for (let i = 0; i < 3; i++)
      texts.push((await sdk.responses.create({ model: 'gpt-5', input: 'x' })).output_text);
    assert.deepEqual(texts, ['First.', 'Second.', 'Default.']);

    mock.enqueue({ kind: 'error', status: 500 });
    mock.reset();
    assert.equal(mock.requests.length, 0);
    assert.equal((await sdk.responses.create({ model: 'gpt-5', input: 'x' })).output_text, DEFAULT_TEXT);
  });

  it('counts requests in flight from arrival until their response ends', async () => {
    mock.setDefault({ kind: 'ok', firstByteDelayMs: 150 });
    const sdk = client();
    const calls = [0, 1, 2].map(() => sdk.responses.create({ model: 'gpt-5', input: 'x' }));
    await eventually(() => mock.requests.length >= 3);
    assert.equal(mock.inFlight, 3);
    await Promise.all(calls);
    await settled();
    assert.equal(mock.maxInFlight, 3);

    mock.reset();
    assert.equal(mock.maxInFlight, 0);
  });

  it('delays the first byte and spaces frames as asked', async () => {
    mock.enqueue({ kind: 'ok', firstByteDelayMs: 120, chunkDelayMs: 30 });
    const started = Date.now();
    const stream = await client().responses.create({ model: 'gpt-5', input: 'x', stream: true });
    const headersAfter = Date.now() - started;
    const arrivals: number[] = [];
    for await (const _event of stream) arrivals.push(Date.now());

    assert.ok(headersAfter >= 100, `headers after ${headersAfter}ms`);
    const spread = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
    assert.ok(spread >= 30 * (EXPECTED_SEQUENCE.length - 1) * 0.8, `frames spread over ${spread}ms`);
  });
});
