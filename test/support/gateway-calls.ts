/**
 * Raw HTTP calls to the gateway for tests that watch the wire rather than the SDK's view of it:
 * when the headers arrived, every chunk with its arrival time (SSE pings are comments the SDK
 * hides), and a client that hangs up mid-stream. Also a closed port and lease reads, which the
 * concurrency, failover and crash tests share.
 *
 * @example
 * ```ts
 * const call = startCall(stack.url, secret, { model: 'gpt-5.1', input: 'hi', stream: true });
 * await call.until((text) => text.startsWith(':'));
 * call.abort();
 * const result = await call.finished;
 * ```
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { sdkRequester } from '#shared/store/dynamo/sdk-requester.ts';
import { DynamoSlotStore } from '#shared/store/dynamo/slot-store.ts';
import type { LeaseKind, LiveLease } from '#shared/store/slots.ts';
import type { SlotScope } from '#shared/tables/keys.ts';

/** The `:\n\n` comment a waiting stream receives. */
export const PING = ':\n\n';

export interface TimedChunk {
  at: number;
  text: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  chunks: TimedChunk[];
  /** The client hung up (abort) before the body ended; `status` is 0 if it left before the headers. */
  aborted: boolean;
}

export interface RunningCall {
  /** Resolves with the status once the response headers arrived; rejects if they never do. */
  headers: Promise<{ status: number; at: number }>;
  /** Resolves when the body ended or the call was aborted; never rejects on abort. */
  finished: Promise<CallResult>;
  /** The body received so far. */
  text(): string;
  /**
   * Resolves once the body received so far satisfies `predicate`; rejects if the body ends first,
   * or after `timeoutMs` (60 s: a loaded 2-core machine can starve a stream that long).
   */
  until(predicate: (text: string) => boolean, timeoutMs?: number): Promise<void>;
  abort(): void;
}

/** Starts POST /v1/responses with a JSON body and reads the answer as it arrives. */
export function startCall(
  baseUrl: string,
  secret: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): RunningCall {
  const controller = new AbortController();
  const chunks: TimedChunk[] = [];
  let ended = false;
  const text = () => chunks.map((chunk) => chunk.text).join('');
  const responded = fetch(`${baseUrl}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const finished = (async (): Promise<CallResult> => {
    let response: Response;
    try {
      response = await responded;
    } catch (error) {
      ended = true;
      if (!controller.signal.aborted) throw error;
      return { status: 0, headers: new Headers(), text: '', chunks, aborted: true };
    }
    const decoder = new TextDecoder();
    let aborted = false;
    try {
      for await (const chunk of response.body ?? []) {
        chunks.push({ at: Date.now(), text: decoder.decode(chunk as Uint8Array, { stream: true }) });
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      aborted = true;
    } finally {
      ended = true;
    }
    return { status: response.status, headers: response.headers, text: text(), chunks, aborted };
  })();
  finished.catch(() => {});
  const headersArrived = responded.then((response) => ({ status: response.status, at: Date.now() }));
  headersArrived.catch(() => {});
  return {
    headers: headersArrived,
    finished,
    text,
    async until(predicate, timeoutMs = 60_000) {
      const giveUpAt = Date.now() + timeoutMs;
      while (!predicate(text())) {
        if (ended) throw new Error(`body ended without the awaited content: ${JSON.stringify(text())}`);
        if (Date.now() > giveUpAt)
          throw new Error(`timed out waiting; body so far: ${JSON.stringify(text())}`);
        await sleep(10);
      }
    },
    abort: () => controller.abort(),
  };
}

/** Runs a call to its end. */
export function call(
  baseUrl: string,
  secret: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<CallResult> {
  return startCall(baseUrl, secret, body, headers).finished;
}

export interface SseEvent {
  event: string;
  data: string;
}

/** The events of an SSE body in order; comments (pings) are left out. */
export function sseEvents(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const frame of text.split('\n\n')) {
    const lines = frame.split('\n').filter((line) => line !== '' && !line.startsWith(':'));
    if (lines.length === 0) continue;
    const field = (name: string) =>
      lines
        .filter((line) => line.startsWith(`${name}:`))
        .map((line) => line.slice(name.length + 1).trimStart())
        .join('\n');
    events.push({ event: field('event'), data: field('data') });
  }
  return events;
}

/**
 * True when the body is one clean Responses stream (pings aside): exactly one `response.created`,
 * first, exactly one `response.completed`, last, and no `error` event.
 */
export function isCleanStream(text: string): boolean {
  const names = sseEvents(text).map((event) => event.event);
  return (
    names[0] === 'response.created' &&
    names.at(-1) === 'response.completed' &&
    names.filter((name) => name === 'response.created').length === 1 &&
    names.filter((name) => name === 'response.completed').length === 1 &&
    !names.includes('error')
  );
}

/** A base URL on 127.0.0.1 where nothing listens: connecting to it is refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${address.port}`;
}

/** The live leases of a user's or account's slots (or wait tickets), as the State table has them. */
export function liveLeases(
  client: SdkDocumentClient,
  stateTable: string,
  pool: { kind?: LeaseKind; scope: SlotScope; id: string },
): Promise<LiveLease[]> {
  return new DynamoSlotStore(sdkRequester(client), stateTable).live(
    { kind: pool.kind ?? 'slot', scope: pool.scope, id: pool.id },
    Math.floor(Date.now() / 1000),
  );
}

/**
 * Polls `check` every 20 ms until it resolves true; rejects after `timeoutMs`, which only a
 * regression reaches: the default leaves a loaded machine room and fits in a test's 120 s.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error('condition not met in time');
    await sleep(20);
  }
}
