/**
 * A Node HTTP server that runs a streamified Lambda handler the way a Function URL in
 * RESPONSE_STREAM mode does: payload v2 event in, status and headers fixed by the prelude at the
 * first write, every later chunk sent to the client as it is written (chunked, no Nagle, with
 * backpressure), a 6 MiB request limit, a 502 when the handler fails before writing, and a cut
 * at the function timeout.
 *
 * One deliberate difference: Lambda never tells the function that the client left, this server
 * does, by destroying the response stream with an error. middy's pipeline then destroys the
 * handler's body, which is how the gateway aborts its upstream and frees its slots locally.
 *
 * @example
 * ```ts
 * installAwsLambdaShim();
 * const { handler } = await import('../functions/gateway/handler.ts');
 * const server = await startFunctionUrlServer({ handler, port: 0 });
 * await fetch(`${server.url}/v1/responses`, { method: 'POST', body: '{}' });
 * await server.close();
 * ```
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { GatewayError } from '#shared/errors.ts';
import { FUNCTION_URL_PAYLOAD_LIMIT_BYTES } from '#shared/settings.ts';
import { isStreamifiedHandler, LambdaResponseStream, streamingHighWaterMark } from './awslambda-shim.ts';
import { readCapped, refuseTooLarge } from './function-url-body.ts';
import { buildFunctionUrlEvent, createLambdaContext } from './function-url-event.ts';
import { FunctionUrlResponse, sendRefusal } from './function-url-response.ts';
import { listen } from './listen.ts';

/** The few log calls the server makes; Powertools' Logger fits. Headers are never logged. */
export interface FunctionUrlLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface FunctionUrlServerOptions {
  /** A handler wrapped with `awslambda.streamifyResponse` (middy's streamifyResponse mode does it). */
  handler: (...args: never[]) => unknown;
  port?: number;
  host?: string;
  /** Lambda's synchronous invoke payload limit. */
  maxRequestBytes?: number;
  /** The function's configured timeout; the response is cut when it passes. */
  functionTimeoutMs?: number;
  functionName?: string;
  /** The URL id placed in `requestContext.apiId` / `domainPrefix`. */
  apiId?: string;
  logger?: FunctionUrlLogger;
  /** Time allowed for the headers, and for the whole request (see `listen.ts`). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * Told when an invocation arrives; the function it returns is called once its first byte went
   * out or it ended without one (first-byte-gate.ts holds the recorder's deliveries meanwhile).
   */
  onArrival?: () => () => void;
}

export interface RunningFunctionUrlServer {
  url: string;
  port: number;
  /** Stops listening and drops open connections (which destroys their response streams). */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

/** Writes structured lines to stderr when no logger is given. */
export const consoleLogger: FunctionUrlLogger = {
  info: (message, attributes) => console.error(JSON.stringify({ level: 'INFO', message, ...attributes })),
  warn: (message, attributes) => console.error(JSON.stringify({ level: 'WARN', message, ...attributes })),
  error: (message, attributes) => console.error(JSON.stringify({ level: 'ERROR', message, ...attributes })),
};

/** {@link FunctionUrlServerOptions} with every default applied. */
interface ResolvedServerOptions {
  handler: Parameters<typeof invoke>[0];
  maxRequestBytes: number;
  functionTimeoutMs: number;
  functionName: string;
  apiId: string;
  logger: FunctionUrlLogger;
  onArrival: (() => () => void) | undefined;
}

export async function startFunctionUrlServer(
  options: FunctionUrlServerOptions,
): Promise<RunningFunctionUrlServer> {
  const { handler } = options;
  if (!isStreamifiedHandler(handler)) {
    throw new TypeError('handler is not wrapped with awslambda.streamifyResponse (install the shim first)');
  }
  const resolved: ResolvedServerOptions = {
    handler,
    maxRequestBytes: options.maxRequestBytes ?? FUNCTION_URL_PAYLOAD_LIMIT_BYTES,
    functionTimeoutMs: options.functionTimeoutMs ?? 900_000,
    functionName: options.functionName ?? 'local-function',
    apiId: options.apiId ?? 'local',
    logger: options.logger ?? consoleLogger,
    onArrival: options.onArrival,
  };
  const server = createServer((request, response) => {
    // Told once the first byte went out, or once the request ended without one.
    const firstByteSent = resolved.onArrival?.();
    serve(request, response, resolved, firstByteSent)
      .catch((error: unknown) => {
        resolved.logger.error('function URL emulation failed', { error: describe(error) });
        if (!response.headersSent)
          sendRefusal(response, new GatewayError(502, 'api_error', 'Internal server error'));
        else response.end();
      })
      .finally(firstByteSent);
  });
  return listen(server, options);
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  resolved: ResolvedServerOptions,
  firstByteSent: (() => void) | undefined,
): Promise<void> {
  request.socket.setNoDelay(true);
  const requestId = randomUUID();
  const event = await readEvent(request, response, resolved, requestId);
  if (!event) return;
  const clientGone = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) clientGone.abort(new Error('client disconnected'));
  });
  // Not part of Lambda's context: Lambda cannot see a client leave, this server can.
  const context = Object.assign(
    createLambdaContext({
      requestId,
      functionName: resolved.functionName,
      timeoutMs: resolved.functionTimeoutMs,
    }),
    { clientGone: clientGone.signal },
  );
  await invoke(resolved.handler, event, context, response, resolved, firstByteSent);
}

