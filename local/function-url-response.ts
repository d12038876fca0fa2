/**
 * The client side of one local Function URL invocation: takes the bytes a handler writes to its
 * response stream, reads the HTTP prelude when `HttpResponseStream.from` announced one, fixes
 * status and headers at that moment and then passes every chunk straight to the client, waiting
 * for `drain` when the socket is full. Failures before the head is fixed become the 502 a
 * Function URL answers; failures after it end the response.
 *
 * @example
 * ```ts
 * const sink = new FunctionUrlResponse(res, logger, requestId);
 * const stream = new LambdaResponseStream(sink);
 * sink.attach(stream);
 * ```
 */

import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError } from '#shared/errors.ts';
import {
  HTTP_INTEGRATION_CONTENT_TYPE,
  type LambdaResponseStream,
  PRELUDE_DELIMITER_LENGTH,
  type ResponseStreamSink,
} from './awslambda-shim.ts';

interface SinkLogger {
  error(message: string, attributes?: Record<string, unknown>): void;
}

const DELIMITER = Buffer.alloc(PRELUDE_DELIMITER_LENGTH);
// A prelude is a small JSON object; past this the handler is streaming a body it forgot to
// introduce, and waiting for a delimiter would buffer that body without bound.
const MAX_PRELUDE_BYTES = 64 * 1024;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
// Framing belongs to this server; a handler's value would contradict the chunked stream.
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export class FunctionUrlResponse implements ResponseStreamSink {
  private stream: LambdaResponseStream | undefined;
  private headFixed = false;
  private over = false;
  private gone = false;
  private prelude: Buffer = Buffer.alloc(0);
  private pendingWrite: ((error?: Error | null) => void) | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly logger: SinkLogger,
    private readonly requestId: string,
    /** Told at the handler's first write (the prelude or the body): the first byte is on its way. */
    private onFirstWrite?: () => void,
  ) {}

  /** Connects the stream whose declared content type decides whether a prelude comes first. */
  attach(stream: LambdaResponseStream): void {
    this.stream = stream;
  }

  get isClientGone(): boolean {
    return this.gone;
  }

  /** The client closed the connection early: fail the handler's stream so its pipeline stops. */
  clientGone(): void {
    if (this.gone || this.over) return;
    this.gone = true;
    this.over = true;
    const error = new Error('client disconnected before the response ended');
    error.name = 'ClientDisconnectedError';
    this.releasePendingWrite(error);
    this.stream?.destroy(error);
  }

  write(chunk: Buffer, callback: (error?: Error | null) => void): void {
    this.onFirstWrite?.();
    this.onFirstWrite = undefined;
    if (this.over) {
      callback(new Error(this.gone ? 'client disconnected' : 'the response already ended'));
    } else if (this.headFixed) {
      this.writeBody(chunk, callback);
    } else if (this.stream?.contentType !== HTTP_INTEGRATION_CONTENT_TYPE) {
      if (this.fixDefaultHead(callback)) this.writeBody(chunk, callback);
    } else {
      this.readPrelude(chunk, callback);
    }
  }

  final(callback: (error?: Error | null) => void): void {
    if (this.over) {
      callback();
    } else if (!this.headFixed && this.stream?.contentType === HTTP_INTEGRATION_CONTENT_TYPE) {
      // The runtime only sends the prelude from write(); `end(body)` alone never does.
      this.malformed('the stream ended before its prelude and the 8 NUL delimiter', () => callback());
    } else if (this.headFixed || this.fixDefaultHead(callback)) {
      this.over = true;
      this.response.end(() => callback());
    }
  }

  destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // After a normal end the stream auto-destroys without an error: nothing to do then.
    if (!this.over) this.fail(error ?? new Error('the response stream was destroyed before it ended'));
    // Every invocation's stream is destroyed once it ends; an Error (and its stack) only for a write still waiting.
    if (this.pendingWrite) this.releasePendingWrite(error ?? new Error('the response stream was destroyed'));
    callback(error);
  }

  /**
   * Ends the invocation's response after a failure: the Function URL's 502 when nothing was sent,
   * else the end of what was sent. Destroys the handler's stream so lingering writes stop.
   */
  fail(error: Error): void {
    if (this.over) return;
    this.over = true;
    this.releasePendingWrite(error);
    if (!this.response.headersSent) {
      sendRefusal(this.response, new GatewayError(502, 'api_error', 'Internal server error'));
    } else {
      this.response.end();
    }
    if (this.stream && !this.stream.destroyed) this.stream.destroy(error);
  }

  private malformed(reason: string, callback: (error?: Error | null) => void): void {
    const error = new Error(`malformed streaming response: ${reason}`);
    this.logger.error('Function URL could not read the HTTP prelude', { requestId: this.requestId, reason });
    this.fail(error);
    callback(error);
  }

  private readPrelude(chunk: Buffer, callback: (error?: Error | null) => void): void {
    this.prelude = Buffer.concat([this.prelude, chunk]);
    const at = this.prelude.indexOf(DELIMITER);
    if (at === -1) {
      if (this.prelude.length > MAX_PRELUDE_BYTES) {
        this.malformed('no 8 NUL delimiter within the first 64 KiB', callback);
      } else {
        callback();
      }
      return;
    }
    const head = parsePrelude(this.prelude.subarray(0, at));
    const rest = this.prelude.subarray(at + PRELUDE_DELIMITER_LENGTH);
    this.prelude = Buffer.alloc(0);
    if (typeof head === 'string') this.malformed(head, callback);
    else if (this.fixHead(head.status, head.headers, callback)) this.writeBody(rest, callback);
  }

  /** Lambda's answer to a stream without a prelude: 200 and the declared (or octet-stream) type. */
  private fixDefaultHead(callback: (error?: Error | null) => void): boolean {
    const contentType = this.stream?.contentType ?? DEFAULT_CONTENT_TYPE;
    return this.fixHead(200, { 'content-type': contentType }, callback);
  }

  private fixHead(
    status: number,
    headers: OutgoingHttpHeaders,
    callback: (error?: Error | null) => void,
  ): boolean {
    try {
      this.response.writeHead(status, headers);
      this.headFixed = true;
      // Status and headers leave now, even when the first body bytes come much later.
      this.response.flushHeaders();
      return true;
    } catch (error) {
      this.malformed(error instanceof Error ? error.message : String(error), callback);
      return false;
    }
  }

  private writeBody(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (chunk.length === 0 || this.response.write(chunk)) {
      callback();
      return;
    }
    this.pendingWrite = callback;
    this.response.once('drain', () => this.releasePendingWrite(null));
  }

  private releasePendingWrite(error: Error | null): void {
    const callback = this.pendingWrite;
    this.pendingWrite = undefined;
    callback?.(error);
  }
}

/** Status and headers from the prelude JSON, or the reason it cannot be used. */
function parsePrelude(bytes: Buffer): { status: number; headers: OutgoingHttpHeaders } | string {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'the prelude is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'the prelude is not an object';
  const prelude = value as { statusCode?: unknown; headers?: unknown; cookies?: unknown };
  const status = prelude.statusCode ?? 200;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return 'statusCode is not an HTTP status';
  }
  const headers: OutgoingHttpHeaders = {};
  if (typeof prelude.headers === 'object' && prelude.headers !== null) {
    for (const [name, headerValue] of Object.entries(prelude.headers)) {
      const lower = name.toLowerCase();
      if (!FRAMING_HEADERS.has(lower)) headers[lower] = String(headerValue);
    }
  }
  if (Array.isArray(prelude.cookies) && prelude.cookies.length > 0) {
    headers['set-cookie'] = prelude.cookies.map(String);
  }
  return { status, headers };
}

/** The server's own refusals (413, 502), OpenAI-shaped like every answer of the gateway. */
export function sendRefusal(response: ServerResponse, error: GatewayError): void {
  const payload = JSON.stringify(error.toBody());
  response.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-request-id': randomUUID(),
    ...error.responseHeaders(),
  });
  response.end(payload);
}
