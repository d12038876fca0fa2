/**
 * The AWS calls one gateway request makes, captured in the gateway process so that the floor
 * (floor-process.ts) can replay exactly those exchanges: the same operations, the same bodies, in
 * the same waves, before and after the upstream request.
 *
 * It wraps `AwsJsonClient.prototype.send` (the one transport under the gateway's DynamoDB and
 * EventBridge clients) for the one request captured and restores it after, so no measured phase
 * runs through the wrapper. A call belongs to the wave before it while it starts before every call
 * of that wave has settled (request-trace.ts's `wavesOf`, the rule round trips are counted by); calls settled before
 * the upstream request was created are "before", the rest "after".
 *
 * @example
 * ```ts
 * const capture = startCapture();
 * await invokeOneRequest();
 * const plan = await capture.finish(); // { before: [[…3 calls], […1]], after: [[…3]] }
 * ```
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { AwsJsonClient } from '#shared/aws/aws-json-client.ts';
import { wavesOf } from './request-trace.ts';

/** One AWS JSON call as the gateway sent it. */
export interface CapturedCall {
  /** `PutItem`, `BatchGetItem`, `PutEvents`, … */
  operation: string;
  /** The JSON body, as sent. */
  body: string;
}

/** The waves of one request's AWS calls, before and after its upstream request. */
export interface ExchangePlan {
  before: CapturedCall[][];
  after: CapturedCall[][];
}

interface TimedCall extends CapturedCall {
  start: number;
  end: number;
}

/** The waves of `calls` (sorted by start), without their times. */
function waves(calls: readonly TimedCall[]): CapturedCall[][] {
  return wavesOf(calls).map((wave) => wave.map(({ operation, body }) => ({ operation, body })));
}

/**
 * Starts capturing the AWS calls of the next request; `finish` (after that request and its
 * after-work have settled) restores the transport and answers the plan.
 */
export function startCapture(): { finish(): ExchangePlan } {
  const calls: TimedCall[] = [];
  let upstreamAt = Number.POSITIVE_INFINITY;
  const send = AwsJsonClient.prototype.send;
  AwsJsonClient.prototype.send = async function capturedSend(this: AwsJsonClient, operation, body) {
    const call: TimedCall = { operation, body, start: performance.now(), end: Number.POSITIVE_INFINITY };
    calls.push(call);
    try {
      return await send.call(this, operation, body);
    } finally {
      call.end = performance.now();
    }
  };
  // The upstream request is the one carrying the bench's x-client-request-id (AWS calls carry none).
  const created = (message: unknown) => {
    const request = (message as { request?: { getHeader(name: string): unknown } }).request;
    if (request?.getHeader('x-client-request-id') !== undefined)
      upstreamAt = Math.min(upstreamAt, performance.now());
  };
  subscribe('http.client.request.created', created);
  return {
    finish() {
      AwsJsonClient.prototype.send = send;
      unsubscribe('http.client.request.created', created);
      const sorted = [...calls].sort((a, b) => a.start - b.start);
      return {
        before: waves(sorted.filter((call) => call.end <= upstreamAt)),
        after: waves(sorted.filter((call) => call.end > upstreamAt)),
      };
    },
  };
}
