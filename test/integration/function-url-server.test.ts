import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { installAwsLambdaShim, isStreamifiedHandler } from '#local/awslambda-shim.ts';
import {
  type FunctionUrlLogger,
  type FunctionUrlServerOptions,
  type RunningFunctionUrlServer,
  startFunctionUrlServer,
} from '#local/function-url-server.ts';
import {
  bulkProducerHandler,
  countingHandler,
  echoEventHandler,
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

interface LogEntry {
  level: string;
  message: string;
  attributes?: Record<string, unknown>;
}

function recordingLogger(): FunctionUrlLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    entries.push({ level, message, ...(attributes ? { attributes } : {}) });
  };
  return { entries, info: record('info'), warn: record('warn'), error: record('error') };
}

const running: RunningFunctionUrlServer[] = [];

async function serve(
  handler: FunctionUrlServerOptions['handler'],
  options: Partial<FunctionUrlServerOptions> = {},
): Promise<{ url: string; logger: ReturnType<typeof recordingLogger> }> {
  const logger = recordingLogger();
  const server = await startFunctionUrlServer({ handler, port: 0, logger, ...options });
  running.push(server);
  return { url: server.url, logger };
}

/** Reads a fetch body chunk by chunk, noting when each chunk arrived. */
async function readChunks(response: Response, since: number): Promise<{ at: number; text: string }[]> {
  const chunks: { at: number; text: string }[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of response.body ?? []) {
    chunks.push({ at: performance.now() - since, text: decoder.decode(chunk) });
  }
  return chunks;
}

after(async () => {
  await Promise.all(running.map((server) => server.close()));
});

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
    assert.ok(headersAt < 150, `headers took ${headersAt} ms`);
    assert.ok(
      first && second && second.at - first.at >= 200,
      `chunks arrived at ${first?.at} and ${second?.at}`,
    );
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
    const body = await response.text();

    assert.equal(response.status, 202);
    assert.equal(body, 'late');
    assert.ok(headersAt < 150, `headers took ${headersAt} ms`);
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
    const destroyedWith = await Promise.race([observer.destroyed, sleep(2000, 'not destroyed' as const)]);

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

describe('function URL server: request limit', () => {
  const counter = { calls: 0 };
  let url = '';
  before(async () => {
    ({ url } = await serve(countingHandler(counter)));
  });
  const tooLarge = {
    error: {
      type: 'invalid_request_error',
      message: 'Request body too large for a Function URL (limit 6 MiB)',
    },
  };

  it('answers 413 without invoking when the declared length passes 6 MiB', async () => {
    const response = await fetch(url, { method: 'POST', body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x61) });

    assert.equal(response.status, 413);
    assert.deepEqual(await response.json(), tooLarge);
    assert.equal(counter.calls, 0);
  });

  it('answers 413 without invoking when a chunked body grows past 6 MiB', async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 7; i += 1) controller.enqueue(chunk);
        controller.close();
      },
    });

    const response = await fetch(url, { method: 'POST', body, duplex: 'half' } as RequestInit);

    assert.equal(response.status, 413);
    assert.deepEqual(await response.json(), tooLarge);
    assert.equal(counter.calls, 0);
  });

  it('answers 413 when the base64-encoded event passes the limit though the body does not', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(5 * 1024 * 1024, 0x01),
    });

    assert.equal(response.status, 413);
    assert.equal(counter.calls, 0);
  });

  it('invokes the handler for a body within the limit', async () => {
    const response = await fetch(url, { method: 'POST', body: 'small' });

    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'ok');
    assert.equal(counter.calls, 1);
  });
});

describe('function URL server: payload v2 event', () => {
  let url = '';
  before(async () => {
    ({ url } = await serve(echoEventHandler, { functionTimeoutMs: 60_000, functionName: 'gateway' }));
  });

  async function echo(path: string, init: Parameters<typeof request>[1]) {
    const response = await request(`${url}${path}`, init);
    return (await response.body.json()) as {
      event: import('aws-lambda').APIGatewayProxyEventV2;
      context: { awsRequestId: string; functionName: string; remainingMs: number };
    };
  }

  it('builds the event a Function URL sends', async () => {
    // Prepare / Act
    const { event, context } = await echo('/v1/responses?a=1&a=2&b=x%20y', {
      method: 'POST',
      headers: [
        'Content-Type',
        'application/json',
        'X-Multi',
        'one',
        'X-Multi',
        'two',
        'Cookie',
        'c1=v1; c2=v2',
        'User-Agent',
        'codex_cli_rs/0.17',
      ],
      body: '{"model":"gpt-5"}',
    });

    // Assess
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, '$default');
    assert.equal(event.rawPath, '/v1/responses');
    assert.equal(event.rawQueryString, 'a=1&a=2&b=x%20y');
    assert.deepEqual(event.queryStringParameters, { a: '1,2', b: 'x y' });
    assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
    assert.equal(event.headers['x-multi'], 'one,two');
    assert.equal(event.headers['content-type'], 'application/json');
    assert.equal(event.headers.cookie, undefined);
    assert.equal(event.body, '{"model":"gpt-5"}');
    assert.equal(event.isBase64Encoded, false);
    const { requestContext } = event;
    assert.equal(requestContext.accountId, 'anonymous');
    assert.equal(requestContext.stage, '$default');
    assert.equal(requestContext.routeKey, '$default');
    assert.deepEqual(requestContext.http, {
      method: 'POST',
      path: '/v1/responses',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'codex_cli_rs/0.17',
    });
    assert.match(requestContext.requestId, /^[0-9a-f-]{36}$/);
    assert.match(requestContext.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    assert.ok(Math.abs(requestContext.timeEpoch - Date.now()) < 5000);
    assert.equal(context.awsRequestId, requestContext.requestId);
    assert.equal(context.functionName, 'gateway');
    assert.ok(
      context.remainingMs <= 60_000 && context.remainingMs > 55_000,
      `remaining ${context.remainingMs}`,
    );
  });

  it('base64-encodes a binary body', async () => {
    const bytes = Buffer.from([0, 1, 2, 254, 255]);

    const { event } = await echo('/upload', {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });

    assert.equal(event.isBase64Encoded, true);
    assert.equal(event.body, bytes.toString('base64'));
    assert.equal(event.queryStringParameters, undefined);
    assert.equal(event.cookies, undefined);
  });

  it('omits the body of a request without one', async () => {
    const { event } = await echo('/', { method: 'GET' });

    assert.equal(event.body, undefined);
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.requestContext.http.method, 'GET');
  });
});
