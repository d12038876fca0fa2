import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { installAwsLambdaShim, isStreamifiedHandler } from '#local/awslambda-shim.ts';
import { startFunctionUrlServer } from '#local/function-url-server.ts';
import { functionUrlHarness } from '../support/function-url-harness.ts';
import {
  bulkProducerHandler,
  emptyBodyHandler,
  middyLateBodyHandler,
  middyStaticHandler,
  middyTickerHandler,
  neverEndingHandler,
  noPreludeHandler,
  throwsAfterWriteHandler,
  throwsBeforeWriteHandler,
  twoChunksHandler,
} from '../support/streaming-handlers.ts';

const { serve, closeAll } = functionUrlHarness();
after(closeAll);

/** Reads a fetch body chunk by chunk, noting when each chunk arrived. */
async function readChunks(response: Response, since: number): Promise<{ at: number; text: string }[]> {
  const chunks: { at: number; text: string }[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of response.body ?? []) {
    chunks.push({ at: performance.now() - since, text: decoder.decode(chunk) });
  }
  return chunks;
}

describe('awslambda shim', () => {
  it('installs once and marks streamified handlers', () => {
    // Prepare / Act
    const installedAgain = installAwsLambdaShim();
    const marked = awslambda.streamifyResponse(async () => {});

    // Assess
    assert.equal(installedAgain, false);
    assert.equal(isStreamifiedHandler(marked), true);
    assert.equal(
      isStreamifiedHandler(async () => {}),
      false,
    );
  });

  it('adds the streaming API to an awslambda global another library created first', () => {
    // Prepare
    const scope = globalThis as { awslambda?: unknown };
    const installed = scope.awslambda;
    const invokeStore = { name: 'InvokeStore' };
    scope.awslambda = { InvokeStore: invokeStore };

    try {
      // Act
      const added = installAwsLambdaShim();

      // Assess
      const merged = scope.awslambda as Record<string, unknown>;
      assert.equal(added, true);
      assert.equal(merged.InvokeStore, invokeStore);
      assert.equal(typeof merged.streamifyResponse, 'function');
      assert.equal(typeof (merged.HttpResponseStream as { from?: unknown }).from, 'function');
    } finally {
      scope.awslambda = installed;
    }
  });

  it('refuses to serve a handler that is not streamified', async () => {
    await assert.rejects(startFunctionUrlServer({ handler: async () => {}, port: 0 }), TypeError);
  });
});

describe('function URL server: streaming', () => {
  it('fixes status, headers and cookies from the prelude and sends each chunk as it is written', async () => {
    // Prepare
    const { url } = await serve(twoChunksHandler(250));
    const startedAt = performance.now();

    // Act
    const response = await fetch(url);
    const headersAt = performance.now() - startedAt;
    const chunks = await readChunks(response, startedAt);

    // Assess
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    assert.equal(response.headers.get('x-test'), 'prelude');
    assert.deepEqual(response.headers.getSetCookie(), ['session=abc; Path=/', 'theme=dark']);
    assert.deepEqual(
      chunks.map((chunk) => chunk.text),
      ['first', 'second'],
    );
    const [first, second] = chunks;
    // Relative to each other, so a busy machine delays everything without failing the test.
    assert.ok(first && second, 'two chunks');
    assert.ok(second.at - first.at >= 200, `chunks arrived at ${first.at} and ${second.at} ms`);
    assert.ok(second.at - headersAt >= 200, `headers at ${headersAt} ms, second chunk at ${second.at} ms`);
  });

  it('sends status and headers only when the first write happens', async () => {
    const { url } = await serve(twoChunksHandler(0, 250));
    const startedAt = performance.now();

    const response = await fetch(url);
    const headersAt = performance.now() - startedAt;
    await response.text();

    assert.equal(response.status, 201);
    assert.ok(headersAt >= 200, `headers arrived after ${headersAt} ms, before the first write`);
  });

  it('tells its arrival watch when the first byte goes out, or when the invocation ends without one', async () => {
    const marks: { arrivedAt: number; sentAt?: number }[] = [];
    const onArrival = () => {
      const mark: { arrivedAt: number; sentAt?: number } = { arrivedAt: performance.now() };
      marks.push(mark);
      return () => {
        mark.sentAt ??= performance.now();
      };
    };
    const late = await serve(twoChunksHandler(0, 250), { onArrival });
    const early = await serve(twoChunksHandler(600, 0), { onArrival });
    const failing = await serve(throwsBeforeWriteHandler, { onArrival });

    await (await fetch(late.url)).text();
    await (await fetch(early.url)).text();
    await (await fetch(failing.url)).text();

    const [lateMark, earlyMark, failingMark] = marks.map(
      (mark) => (mark.sentAt ?? Number.NaN) - mark.arrivedAt,
    );
    assert.ok((lateMark ?? 0) >= 200, `late first byte told after ${lateMark} ms`);
    assert.ok((earlyMark ?? Number.POSITIVE_INFINITY) < 400, `early first byte told after ${earlyMark} ms`);
    assert.ok(Number.isFinite(failingMark), 'a failed invocation is told too');
  });

  it('ends an empty body', async () => {
    const { url } = await serve(emptyBodyHandler);

    const response = await fetch(url);

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(await response.text(), '');
  });

  it('answers 200 with octet-stream when the handler wrote no prelude', async () => {
    const { url } = await serve(noPreludeHandler());

    const response = await fetch(url);

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    assert.equal(await response.text(), 'raw bytes');
  });

  it('keeps the content type a prelude-less handler declared', async () => {
    const { url } = await serve(noPreludeHandler('text/plain'));

    const response = await fetch(url);

    assert.equal(response.headers.get('content-type'), 'text/plain');
    assert.equal(await response.text(), 'raw bytes');
  });

  it("serves a middy streamifyResponse handler's status, headers and body", async () => {
    const { url } = await serve(middyStaticHandler(429, '{"error":{"type":"rate_limit_error"}}'));

    const response = await fetch(url, { method: 'POST', body: '{}' });

    assert.equal(response.status, 429);
    assert.equal(response.headers.get('x-handler'), 'middy');
    assert.deepEqual(await response.json(), { error: { type: 'rate_limit_error' } });
  });

  it("sends middy's status and headers before a late first body byte", async () => {
    const { url } = await serve(middyLateBodyHandler(300));
    const startedAt = performance.now();

    const response = await fetch(url);
    const headersAt = performance.now() - startedAt;
    const chunks = await readChunks(response, startedAt);

    assert.equal(response.status, 202);
    assert.deepEqual(
      chunks.map((chunk) => chunk.text),
      ['late'],
    );
    const bodyAt = chunks[0]?.at ?? 0;
    assert.ok(bodyAt - headersAt >= 250, `headers at ${headersAt} ms, body at ${bodyAt} ms`);
  });

  it('stops producing while the client does not read (backpressure)', async () => {
    const { handler, observer } = bulkProducerHandler(256 * 1024 * 1024);
    const { url } = await serve(handler);
    const controller = new AbortController();

    const response = await fetch(url, { signal: controller.signal });
    await sleep(500);
    const writtenWhileStalled = observer.written;
    controller.abort();
    const stopError = await observer.stopped;

    assert.equal(response.status, 200);
    assert.ok(writtenWhileStalled < 32 * 1024 * 1024, `handler wrote ${writtenWhileStalled} bytes unread`);
    assert.equal(observer.finished, false);
    assert.ok(stopError instanceof Error, 'the disconnect reached the handler as a stream error');
  });
});

