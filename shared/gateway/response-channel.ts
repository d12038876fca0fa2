/**
 * Where the answer of a gateway request is decided: every status, every header set and every
 * error a client reads leaves through one of this channel's verbs, and the channel notes what it
 * sent ({@link ResponseChannel.answer}), which is the status the request's outcome reports. The
 * router makes one channel per request and observes that answer once, at the request's end.
 *
 * It is also the one streaming helper: status and headers are decided late (after a wait with
 * pings, or when the upstream answers), then the body is written chunk by chunk with
 * backpressure, and always ended. The edge receives the {@link GatewayResponse} once status and
 * headers are fixed; the request logic keeps writing into its body.
 *
 * When the consumer goes away (the local server sees a client disconnect and destroys the body)
 * {@link ResponseChannel.signal} aborts, so the upstream request and any wait stop at once.
 * Lambda never reports a disconnect; there the upstream timeouts and the deadline bound the work.
 *
 * @example
 * ```ts
 * const channel = new ResponseChannel(request.requestId, { clientGone: request.clientGone });
 * await channel.fail(GatewayError.rateLimited('slow down')); // JSON 429, or an SSE error frame once streaming
 * channel.answer; // { status: 429, errorType: 'rate_limit_error', message: 'slow down' }
 * ```
 */
import { Readable } from 'node:stream';
import { type GatewayError, sseErrorFrame } from '../errors.ts';
import type { GatewayResponse } from './http.ts';

/** The frame reporting an error inside a started stream, in the shape of the client's API. */
export type ErrorFrame = (error: GatewayError, sequenceNumber?: number) => string;

/** What the client was told: the status it got and, when it was told of a failure, which. */
export interface Answer {
  /** The status sent; 499 when the client left before it could be told of a failure. */
  status: number;
  errorType?: string;
  message?: string;
}

export interface ChannelOptions {
  /** Defaults to the Responses API's `error` event. */
  errorFrame?: ErrorFrame;
  /** The request's own disconnect signal (see `GatewayRequest.clientGone`). */
  clientGone?: AbortSignal;
}

/** Where in the stream a failure is reported, and what may stand in for the gateway's own JSON. */
export interface FailureOptions {
  /** The sequence number the error frame carries: the next one of the stream's own events. */
  sequenceNumber?: number;
  /** The stream broke inside a frame the client got part of: the error frame is set apart first. */
  midFrame?: boolean;
  /** The JSON sent instead of the error's own while nothing was: an upstream's refusal as it came. */
  body?: { text: string; contentType: string | undefined };
  /** The error type the outcome reports when it is not the error's own (an upstream refusal's). */
  errorType?: string;
  /** Headers of the JSON answer besides the error's own (`x-upstream-request-id`). */
  headers?: Record<string, string>;
}

/** An SSE comment: keeps a waiting client's connection (and its proxies) from timing out. */
const SSE_PING = ':\n\n';

export class ResponseChannel {
  readonly body: Readable;
  readonly response: Promise<GatewayResponse>;
  readonly #requestId: string;
  readonly #errorFrame: ErrorFrame;
  readonly #clientGone: AbortSignal | undefined;
  readonly #aborter = new AbortController();
  #resolveResponse!: (response: GatewayResponse) => void;
  #resumeWriter: (() => void) | undefined;
  #answer: Answer | undefined;
  #opened = false;
  #streaming = false;
  #ended = false;

