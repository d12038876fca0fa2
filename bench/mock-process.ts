/**
 * The benchmark's upstream: the project's mock upstream in a process of its own, answering every
 * request with a normal completion (`BENCH_CHUNK_DELAY_MS` between SSE frames).
 *
 * To measure per-event delay it notes when each SSE frame is written, per request (keyed by the
 * `x-client-request-id` header the bench sets and the gateway passes on), on the wall clock
 * `performance.timeOrigin + performance.now()` that the bench reads on arrival.
 *
 * Calls: `reset` (forget recorded requests and frame times), `frameTimes` (take them: request id
 * → write times, in frame order).
 */
import { ServerResponse } from 'node:http';
import type { MockBehaviour } from '../test/support/mock-upstream.ts';
import { startMockUpstream } from '../test/support/mock-upstream.ts';
import { answerParent } from './ipc.ts';

const defaultBehaviour: MockBehaviour = {
  kind: 'ok',
  chunkDelayMs: Number(process.env.BENCH_CHUNK_DELAY_MS ?? 0),
};
let frameTimes = new Map<string, number[]>();

// The mock writes one SSE frame per `write` (and an empty write to send the headers); wrapping the
// prototype in this process only is how the frames are timed without changing the mock.
const write = ServerResponse.prototype.write as (this: ServerResponse, ...args: unknown[]) => boolean;
ServerResponse.prototype.write = function timedWrite(this: ServerResponse, ...args: unknown[]) {
  const chunk = args[0];
  const id = this.req?.headers['x-client-request-id'];
  if (
    typeof id === 'string' &&
    (typeof chunk === 'string' || chunk instanceof Uint8Array) &&
    chunk.length > 0
  ) {
    const times = frameTimes.get(id) ?? [];
    times.push(performance.timeOrigin + performance.now());
    frameTimes.set(id, times);
  }
  return write.apply(this, args);
} as typeof ServerResponse.prototype.write;

const mock = await startMockUpstream({ port: 0 });
mock.setDefault(defaultBehaviour);

answerParent(
  {
    reset() {
      mock.reset();
      mock.setDefault(defaultBehaviour);
      frameTimes = new Map();
    },
    /** Answers every later request with `payload` (the large-transfer phase); `reset` restores. */
    setBehaviour(payload) {
      mock.setDefault(payload as MockBehaviour);
    },
    frameTimes() {
      const taken = Object.fromEntries(frameTimes);
      frameTimes = new Map();
      return taken;
    },
  },
  { url: mock.url },
  () => mock.close(),
);