describe('function URL server: client disconnect', () => {
  it("destroys the response stream, so middy destroys the handler's body", async () => {
    // Prepare
    const { handler, observer } = middyTickerHandler(20);
    const { url, logger } = await serve(handler);
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    const reader = response.body?.getReader();
    await reader?.read();

    // Act
    controller.abort();
    const destroyedWith = await Promise.race([observer.destroyed, sleep(10_000, 'not destroyed' as const)]);

    // Assess
    assert.ok(destroyedWith instanceof Error, `body was ${String(destroyedWith)}`);
    const ticksAtDestroy = observer.ticks;
    await sleep(100);
    assert.equal(observer.ticks, ticksAtDestroy);
    assert.equal(
      logger.entries.some((entry) => entry.level === 'error'),
      false,
    );
  });
});

describe('function URL server: failures', () => {
  it('answers 502 with an OpenAI-shaped error when the handler throws before writing', async () => {
    const { url, logger } = await serve(throwsBeforeWriteHandler);

    const response = await fetch(url, { headers: { authorization: 'Bearer sk-very-secret' } });

    assert.equal(response.status, 502);
    assert.deepEqual(await response.json(), {
      error: { type: 'api_error', message: 'Internal server error' },
    });
    const errors = logger.entries.filter((entry) => entry.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(JSON.stringify(errors), /handler failed before writing/);
    assert.doesNotMatch(JSON.stringify(logger.entries), /sk-very-secret/);
  });

  it('ends the response when the handler throws after writing', async () => {
    const { url, logger } = await serve(throwsAfterWriteHandler);

    const response = await fetch(url);

    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'partial');
    assert.match(JSON.stringify(logger.entries), /handler failed after writing/);
  });

  it('cuts the response when the function timeout passes', async () => {
    const { url, logger } = await serve(neverEndingHandler('started'), { functionTimeoutMs: 300 });

    const response = await fetch(url);
    const body = await response.text();

    assert.equal(response.status, 200);
    assert.equal(body, 'started');
    assert.ok(logger.entries.some((entry) => entry.level === 'error' && /timed out/.test(entry.message)));
  });

  it('answers 502 when the function times out before writing', async () => {
    const { url } = await serve(neverEndingHandler(), { functionTimeoutMs: 200 });

    const response = await fetch(url);

    assert.equal(response.status, 502);
    assert.equal(((await response.json()) as { error: { type: string } }).error.type, 'api_error');
  });
});
