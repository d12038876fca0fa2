/**
 * The upstream client's hold on a request body: `sendUpstream` takes the target's body, so an
 * attempt that keeps its target for a whole stream does not keep a large prompt's upstream copy
 * with it, and the upstream still receives every byte, directly and through an account's proxy.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { readBodyText, sendUpstream } from '#shared/gateway/upstream-client.ts';
import type { UpstreamTarget } from '#shared/gateway/upstream-request.ts';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts';

let upstream: Server;
let upstreamUrl: string;
let proxy: ConnectProxy;
/** Every body the upstream received, whole. */
const received: Buffer[] = [];

before(async () => {
  upstream = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(Buffer.concat(chunks));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1/responses`;
  proxy = await startConnectProxy();
});
after(async () => {
  await proxy.close();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

function targetOf(body: Buffer, proxyUrl?: string): UpstreamTarget {
  return {
    url: upstreamUrl,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body,
    modelSent: 'gpt-5',
    upstreamStreams: false,
    ...(proxyUrl ? { proxyUrl } : {}),
  };
}

describe('sendUpstream', { timeout: 30_000 }, () => {
  for (const via of ['directly', 'through a proxy'] as const) {
    it(`takes the target's body as it sends it ${via}, and the upstream gets every byte`, async () => {
      // 3 MiB of a multi-byte text: more than a socket takes in one write.
      const body = Buffer.from(JSON.stringify({ model: 'gpt-5', input: 'é'.repeat(1536 * 1024) }));
      const expected = Buffer.from(body);
      const target = targetOf(body, via === 'directly' ? undefined : proxy.url);
      const before = received.length;
      const tunnels = proxy.tunnels.length;

      const sending = sendUpstream(target, {
        signal: AbortSignal.timeout(20_000),
        firstByteTimeoutMs: 10_000,
        idleTimeoutMs: 10_000,
      });
      // Let go at once: the attempt keeps `target` for the whole answer.
      assert.equal(target.body.length, 0);
      const answer = await sending;

      assert.equal(answer.status, 200);
      assert.equal(await readBodyText(answer.body), '{"ok":true}');
      assert.equal(received.length, before + 1);
      assert.equal(proxy.tunnels.length, tunnels + (via === 'directly' ? 0 : 1));
      assert.equal(received[before]?.equals(expected), true);
      assert.equal(received[before]?.length, 3 * 1024 * 1024 + '{"model":"gpt-5","input":""}'.length);
    });
  }
});
