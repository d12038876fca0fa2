/**
 * `quotagate console` for a deployed stack: the console's files and its API calls on
 * 127.0.0.1, each call forwarded to the stack's admin Function URL by `forward` (which signs it
 * with the admin's own AWS credentials). The browser proves it is the admin's with a token made
 * up at start and printed to the terminal, sent as `Authorization: Bearer` like the local admin
 * server's; without it nothing is forwarded, so another local process or a web page that found
 * the port cannot use the admin's credentials.
 *
 * @example
 * ```ts
 * const proxy = await startConsoleProxy({ port: 0, forward: async (request) => signedFetch(request) });
 * console.log(`${proxy.url}/  token ${proxy.token}`);
 * ```
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { ADMIN_BODY_LIMIT_BYTES } from '#shared/admin-api/router.ts';
import { GatewayError } from '#shared/errors.ts';
import { bearerMatches } from './admin-server.ts';
import { serveConsole } from './console-assets.ts';
import { type ListeningServer, listen } from './listen.ts';

/** One API call as the browser made it: path with query, and the headers the API reads. */
export interface ForwardedRequest {
  method: string;
  /** `/admin/v1/…?…` */
  pathAndQuery: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface ForwardedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ConsoleProxyOptions {
  port?: number;
  forward: (request: ForwardedRequest) => Promise<ForwardedResponse>;
  /** Defaults to a random one. */
  token?: string;
}

export interface RunningConsoleProxy extends ListeningServer {
  token: string;
}

/** Headers of the browser's call that the admin API reads; nothing else is forwarded. */
const FORWARDED_HEADERS = ['content-type', 'if-match', 'idempotency-key', 'accept'];
/** Headers of the API's answer the console reads. */
const RETURNED_HEADERS = ['content-type', 'etag', 'x-request-id', 'allow', 'retry-after'];

function answer(response: ServerResponse, status: number, headers: Record<string, string>, body: string) {
  response.writeHead(status, {
    ...headers,
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

function refusal(error: GatewayError) {
  return {
    status: error.status,
    headers: { 'content-type': 'application/json', 'x-request-id': randomUUID(), ...error.responseHeaders() },
    body: JSON.stringify(error.toBody()),
  };
}

async function readText(request: IncomingMessage): Promise<string | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= ADMIN_BODY_LIMIT_BYTES) chunks.push(chunk);
  }
  return size > ADMIN_BODY_LIMIT_BYTES ? 'too-large' : Buffer.concat(chunks).toString('utf8');
}

export async function startConsoleProxy(options: ConsoleProxyOptions): Promise<RunningConsoleProxy> {
  const token = options.token ?? randomBytes(24).toString('base64url');

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (await serveConsole(request, response)) return;
    const url = new URL(request.url ?? '/', 'http://console');
    let result: ForwardedResponse;
    if (!url.pathname.startsWith('/admin/v1/') && url.pathname !== '/admin/v1') {
      request.resume();
      result = refusal(GatewayError.invalidRequest(`Invalid URL (${request.method} ${url.pathname})`, 404));
    } else if (!bearerMatches(request.headers.authorization, token)) {
      request.resume();
      result = refusal(
        GatewayError.unauthorized('The console token printed by `quotagate console` is required.'),
      );
    } else {
      const body = await readText(request);
      if (body === 'too-large') {
        result = refusal(
          GatewayError.invalidRequest(
            `The request body is larger than ${ADMIN_BODY_LIMIT_BYTES} bytes.`,
            413,
          ),
        );
      } else {
        const headers: Record<string, string> = {};
        for (const name of FORWARDED_HEADERS) {
          const value = request.headers[name];
          if (typeof value === 'string') headers[name] = value;
        }
        result = await options.forward({
          method: request.method ?? 'GET',
          pathAndQuery: `${url.pathname}${url.search}`,
          headers,
          body: body === '' ? undefined : body,
        });
      }
    }
    const headers: Record<string, string> = {};
    for (const name of RETURNED_HEADERS) if (result.headers[name]) headers[name] = result.headers[name];
    answer(response, result.status, headers, result.body);
  }

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      const failure = refusal(
        new GatewayError(
          502,
          'api_error',
          `The admin API could not be reached: ${error instanceof Error ? error.message : 'unknown error'}`,
        ),
      );
      if (!response.headersSent) answer(response, failure.status, failure.headers, failure.body);
      else response.end();
    });
  });
  return { ...(await listen(server, { port: options.port ?? 0, host: '127.0.0.1' })), token };
}
