/**
 * The local servers at the HTTP protocol level, below the gateway: every refusal the parser or
 * a timeout decides carries `x-request-id` and an OpenAI-shaped body; slow headers get 408; a
 * body that stalls loses its connection within the request timeout, not Node's 300 s; and a 413
 * decided from Content-Length reaches a client that is still uploading (no reset).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { functionUrlHarness } from '../support/function-url-harness.ts';
import { middyStaticHandler } from '../support/streaming-handlers.ts';

const { serve, closeAll } = functionUrlHarness();
after(closeAll);

/** Sends raw bytes and returns everything the server wrote until it closed, and when it closed. */
function rawExchange(
  url: string,
  bytes: string,
  timeoutMs = 10_000,
): Promise<{ text: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let text = '';
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(text)}`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ text, closedAfterMs: performance.now() - started });
    });
    socket.write(bytes);
  });
}

function parse(text: string): { status: number; headers: Record<string, string>; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('local servers at the protocol level', { timeout: 60_000 }, () => {
  it('answers oversized headers with 431 and broken framing with 400, each with an x-request-id', async () => {
    const { url } = await serve(middyStaticHandler(200, '{}'));
    const big = parse(
      (await rawExchange(url, `GET / HTTP/1.1\r\nHost: x\r\nx-pad: ${'a'.repeat(20_000)}\r\n\r\n`)).text,
    );
    assert.equal(big.status, 431);
    assert.match(big.headers['x-request-id'] ?? '', UUID);
    assert.deepEqual(big.body, {
      error: { type: 'invalid_request_error', message: 'Request headers too large' },
    });

    const broken = parse(
      (await rawExchange(url, 'GET / HTTP/1.1\r\nHost: x\r\ncontent-length: nope\r\n\r\n')).text,
    );
    assert.equal(broken.status, 400);
    assert.match(broken.headers['x-request-id'] ?? '', UUID);
    assert.deepEqual(broken.body, {
      error: { type: 'invalid_request_error', message: 'Malformed HTTP request' },
    });
  });

  it('answers headers that never finish with 408, within the headers timeout', async () => {
    const { url } = await serve(middyStaticHandler(200, '{}'), {
      headersTimeoutMs: 500,
      requestTimeoutMs: 2_000,
    });
    const { text, closedAfterMs } = await rawExchange(url, 'POST /v1/responses HTTP/1.1\r\nHost: x\r\n');
    const answer = parse(text);
    assert.equal(answer.status, 408);
    assert.match(answer.headers['x-request-id'] ?? '', UUID);
    assert.equal(answer.headers.connection, 'close');
    assert.ok(closedAfterMs < 3_000, `closed after ${closedAfterMs} ms`);
  });

  it('drops a body that stalls with 408 once the request timeout passes', async () => {
    const { url } = await serve(middyStaticHandler(200, '{}'), {
      headersTimeoutMs: 500,
      requestTimeoutMs: 1_500,
    });
    const { text, closedAfterMs } = await rawExchange(
      url,
      'POST /v1/responses HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":',
    );
    assert.equal(parse(text).status, 408);
    assert.ok(closedAfterMs >= 1_400 && closedAfterMs < 4_000, `closed after ${closedAfterMs} ms`);
  });

  it('lets a plain fetch that is still uploading read the 413 decided from Content-Length', async () => {
    const { url } = await serve(middyStaticHandler(200, '{}'), { maxRequestBytes: 1024 * 1024 });
    const body = Buffer.alloc(8 * 1024 * 1024, 'a');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await fetch(`${url}/v1/responses`, { method: 'POST', body });
      assert.equal(response.status, 413);
      assert.match(response.headers.get('x-request-id') ?? '', UUID);
      assert.deepEqual(await response.json(), {
        error: {
          type: 'invalid_request_error',
          message: 'Request body too large for a Function URL (limit 1 MiB)',
        },
      });
    }
  });

  it('lets a chunked upload that passes the limit read its 413 too', async () => {
    const { url } = await serve(middyStaticHandler(200, '{}'), { maxRequestBytes: 1024 * 1024 });
    const chunks = (async function* () {
      for (let index = 0; index < 64; index += 1) yield Buffer.alloc(64 * 1024, 'b');
    })();
    const response = await fetch(`${url}/v1/responses`, {
      method: 'POST',
      body: chunks as never,
      duplex: 'half',
    } as RequestInit);
    assert.equal(response.status, 413);
  });
});
