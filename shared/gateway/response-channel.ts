/**
 * The one streaming helper: a response whose status and headers are decided late (after a wait
 * with pings, or when the upstream answers), written chunk by chunk with backpressure, and
 * always ended. The edge receives the {@link GatewayResponse} once {@link ResponseChannel.open}
 * fixed status and headers; the request logic keeps writing into its body.
 *
 * When the consumer goes away (the local server sees a client disconnect and destroys the body)
 * {@link ResponseChannel.signal} aborts, so the upstream request and any wait stop at once.
 * Lambda never reports a disconnect; there the upstream timeouts and the deadline bound the work.
 */
import { Readable } from 'node:stream';
import type { GatewayResponse } from './http.ts';

export class ResponseChannel {
  readonly body: Readable;
  readonly response: Promise<GatewayResponse>;
  private readonly aborter = new AbortController();
  private resolveResponse!: (response: GatewayResponse) => void;
  private resumeWriter: (() => void) | undefined;
  private opened = false;
  private ended = false;

  constructor() {
    this.response = new Promise((resolve) => {
      this.resolveResponse = resolve;
    });
    this.body = new Readable({
      highWaterMark: 64 * 1024,
      read: () => this.resume(),
      destroy: (error, callback) => {
        // A destroy before our own end means the consumer left early.
        if (!this.ended) this.aborter.abort(error ?? new Error('client closed the connection'));
        this.resume();
        callback(error);
      },
    });
  }

  /** Aborts when the client is gone. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /** True once status and headers have left; later errors must be written into the body. */
  get isOpen(): boolean {
    return this.opened;
  }

  get isClosed(): boolean {
    return this.body.destroyed;
  }

  /** Fixes status and headers and hands the response to the edge. Only the first call counts. */
  open(status: number, headers: Record<string, string>): void {
    if (this.opened) return;
    this.opened = true;
    this.resolveResponse({ status, headers, body: this.body });
  }

  /** Queues a chunk; resolves when the consumer can take more (backpressure). */
  async write(chunk: Buffer | string): Promise<void> {
    if (this.ended || this.body.destroyed) return;
    if (!this.body.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      await new Promise<void>((resolve) => {
        this.resumeWriter = resolve;
      });
    }
  }

  /** Ends the body; safe to call more than once and after the consumer left. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.body.destroyed) this.body.push(null);
  }

  private resume(): void {
    const resume = this.resumeWriter;
    this.resumeWriter = undefined;
    resume?.();
  }
}
