/**
 * The `awslambda` global of the Node.js Lambda runtime, for running streaming handlers outside
 * Lambda. It mirrors aws-lambda-nodejs-runtime-interface-client: `streamifyResponse` only marks
 * the handler, and `HttpResponseStream.from` sets the integration content type and arranges for
 * the JSON prelude and its 8 NUL delimiter to go out right before the first `write()`.
 *
 * middy (and any module that wraps its handler at import) reads the global when the handler is
 * created, so install the shim before importing the handler module.
 *
 * @example
 * ```ts
 * installAwsLambdaShim();
 * const { handler } = await import('../functions/gateway/handler.ts');
 * isStreamifiedHandler(handler); // true
 * ```
 */
import { Writable } from 'node:stream';

/** The content type that tells the Function URL a JSON prelude precedes the body. */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
/** Number of NUL bytes between the prelude and the body. */
export const PRELUDE_DELIMITER_LENGTH = 8;

// The same registry symbol the runtime uses, so handlers marked by either are recognised.
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGH_WATER_MARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

/** A handler as `awslambda.streamifyResponse` receives and returns it. */
export type StreamifiedHandler = (
  event: unknown,
  responseStream: LambdaResponseStream,
  context: unknown,
) => unknown;

type WriteHook = (write: (chunk: string | Uint8Array) => void) => void;

/** What a {@link LambdaResponseStream} hands its bytes to (the local Function URL server). */
export interface ResponseStreamSink {
  write(chunk: Buffer, callback: (error?: Error | null) => void): void;
  final(callback: (error?: Error | null) => void): void;
  destroy(error: Error | null, callback: (error?: Error | null) => void): void;
}

/**
 * The `responseStream` a streaming handler receives: a Writable with `setContentType`, whose
 * first `write()` runs the hook `HttpResponseStream.from` installed. As in the runtime, `end(chunk)`
 * does not go through `write()`, so a handler that only calls `end(body)` after `from` sends no
 * prelude; the server then reports the malformed response instead of hiding the bug.
 */
export class LambdaResponseStream extends Writable {
  /** Set by `HttpResponseStream.from`; runs once, right before the first written chunk. */
  _onBeforeFirstWrite: WriteHook | undefined;
  private declaredContentType: string | undefined;
  private writeCalled = false;

  constructor(sink: ResponseStreamSink, options: { highWaterMark?: number } = {}) {
    super({
      ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
      write: (chunk: Buffer, _encoding, callback) => sink.write(chunk, callback),
      final: (callback) => sink.final(callback),
      destroy: (error, callback) => sink.destroy(error, callback),
    });
  }

  /** The content type the handler (or `HttpResponseStream.from`) declared, if any. */
  get contentType(): string | undefined {
    return this.declaredContentType;
  }

  setContentType(contentType: string): void {
    if (this.writeCalled) throw new Error('Cannot set content-type, too late.');
    this.declaredContentType = contentType;
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const data =
      typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk ?? null);
    if (!this.writeCalled) {
      this.writeCalled = true;
      this._onBeforeFirstWrite?.((prefix) => super.write(prefix));
    }
    // Writable's overloads accept (chunk, cb) and (chunk, encoding, cb); forward them untouched.
    return (super.write as (...args: unknown[]) => boolean)(data, encoding, callback);
  }
}

/**
 * `awslambda.HttpResponseStream`: attaches the HTTP prelude to a response stream. The runtime's
 * is a class with only this static method; callers only ever use `from`.
 */
export const HttpResponseStream = {
  from(stream: LambdaResponseStream, prelude: Record<string, unknown>): LambdaResponseStream {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    // JSON never contains a raw NUL byte, which is what makes the delimiter unambiguous.
    const metadata = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
    };
    return stream;
  },
};

function streamifyResponse<T extends object>(handler: T, options?: { highWaterMark?: number }): T {
  const marked = handler as Record<symbol, unknown>;
  marked[HANDLER_STREAMING] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number') marked[HANDLER_HIGH_WATER_MARK] = options.highWaterMark;
  return handler;
}

/**
 * Adds `streamifyResponse` and `HttpResponseStream` to `globalThis.awslambda`, keeping what is
 * already there: `@aws/lambda-invoke-store` (pulled in by the AWS SDK and Powertools) creates the
 * global with only its `InvokeStore`, and the runtime merges into it the same way. Idempotent;
 * returns true when this call added the streaming API.
 */
export function installAwsLambdaShim(): boolean {
  const scope = globalThis as { awslambda?: Record<string, unknown> };
  const existing = scope.awslambda;
  if (typeof existing?.streamifyResponse === 'function') return false;
  if (existing) Object.assign(existing, { streamifyResponse, HttpResponseStream });
  else scope.awslambda = { streamifyResponse, HttpResponseStream };
  return true;
}

/** True when the handler was wrapped with `awslambda.streamifyResponse`. */
export function isStreamifiedHandler(handler: unknown): handler is StreamifiedHandler {
  return (
    typeof handler === 'function' &&
    (handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING] === STREAM_RESPONSE
  );
}

/** The Writable high-water mark the handler asked for with `streamifyResponse(fn, { highWaterMark })`. */
export function streamingHighWaterMark(handler: StreamifiedHandler): number | undefined {
  const value = (handler as unknown as Record<symbol, unknown>)[HANDLER_HIGH_WATER_MARK];
  return typeof value === 'number' ? value : undefined;
}
