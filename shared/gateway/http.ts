/**
 * The gateway core speaks in these two shapes and nothing else: a request with lower-cased
 * headers and a raw body, and a response whose status and headers are fixed before its body
 * streams. The Lambda adapter (`functions/gateway`) and the local Function URL server turn their
 * own worlds into these, which keeps the core free of Lambda.
 */
import type { Readable } from 'node:stream';

export interface GatewayRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Header names lower-cased; repeated headers joined with `,` as Function URLs do. */
  headers: Record<string, string | undefined>;
  /** The body's bytes; a model route empties it once the body is parsed and checked (router.ts). */
  body: Buffer;
  /** The id of this request, returned as `x-request-id` and carried by every record of it. */
  requestId: string;
  /** Epoch ms of arrival. */
  receivedAt: number;
  /**
   * Epoch ms at which Lambda ends the invocation (its own deadline, no margin taken). The core keeps
   * `DEADLINE_MARGIN_MS` back from it to end the stream and do the bookkeeping.
   */
  deadlineAt: number;
  sourceIp?: string;
  /**
   * Aborts when the client leaves before the response is over. Only the local server can tell
   * (Lambda never sees a disconnect); there it also covers the time before status and headers
   * leave, when the response stream is not yet the gateway's to watch.
   */
  clientGone?: AbortSignal;
}

export interface GatewayResponse {
  status: number;
  headers: Record<string, string>;
  /** Ends when the request's bookkeeping (slot release, usage event) is done. */
  body: Readable;
}
