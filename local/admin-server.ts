/**
 * The admin API on this machine: a Node HTTP server on its own port that runs the admin Lambda
 * handler (the very one deployed) on a Function URL payload-v2 event. On AWS the URL's AWS_IAM
 * auth type authenticates callers; here a bearer token does: `Authorization: Bearer <token>`,
 * compared in constant time, with the token from `QG_ADMIN_TOKEN` or generated at start (and
 * printed by `npm start`). Everything else is refused with 401 before the handler runs, except
 * the console's static files (`/`, `/console/…`), which hold no data: the console signs in with
 * the same token and calls the API from the browser.
 *
 * @example
 * ```ts
 * const admin = await startAdminServer({ client, tables, port: 0 });
 * await fetch(`${admin.url}/admin/v1/users`, { headers: { authorization: `Bearer ${admin.token}` } });
 * await admin.close();
 * ```
 */

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createAdminApiDeps } from '#shared/admin-api/create-deps.ts';
import { ADMIN_BODY_LIMIT_BYTES } from '#shared/admin-api/router.ts';
import type { AdminApiDeps } from '#shared/admin-api/routes.ts';
import { GatewayError } from '#shared/errors.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { sdkRequester } from '#shared/store/dynamo/sdk-requester.ts';
import type { TableNames } from '#shared/tables/definitions.ts';
import { createAdminHandler } from '../functions/admin/create-handler.ts';
import { serveConsole } from './console-assets.ts';
import { buildFunctionUrlEvent, createLambdaContext } from './function-url-event.ts';
import { type ListeningServer, listen } from './listen.ts';

export interface AdminServerOptions {
  client: SdkDocumentClient;
  tables: TableNames;
  /** The bearer token; defaults to QG_ADMIN_TOKEN, else a random one (see `generatedToken`). */
  token?: string;
  port?: number;
  host?: string;
  logger: AdminApiDeps['logger'];
  /** The clock the routes read "today", "this month" and "the last 24 hours" from (default `Date.now`). */
  now?: () => number;
}

export interface RunningAdminServer extends ListeningServer {
  token: string;
  /** True when no token was configured and this one was made up at start (print it). */
  generatedToken: boolean;
  close(): Promise<void>;
}

/** A token shorter than this would be guessable; a configured one is refused. */
const MIN_TOKEN_LENGTH = 16;
const FUNCTION_TIMEOUT_MS = 30_000;

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), digest(expected)) && presented !== '';
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}

function refuse(response: ServerResponse, error: GatewayError): void {
  const requestId = randomUUID();
  send(
    response,
    error.status,
    { 'content-type': 'application/json', 'x-request-id': requestId, ...error.responseHeaders() },
    JSON.stringify(error.toBody()),
  );
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
  const configured = options.token ?? process.env.QG_ADMIN_TOKEN;
  if (configured !== undefined && configured.length < MIN_TOKEN_LENGTH) {
    throw new Error(`QG_ADMIN_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  const token = configured ?? randomBytes(32).toString('base64url');
  const deps = createAdminApiDeps({
    client: options.client,
    requester: sdkRequester(options.client),
    tables: options.tables,
    logger: options.logger,
    ...(options.now ? { now: options.now } : {}),
  });
  const handler = createAdminHandler(() => deps);

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (await serveConsole(request, response)) return;
    if (!bearerMatches(request.headers.authorization, token)) {
      request.resume();
      return refuse(
        response,
        GatewayError.unauthorized(
          'A valid admin token is required (Authorization: Bearer <token>).',
        ).withHeaders({
          'www-authenticate': 'Bearer',
        }),
      );
    }
    const body = await readBody(request, ADMIN_BODY_LIMIT_BYTES);
    if (body === 'too-large') {
      return refuse(
        response,
        GatewayError.invalidRequest(`The request body is larger than ${ADMIN_BODY_LIMIT_BYTES} bytes.`, 413),
      );
    }
    const requestId = randomUUID();
    const event = buildFunctionUrlEvent({ request, body, requestId, apiId: 'local-admin' });
    // Never hand the token to the handler: on AWS it would see a SigV4 header, not ours.
    delete event.headers.authorization;
    (event.requestContext as { authorizer?: unknown }).authorizer = { iam: { userArn: 'local-admin' } };
    const context = createLambdaContext({
      requestId,
      functionName: 'local-admin',
      timeoutMs: FUNCTION_TIMEOUT_MS,
    });
    const result = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
    const headers = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    send(response, result.statusCode ?? 200, headers, result.body ?? '');
  }

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      options.logger.error('admin server failed', { error: error instanceof Error ? error.name : 'unknown' });
      if (!response.headersSent) refuse(response, GatewayError.internal());
      else response.end();
    });
  });
  return { ...(await listen(server, options)), token, generatedToken: configured === undefined };
}
