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

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { GatewayError } from '#shared/errors.ts';

export interface ListeningServer {
  /** `http://<host>:<port>`, with an IPv6 host in brackets. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * How long a client may take to send its headers, and its whole request. Node's defaults (60 s
 * and 300 s) would let a client that stalls mid-body hold a connection for five minutes; a 6 MiB
 * body at 100 KB/s still arrives within the minute. Timeouts are checked every second.
 */
export const HEADERS_TIMEOUT_MS = 20_000;
export const REQUEST_TIMEOUT_MS = 60_000;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/**
 * How long an idle keep-alive connection stays open, instead of Node's 5 s. Node drops a
 * connection once it has been idle that long (plus a second) by its own clock, even when the
 * client's next request already waits unread: a process too busy to read for 6 s (the local
 * stack serving many streams on a loaded machine) reset the connection under that request, and
 * the client saw ECONNRESET. Clients take the `Keep-Alive: timeout` it announces and leave first.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface ListenOptions {
  port?: number;
  host?: string;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const PARSER_REFUSALS: Record<string, readonly [string, string]> = {
  HPE_HEADER_OVERFLOW: ['431 Request Header Fields Too Large', 'Request headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: ['408 Request Timeout', 'The request was not received in time'],
};

/**
 * Requests Node's HTTP parser refuses (headers past its 16 KiB limit, broken framing, bad
 * characters) or that arrive too slowly get an OpenAI-shaped error with an `x-request-id`, like
 * every other answer, not a bare status line.
 */
function answerMalformedRequest(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return;
  const [status, message] = PARSER_REFUSALS[error.code ?? ''] ?? [
    '400 Bad Request',
    'Malformed HTTP request',
  ];
  const body = JSON.stringify(GatewayError.invalidRequest(message).toBody());
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export async function listen(server: Server, options: ListenOptions): Promise<ListeningServer> {
  server.on('clientError', answerMalformedRequest);
  server.headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  server.requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // How often the two timeouts are enforced; Node reads it when the server starts listening and
  // only types it as a createServer option.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    TIMEOUT_CHECK_INTERVAL_MS;
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
