/**
 * A local HTTP peer that speaks EventBridge's PutEvents (AWS JSON 1.1): a test queues how the
 * next calls are answered (an error status and type, failed entries, a dropped connection) and
 * reads what each call carried, headers included; calls with nothing queued go to `accept`, by
 * default every entry accepted. The bench gives it an in-process bus as `accept`, so the gateway
 * it measures pays for a real PutEvents call per request.
 *
 * @example
 * ```ts
 * const server = await startPutEventsServer();
 * server.answers.push(() => ({ status: 400, body: { __type: 'ThrottlingException' } }));
 * await createEventBridgeClient({ endpoint: server.url }).putEvents([entry]); // retried once
 * server.calls.length; // 2
 * ```
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PutEventsEntry, PutEventsOutput } from '#shared/events/eventbridge-client.ts';

/** An entry as it arrived: `Time` in epoch seconds, as the API carries it. */
export type WireEntry = Omit<PutEventsEntry, 'Time'> & { Time?: number };

export interface PutEventsCall {
  headers: IncomingHttpHeaders;
  entries: WireEntry[];
}

/** How one call is answered: a status and a JSON body, or `drop` to cut the connection. */
export type PutEventsAnswer = (entries: WireEntry[]) => { status: number; body: unknown } | 'drop';

export interface PutEventsServer {
  url: string;
  /** Every call, in order (the bench empties it now and then). */
  readonly calls: PutEventsCall[];
  /** Answers for the next calls, one each, in order. */
  answers: PutEventsAnswer[];
  close(): Promise<void>;
}

/** Accepts every entry (the answer when nothing is queued and no `accept` is given). */
export const acceptAll = (entries: readonly unknown[]): PutEventsOutput => ({
  FailedEntryCount: 0,
  Entries: entries.map((_, index) => ({ EventId: `evt-${index}` })),
});

/** The entries with their `Time` back in a Date, as a sender gave them. */
export function entriesOf(wire: readonly WireEntry[]): PutEventsEntry[] {
  return wire.map(({ Time, ...entry }) =>
    Time === undefined ? entry : { ...entry, Time: new Date(Time * 1000) },
  );
}

export async function startPutEventsServer(
  accept: (entries: PutEventsEntry[]) => Promise<PutEventsOutput> | PutEventsOutput = acceptAll,
): Promise<PutEventsServer> {
  const calls: PutEventsCall[] = [];
  const state = { answers: [] as PutEventsAnswer[] };
  const server = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    const entries = (JSON.parse(text) as { Entries: WireEntry[] }).Entries;
    calls.push({ headers: request.headers, entries });
    const queued = state.answers.shift();
    let answer: ReturnType<PutEventsAnswer>;
    if (request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      answer = { status: 400, body: { __type: 'UnknownOperationException' } };
    } else if (queued) {
      answer = queued(entries);
    } else {
      try {
        answer = { status: 200, body: await accept(entriesOf(entries)) };
      } catch (error) {
        const type = error instanceof Error ? error.name : 'InternalException';
        answer = { status: 400, body: { __type: type, message: String(error) } };
      }
    }
    if (answer === 'drop') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(answer.body));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    get answers() {
      return state.answers;
    },
    set answers(value) {
      state.answers = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
