import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '#shared/errors.ts';
import { presentedApiKey } from '#shared/gateway/authenticate.ts';
import { ResponseChannel } from '#shared/gateway/response-channel.ts';
import { describeBytes, MAX_BODY_VALUES, parseResponsesBody } from '#shared/gateway/responses-body.ts';
import { CachedConfigDirectory } from '#shared/store/cached-directory.ts';
import type { BillingStateReader, ConfigDirectory } from '#shared/store/config-directory.ts';

describe('presentedApiKey', () => {
  it('reads Bearer (any case) first, then x-api-key', () => {
    assert.equal(presentedApiKey({ authorization: 'bearer  sk-1 ' }), 'sk-1');
    assert.equal(presentedApiKey({ 'x-api-key': 'sk-2' }), 'sk-2');
    assert.equal(presentedApiKey({ authorization: 'Basic abc', 'x-api-key': 'sk-2' }), '');
    assert.equal(presentedApiKey({}), undefined);
  });
});

describe('parseResponsesBody', () => {
  it('reads model and stream', () => {
    const body = parseResponsesBody(Buffer.from('{"model":"m","stream":true,"x":1}'), 100);
    assert.deepEqual([body.model, body.stream, body.json.x], ['m', true, 1]);
  });

  it('refuses a model with control characters', () => {
    assert.throws(
      () => parseResponsesBody(Buffer.from('{"model":"a\\u0000b"}'), 100),
      /not a valid model name/,
    );
  });

  describe('refuses a body of more JSON values than the heap can hold, counting none inside strings', () => {
    const tooMany = (error: unknown) =>
      error instanceof GatewayError &&
      error.status === 400 &&
      error.message === 'Request body holds too many JSON values, limit is 500,000';
    /** `{"model":"m","input":[0,0,…,0]}`: `{`, the first `,`, `[` and one `,` per further zero. */
    const zeros = (values: number) => Buffer.from(`{"model":"m","input":[0${',0'.repeat(values - 3)}]}`);

    it('takes exactly the limit and refuses one more', () => {
      assert.equal(MAX_BODY_VALUES, 500_000);
      assert.equal(
        (parseResponsesBody(zeros(500_000), 8 * 1024 * 1024).json.input as unknown[]).length,
        499_998,
      );
      assert.throws(() => parseResponsesBody(zeros(500_001), 8 * 1024 * 1024), tooMany);
    });

    it('refuses 6 MB of empty objects, which would parse into more than the capped heap', () => {
      const objects = Buffer.from(`{"model":"m","input":[${'{},'.repeat(2_000_000)}{}]}`);
      assert.throws(() => parseResponsesBody(objects, 8 * 1024 * 1024), tooMany);
    });

    it('counts no brace, bracket or comma inside a string, escaped quotes and backslashes included', () => {
      // 6 MB of code-like text in 600,000 strings of one item each would be 600,000 values; in one
      // string it is a value, whatever it holds.
      const text = '{[,\\"],}'.repeat(600_000);
      const body = parseResponsesBody(
        Buffer.from(JSON.stringify({ model: 'm', input: text })),
        8 * 1024 * 1024,
      );
      assert.equal(body.json.input, text);
      // 600,000 strings each ending in a backslash: a quote after an escaped backslash closes them.
      const backslashes = Buffer.from(JSON.stringify({ model: 'm', input: Array(600_000).fill('\\') }));
      assert.throws(() => parseResponsesBody(backslashes, 8 * 1024 * 1024), tooMany);
    });
  });

  it('names the limit in readable units', () => {
    assert.equal(describeBytes(6 * 1024 * 1024), '6 MiB');
    assert.equal(describeBytes(2048), '2 KiB');
    assert.equal(describeBytes(1000), '1000 bytes');
  });
});

