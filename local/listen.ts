/**
 * Starting a local HTTP server on a host and port (0: any free one) and stopping it for good:
 * `close` also drops idle keep-alive and in-flight connections, which `server.close()` alone
 * would wait for. The admin server and the Function URL server both start this way.
 *
 * @example
 * ```ts
 * const { url, close } = await listen(createServer(handle), { port: 0 });
 * await fetch(`${url}/health`);
 * await close();
 * ```
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ListeningServer {
  /** `http://<host>:<port>`, with an IPv6 host in brackets. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Requests Node's HTTP parser refuses (headers past its 16 KiB limit, broken framing, bad
 * characters) get an OpenAI-shaped error like every other refusal, not a bare status line.
 */
function answerMalformedRequest(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
  const message = tooLarge ? 'Request headers too large' : 'Malformed HTTP request';
  const body = JSON.stringify({ error: { type: 'invalid_request_error', message } });
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function listen(
  server: Server,
  options: { port?: number; host?: string },
): Promise<ListeningServer> {
  server.on('clientError', answerMalformedRequest);
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
