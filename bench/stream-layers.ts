/**
 * `npm run bench:stream-layers [-- --requests N --rounds N]`: what one SSE event costs a process
 * that relays it, layer by layer, so that the stream's extra CPU over a JSON answer can be
 * placed: the runtime's socket work, the gateway's stream plumbing, or its relay code.
 *
 * This process is the relay, and only its CPU is counted; the project's mock upstream and the
 * client each run in a child of their own. The mock sends its frames 1 ms apart (as in
 * `npm run bench`), the same answer text split into few deltas or into many, so that the
 * difference between the two, per added frame, is what one delta event costs. Layers:
 * - `node:http`: the upstream's chunks written to the client as they come, nothing else (the
 *   floor: a socket read, a chunked write and an event-loop wake-up per event);
 * - `response stream`: the chunks read with `for await` and written, waiting for `drain`, into
 *   the local Function URL's response stream (the Lambda runtime's part on AWS);
 * - `channel`: the chunks written into the gateway's {@link ResponseChannel} instead, whose body
 *   is piped into that response stream as middy pipes it;
 * - `relay`: as `channel`, each chunk first through {@link ResponsesStreamRelay}, as an attempt
 *   relays a stream (forward-attempt.ts).
 * Rounds interleave the layers, each round starting at another one, so a loaded machine's drift
 * falls on all of them alike.
 */

import { once } from 'node:events';
import {
  createServer,
  Agent as HttpAgent,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { LambdaResponseStream } from '#local/awslambda-shim.ts';
import { FunctionUrlResponse } from '#local/function-url-response.ts';
import { ResponsesStreamRelay } from '#shared/gateway/client-api.ts';
import { ResponseChannel } from '#shared/gateway/response-channel.ts';
import { forkBenchChild } from './ipc.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '150' },
    rounds: { type: 'string', default: '4' },
  },
});
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
/** The answer's text, 48 characters: one delta, or twelve of 4 characters. */
const TEXT = 'The quick brown fox jumps over the lazy dog. Yes.';
const SPLITS = { few: TEXT.length, many: 4 } as const;
const LAYERS = ['node:http', 'response stream', 'channel', 'relay'] as const;
type Layer = (typeof LAYERS)[number];

const agent = new HttpAgent({ keepAlive: true });
const silent = { error: () => undefined };

/** The upstream request, sent as the gateway's node:http client sends it. */
function upstream(url: string, client: IncomingMessage): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const sent = request(
      `${url}/v1/responses`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer sk-bench-direct',
          'x-mock-behaviour': String(client.headers['x-mock-behaviour']),
        },
      },
      resolve,
    );
    sent.on('error', reject);
    client.pipe(sent);
  });
}

async function relayAs(layer: Layer, body: IncomingMessage, res: ServerResponse): Promise<void> {
  if (layer === 'node:http') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    body.on('data', (chunk: Buffer) => res.write(chunk));
    body.on('end', () => res.end());
    return;
  }
  const sink = new FunctionUrlResponse(res, silent, 'bench');
  const stream = new LambdaResponseStream(sink);
  sink.attach(stream);
  stream.setContentType('text/event-stream');
  if (layer === 'response stream') {
    for await (const chunk of body) if (!stream.write(chunk)) await once(stream, 'drain');
    await new Promise((resolve) => stream.end(resolve));
    return;
  }
  const channel = new ResponseChannel('bench');
  channel.openStream();
  const piped = pipeline(channel.body, stream);
  const relay = layer === 'relay' ? new ResponsesStreamRelay({ observeText: true }) : undefined;
  for await (const chunk of body) {
    const out = relay ? relay.push(chunk as Buffer) : (chunk as Buffer);
    if (out.length > 0) await channel.write(out);
  }
  const rest = relay?.flush();
  if (rest && rest.length > 0) await channel.write(rest);
  channel.end();
  await piped;
}

const mock = await forkBenchChild('mock', new URL('./mock-process.ts', import.meta.url));
const client = await forkBenchChild('client', new URL('./stream-layers-client.ts', import.meta.url));
const mockUrl = String(mock.info.url);
let layer: Layer = 'node:http';
const server = createServer((req, res) => {
  upstream(mockUrl, req)
    .then((body) => relayAs(layer, body, res))
    .catch((error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

/** CPU ms per request of this process, and the frames an answer carried. */
async function measure(split: keyof typeof SPLITS): Promise<{ cpuMs: number; frames: number }> {
  const behaviour = { kind: 'ok', text: TEXT, deltaBytes: SPLITS[split], chunkDelayMs: 1 };
  await client.call('run', { url, n: 10, behaviour });
  const before = process.cpuUsage();
  const frames = await client.call<number>('run', { url, n: REQUESTS, behaviour });
  const cpu = process.cpuUsage(before);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / REQUESTS, frames };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0;
const results = new Map<Layer, { few: number[]; many: number[]; perEventUs: number[] }>();
const loadBefore = loadavg()[0] ?? 0;
let frameCounts = { few: 0, many: 0 };
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts at another layer, so that no layer always runs first or last.
    for (const each of [...LAYERS.slice(round % LAYERS.length), ...LAYERS.slice(0, round % LAYERS.length)]) {
      layer = each;
      const few = await measure('few');
      const many = await measure('many');
      frameCounts = { few: few.frames, many: many.frames };
      const row = results.get(each) ?? { few: [], many: [], perEventUs: [] };
      row.few.push(few.cpuMs);
      row.many.push(many.cpuMs);
      row.perEventUs.push((1000 * (many.cpuMs - few.cpuMs)) / (many.frames - few.frames));
      results.set(each, row);
    }
  }
  console.log(
    `Relay process CPU — ${ROUNDS} rounds of ${REQUESTS} requests per layer and split, frames 1 ms apart, ` +
      `${frameCounts.few} or ${frameCounts.many} frames per answer; load ${loadBefore.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log('layer\tCPU ms/request, few deltas\tmany deltas\tµs per added delta event, median (min–max)');
  for (const [name, row] of results) {
    const events = row.perEventUs;
    console.log(
      `${name}\t${median(row.few).toFixed(3)}\t${median(row.many).toFixed(3)}\t` +
        `${median(events).toFixed(0)} (${Math.min(...events).toFixed(0)}–${Math.max(...events).toFixed(0)})`,
    );
  }
} finally {
  server.close();
  agent.destroy();
  await Promise.all([client.stop(), mock.stop()]);
}
