/**
 * The API a client speaks (Responses or Chat Completions), as the one request flow needs it:
 * what to send an account and how to relay its stream or its JSON back. Keys, slots, waits,
 * stickiness, failover and billing do not depend on it, so `serveResponses` runs unchanged for
 * both; only these few steps differ. How an error reads once a stream started is the route's
 * (`router.ts` gives it to the request's `ResponseChannel`), since it is known before the body is.
 *
 * @example
 * ```ts
 * await serveResponses({ request, caller, body, channel, deps, route, api: chatCompletionsApi(body.json) });
 * ```
 */
import type { Account } from '../domain/types.ts';
import type { TokenUsage } from '../events/usage-event.ts';
import { type JsonAnswer, readJsonBody } from './json-body.ts';
import type { ObservedOutput } from './observed-usage.ts';
import { tokenUsageOf } from './responses-stream-events.ts';
import { type ModelRewrite, SseRelay } from './sse-relay.ts';
import { buildUpstreamRequest, type UpstreamRequestInput, type UpstreamTarget } from './upstream-request.ts';

/** What the flow reads from any upstream stream while it passes it on. */
export interface StreamRelay {
  /** Feeds upstream bytes; returns what to send a streaming client now (possibly empty). */
  push(chunk: Buffer): Buffer | string;
  /** What is left once the upstream ended. */
  flush(): Buffer | string;
  /** Usage as observed so far. */
  readonly usage: TokenUsage | undefined;
  /** Set once the stream's own end arrived; a stream without one was cut short. */
  readonly terminalEvent: string | undefined;
  readonly firstDeltaAt: number | undefined;
  /** The upstream ended the stream with its own error event, which the client already got. */
  readonly upstreamError?: boolean;
  /** The stream ended inside a frame part of which was already forwarded. */
  readonly midFrame?: boolean;
  /** The sequence number an event the gateway adds must carry. */
  readonly nextSequenceNumber?: number;
  /** The output text that passed, for billing a stream cut short. */
  readonly observed?: ObservedOutput;
  /** The whole answer as one JSON body, for a client that asked for JSON from an upstream that only streams. */
  finalBody(): { status: number; body: unknown } | undefined;
}

export interface ClientApi {
  /** The upstream request for this account; throws a 400 GatewayError for what it cannot serve. */
  target(input: UpstreamRequestInput): UpstreamTarget;
  /** `clientStreams` false: the final answer is kept for a JSON client. */
  streamRelay(
    account: Account,
    rewrite: ModelRewrite | undefined,
    now: () => number,
    clientStreams: boolean,
  ): StreamRelay;
  /** Reads a (possibly large) upstream JSON body in one pass. */
  jsonAnswer(body: AsyncIterable<unknown>, rewrite: ModelRewrite | undefined): Promise<JsonAnswer>;
}

/** A Responses relay seen through {@link StreamRelay}: its final response is the JSON answer. */
export class ResponsesStreamRelay extends SseRelay implements StreamRelay {
  finalBody(): { status: number; body: unknown } | undefined {
    return this.finalResponse ? { status: 200, body: this.finalResponse } : undefined;
  }
}

/** A JSON answer with the model written back and usage read by `usageOf` from its `usage`. */
export function jsonAnswerOf(usageOf: (usage: unknown) => TokenUsage | undefined): ClientApi['jsonAnswer'] {
  return (body, rewrite) => readJsonBody(body, rewrite, usageOf);
}

/** `POST /v1/responses`: forwarded as it came to both kinds of account. */
export const RESPONSES_API: ClientApi = {
  target: buildUpstreamRequest,
  streamRelay: (_account, rewrite, now, clientStreams) =>
    new ResponsesStreamRelay({ rewrite, now, keepFinalResponse: !clientStreams, observeText: clientStreams }),
  jsonAnswer: jsonAnswerOf(tokenUsageOf),
};