/**
 * The request's event, or undefined once the request was refused or abandoned. Apart from
 * {@link serve} so that the body's bytes, which the event holds as text, are not kept by its
 * frame for the whole invocation: Lambda's runtime hands the function only the event.
 */
async function readEvent(
  request: IncomingMessage,
  response: ServerResponse,
  resolved: ResolvedServerOptions,
  requestId: string,
): Promise<APIGatewayProxyEventV2 | undefined> {
  const limitMessage = `Request body too large for a Function URL (limit ${formatBytes(resolved.maxRequestBytes)})`;
  const body = await readCapped(request, resolved.maxRequestBytes);
  if (body === 'aborted') return undefined;
  if (body === 'too-large') {
    await refuseTooLarge(request, response, limitMessage);
    return undefined;
  }
  const event = buildFunctionUrlEvent({ request, body, requestId, apiId: resolved.apiId });
  // Lambda limits the invoke payload (the event), which base64 makes larger than the body.
  if (Buffer.byteLength(JSON.stringify(event)) > resolved.maxRequestBytes) {
    await refuseTooLarge(request, response, limitMessage);
    return undefined;
  }
  return event;
}

/** Runs one invocation; resolves when the response is over (ended, cut, or the client left). */
async function invoke(
  handler: (event: unknown, stream: LambdaResponseStream, context: unknown) => unknown,
  event: unknown,
  context: ReturnType<typeof createLambdaContext>,
  response: ServerResponse,
  resolved: ResolvedServerOptions,
  firstByteSent?: () => void,
): Promise<void> {
  const requestId = context.awsRequestId;
  const sink = new FunctionUrlResponse(response, resolved.logger, requestId, firstByteSent);
  const highWaterMark = streamingHighWaterMark(handler);
  const stream = new LambdaResponseStream(sink, highWaterMark === undefined ? {} : { highWaterMark });
  sink.attach(stream);
  // The runtime listens for errors on its request stream too; without this a write after a
  // client disconnect would be an unhandled 'error' event and take the whole server down.
  stream.on('error', () => {});
  response.on('close', () => {
    if (!response.writableFinished) sink.clientGone();
  });
  const streamDone = new Promise<void>((resolve) => stream.once('close', resolve));

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    // Unref'd: a hung invocation must not keep a closed server's process alive for 15 minutes.
    timer = setTimeout(() => resolve('timeout'), context.getRemainingTimeInMillis()).unref();
  });
  const run = (async () => {
    const result = handler(event, stream, context);
    if (!isPromiseLike(result)) throw new Error('Streaming does not support non-async handlers.');
    const value = await result;
    if (value !== undefined) resolved.logger.warn('Streaming handlers ignore return values.', { requestId });
    // As in Lambda, the invocation lasts until the handler ended its response stream.
    await streamDone;
  })();
  try {
    const outcome = await Promise.race([run, timedOut]);
    if (outcome === 'timeout') {
      const seconds = (resolved.functionTimeoutMs / 1000).toFixed(2);
      resolved.logger.error(`Task timed out after ${seconds} seconds`, { requestId });
      sink.fail(new Error('Task timed out'));
      run.catch(() => {});
    }
  } catch (error) {
    if (sink.isClientGone) {
      resolved.logger.info('invocation ended after the client disconnected', {
        requestId,
        error: describe(error),
      });
    } else {
      resolved.logger.error('handler failed', { requestId, error: describe(error) });
    }
    sink.fail(error instanceof Error ? error : new Error(String(error)));
  } finally {
    clearTimeout(timer);
  }
}

function formatBytes(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** An error's name and message (and stack) for the log; never request data. */
export function describe(error: unknown): Record<string, unknown> | string {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return String(error);
}
