import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { presentedApiKey } from '#shared/gateway/authenticate.ts';
import { ResponseChannel } from '#shared/gateway/response-channel.ts';
import { describeBytes, parseResponsesBody } from '#shared/gateway/responses-body.ts';
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

  it('names the limit in readable units', () => {
    assert.equal(describeBytes(6 * 1024 * 1024), '6 MiB');
    assert.equal(describeBytes(2048), '2 KiB');
    assert.equal(describeBytes(1000), '1000 bytes');
  });
});

describe('ResponseChannel', () => {
  it('hands the response over when status and headers are fixed, and only once', async () => {
    const channel = new ResponseChannel();
    channel.open(200, { a: '1' });
    channel.open(500, {});
    const response = await channel.response;
    assert.equal(response.status, 200);
    await channel.write('x');
    channel.end();
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'x');
  });

  it('waits for the reader when it falls behind (backpressure)', async () => {
    const channel = new ResponseChannel();
    channel.open(200, {});
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
    const gone = new ResponseChannel();
    gone.body.destroy();
    assert.equal(gone.signal.aborted, true);
    const ended = new ResponseChannel();
    ended.open(200, {});
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
