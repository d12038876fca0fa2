import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { request } from 'undici';
import { functionUrlHarness } from '../support/function-url-harness.ts';
import { countingHandler, echoEventHandler } from '../support/streaming-handlers.ts';

const { serve, closeAll } = functionUrlHarness();
after(closeAll);

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
      event: APIGatewayProxyEventV2;
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