/** The whole body a channel's consumer reads. */
async function bodyOf(channel: ResponseChannel): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await channel.response).body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('ResponseChannel', () => {
  it('hands the response over when status and headers are fixed, and only once', async () => {
    const channel = new ResponseChannel('req_1');
    channel.openJson(201, { a: '1' });
    channel.openStream();
    const response = await channel.response;
    assert.equal(response.status, 201);
    assert.deepEqual(response.headers, {
      'content-type': 'application/json',
      a: '1',
      'x-request-id': 'req_1',
    });
    await channel.write('x');
    channel.end();
    assert.equal(await bodyOf(channel), 'x');
    assert.deepEqual(channel.answer, { status: 201 });
  });

  it('starts an SSE stream with the first ping, and pings after that only write a comment', async () => {
    const channel = new ResponseChannel('req_2');
    await channel.ping();
    await channel.ping();
    channel.end();
    const response = await channel.response;
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': 'req_2',
    });
    assert.equal(await bodyOf(channel), ':\n\n:\n\n');
  });

  it('answers a failure as OpenAI-shaped JSON with its Retry-After while nothing was sent', async () => {
    const channel = new ResponseChannel('req_3');
    const answer = await channel.fail(GatewayError.rateLimited('slow down').retryAfter(7));
    channel.end();
    const response = await channel.response;
    assert.equal(response.status, 429);
    assert.equal(response.headers['retry-after'], '7');
    assert.equal(response.headers['x-request-id'], 'req_3');
    assert.deepEqual(JSON.parse(await bodyOf(channel)), {
      error: { type: 'rate_limit_error', message: 'slow down' },
    });
    assert.deepEqual(answer, { status: 429, errorType: 'rate_limit_error', message: 'slow down' });
  });

  it('reports a failure after the stream started as one error frame of the route, status kept', async () => {
    const frames: string[] = [];
    const channel = new ResponseChannel('req_4', {
      errorFrame: (error, sequenceNumber) => {
        frames.push(`${error.message}#${sequenceNumber}`);
        return 'data: boom\n\n';
      },
    });
    channel.openStream();
    await channel.write('event: a\ndata: {"x"');
    const answer = await channel.fail(new GatewayError(502, 'upstream_error', 'cut'), {
      sequenceNumber: 5,
      midFrame: true,
    });
    channel.end();
    assert.equal(await bodyOf(channel), 'event: a\ndata: {"x"\n\ndata: boom\n\n');
    assert.deepEqual(frames, ['cut#5']);
    assert.deepEqual(answer, { status: 200, errorType: 'upstream_error', message: 'cut' });
  });

  it('writes the Responses error event by default', async () => {
    const channel = new ResponseChannel('req_5');
    channel.openStream();
    await channel.fail(new GatewayError(502, 'upstream_error', 'gone'), { sequenceNumber: 3 });
    channel.end();
    assert.equal(
      await bodyOf(channel),
      'event: error\ndata: {"type":"error","code":"upstream_error","message":"gone","param":null,"sequence_number":3}\n\n',
    );
  });

  it("passes an upstream's own refusal on as it came, under the upstream's error type", async () => {
    const channel = new ResponseChannel('req_6');
    const answer = await channel.fail(new GatewayError(400, 'invalid_request_error', 'bad'), {
      body: { text: '{"error":{"message":"bad"}}', contentType: 'application/json; charset=utf-8' },
      errorType: 'x_type',
      headers: { 'x-upstream-request-id': 'up_1' },
    });
    channel.end();
    const response = await channel.response;
    assert.equal(response.status, 400);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(response.headers['x-upstream-request-id'], 'up_1');
    assert.equal(await bodyOf(channel), '{"error":{"message":"bad"}}');
    assert.deepEqual(answer, { status: 400, errorType: 'x_type', message: 'bad' });
  });

  it('never writes an error frame into a JSON answer already under way, and notes the failure', async () => {
    const channel = new ResponseChannel('req_11');
    channel.openJson(200);
    await channel.write('{"partial":');
    const answer = await channel.fail(new GatewayError(502, 'upstream_error', 'cut'));
    channel.end();
    assert.equal(await bodyOf(channel), '{"partial":');
    assert.deepEqual(answer, { status: 200, errorType: 'upstream_error', message: 'cut' });
  });

  it('notes 499 for a client that left, and still gives the edge a status', async () => {
    const clientGone = new AbortController();
    const channel = new ResponseChannel('req_7', { clientGone: clientGone.signal });
    clientGone.abort();
    const answer = await channel.fail(GatewayError.internal());
    channel.end();
    assert.equal((await channel.response).status, 500);
    assert.deepEqual(answer, { status: 499, errorType: 'client_closed', message: 'client went away' });
  });

  it('waits for the reader when it falls behind (backpressure)', async () => {
    const channel = new ResponseChannel('req_8');
    channel.openStream();
    let written = 0;
    const writer = (async () => {
      for (let index = 0; index < 10; index++) {
        await channel.write(Buffer.alloc(32 * 1024));
        written++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(written < 10, 'the writer is held back while nobody reads');
    channel.body.resume();
    await writer;
    assert.equal(written, 10);
  });

  it('aborts its signal when the consumer goes away, not when it ends normally', async () => {
    const gone = new ResponseChannel('req_9');
    gone.body.destroy();
    assert.equal(gone.signal.aborted, true);
    const ended = new ResponseChannel('req_10');
    ended.openStream();
    ended.end();
    ended.body.resume();
    await new Promise((resolve) => ended.body.on('close', resolve));
    assert.equal(ended.signal.aborted, false);
  });
});

describe('CachedConfigDirectory', () => {
  it('serves repeated reads from memory until the TTL passes, misses included', async () => {
    let reads = 0;
    const inner = {
      findApiKey: async () => {
        reads++;
        return undefined;
      },
    } as unknown as ConfigDirectory & BillingStateReader;
    let now = 0;
    const cached = new CachedConfigDirectory(inner, 1000, () => now);
    await Promise.all([cached.findApiKey('h'), cached.findApiKey('h')]);
    await cached.findApiKey('h');
    assert.equal(reads, 1);
    now = 1001;
    await cached.findApiKey('h');
    assert.equal(reads, 2);
  });

  it('does not remember a failed read', async () => {
    let calls = 0;
    const inner = {
      getUser: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return { id: 'u' };
      },
    } as unknown as ConfigDirectory & BillingStateReader;
    const cached = new CachedConfigDirectory(inner, 60_000);
    await assert.rejects(cached.getUser('u'));
    assert.deepEqual(await cached.getUser('u'), { id: 'u' });
  });

  it('checks limits on what this request loaded when its cache was cold, and reads strongly otherwise', async () => {
    // Prepare
    const loads: string[] = [];
    const inner = {
      findApiKey: async () => {
        loads.push('key');
        return { id: 'k', usedNano: 1 };
      },
      getUser: async () => {
        loads.push('user');
        return { id: 'u', balanceNano: 5 };
      },
      readBillingState: async () => {
        loads.push('fresh');
        return { key: { id: 'k', usedNano: 2 }, user: { id: 'u', balanceNano: 4 }, subscription: undefined };
      },
    } as unknown as ConfigDirectory & BillingStateReader;
    let now = 100;
    const cached = new CachedConfigDirectory(inner, 5_000, () => now);
    await cached.findApiKey('h');
    await cached.getUser('u');

    // Act: a request that arrived before those loads, one that arrived after, then the cache again.
    const loadedByIt = await cached.readBillingState('h', 'u', undefined, 100);
    now = 2_000;
    const later = await cached.readBillingState('h', 'u', undefined, 1_500);
    const cachedKey = await cached.findApiKey('h');

    // Assess
    assert.equal(loadedByIt.key?.usedNano, 1);
    assert.equal(later.key?.usedNano, 2);
    assert.equal(later.user?.balanceNano, 4);
    assert.deepEqual(loads, ['key', 'user', 'fresh']);
    assert.equal(cachedKey?.usedNano, 2, 'the fresh read refreshed the cache');
  });
});