  constructor(requestId: string, options: ChannelOptions = {}) {
    this.#requestId = requestId;
    this.#errorFrame = options.errorFrame ?? sseErrorFrame;
    this.#clientGone = options.clientGone;
    this.response = new Promise((resolve) => {
      this.#resolveResponse = resolve;
    });
    this.body = new Readable({
      highWaterMark: 64 * 1024,
      read: () => this.#resume(),
      destroy: (error, callback) => {
        // A destroy before our own end means the consumer left early.
        if (!this.#ended) this.#aborter.abort(error ?? new Error('client closed the connection'));
        this.#resume();
        callback(error);
      },
    });
  }

  /** Aborts when the client is gone. */
  get signal(): AbortSignal {
    return this.#aborter.signal;
  }

  /** True once status and headers have left; later errors are written into the body. */
  get isOpen(): boolean {
    return this.#opened;
  }

  get isClosed(): boolean {
    return this.body.destroyed;
  }

  /** What the client was told so far; undefined until something was sent. */
  get answer(): Answer | undefined {
    return this.#answer && { ...this.#answer };
  }

  /** Starts an SSE stream (status 200). Later opens, and opens after another answer, do nothing. */
  openStream(headers: Record<string, string> = {}): void {
    if (!this.#opened) this.#streaming = true;
    this.#open(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // nginx and other buffering proxies in front of the gateway must pass frames on as they come.
      'x-accel-buffering': 'no',
      ...headers,
    });
  }

  /** Tells a waiting streaming client it is still waited for; the first ping starts the stream. */
  async ping(): Promise<void> {
    this.openStream();
    await this.write(SSE_PING);
  }

  /** Starts a JSON answer with `status`; its chunks follow through {@link write}. */
  openJson(status: number, headers: Record<string, string> = {}, contentType?: string): void {
    this.#open(status, { 'content-type': contentType ?? 'application/json', ...headers });
  }

  /** A whole JSON answer: `payload` serialised. */
  async sendJson(status: number, payload: unknown, headers: Record<string, string> = {}): Promise<void> {
    this.openJson(status, headers);
    await this.write(JSON.stringify(payload));
  }

  /**
   * Tells the client of `error` whatever has been sent: the error's JSON (with its `Retry-After`
   * and other headers) while nothing was, one error frame in the client's API's shape once a
   * stream started (its status stays 200, as a stream's must). A client that left gets no frame
   * and is noted 499; a JSON answer already under way cannot be amended, so there the failure is
   * only noted. Returns the answer as it now stands.
   */
  async fail(error: GatewayError, options: FailureOptions = {}): Promise<Answer> {
    const gone = this.isClosed || this.#clientGone?.aborted === true;
    if (this.#opened) {
      if (!gone && this.#streaming) {
        const frame = this.#errorFrame(error, options.sequenceNumber);
        await this.write(options.midFrame ? `\n\n${frame}` : frame);
      }
    } else {
      // Sent even to a client that left: the edge waits for a status whoever reads it.
      const headers = { ...error.responseHeaders(), ...options.headers };
      this.openJson(error.status, headers, options.body?.contentType);
      await this.write(options.body ? options.body.text : JSON.stringify(error.toBody()));
    }
    this.#answer = gone
      ? { status: 499, errorType: 'client_closed', message: 'client went away' }
      : {
          status: this.#answer?.status ?? error.status,
          errorType: options.errorType ?? error.type,
          message: error.message,
        };
    return { ...this.#answer };
  }

  /** Queues a chunk; resolves when the consumer can take more (backpressure). */
  async write(chunk: Buffer | string): Promise<void> {
    if (this.#ended || this.body.destroyed) return;
    if (!this.body.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      await new Promise<void>((resolve) => {
        this.#resumeWriter = resolve;
      });
    }
  }

  /** Ends the body; safe to call more than once and after the consumer left. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.body.destroyed) this.body.push(null);
  }

  /** Fixes status and headers and hands the response to the edge. Only the first call counts. */
  #open(status: number, headers: Record<string, string>): void {
    if (this.#opened) return;
    this.#opened = true;
    this.#answer = { status };
    this.#resolveResponse({
      status,
      headers: { ...headers, 'x-request-id': this.#requestId },
      body: this.body,
    });
  }

  #resume(): void {
    const resume = this.#resumeWriter;
    this.#resumeWriter = undefined;
    resume?.();
  }
}
