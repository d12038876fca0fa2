/**
 * Per-request traces of the gateway's DynamoDB requests, kept in the gateway's process.
 *
 * Each invocation runs inside an AsyncLocalStorage context, so the DynamoDB client's observer
 * (`dynamoRequestCounter.observer`) knows which gateway request sent each command, and when it
 * started and settled. The moment the upstream request starts is when the gateway creates it
 * (Node's `http.client.request.created` diagnostics channel; the gateway's upstream client is
 * node:http), and the moment it leaves is when its headers are written (`http.client.request.start`),
 * both matched by the `x-client-request-id` header the bench sets and the gateway passes on (the
 * DynamoDB client's requests, on node:http too, carry none); the gap between the two is the
 * connection set-up, if any.
 *
 * From those: the DynamoDB requests on the critical path (settled before the upstream request
 * started), the sequential round trips among them (waves of overlapping requests), and the total.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import type { TableNames } from '#shared/tables/definitions.ts';
import { type Distribution, distribution } from './stats.ts';

interface DynamoCall {
  /** `PutItem:state`: the command without its `Command` suffix, and the table's role. */
  name: string;
  table: string;
  start: number;
  end: number;
}

interface Trace {
  start: number;
  upstreamAt: number | undefined;
  upstreamSentAt: number | undefined;
  calls: DynamoCall[];
}

/** What the traces of one phase show; see docs/benchmarks.md for each figure. */
export interface DynamoSummary {
  /** Gateway requests traced, and those that reached the upstream. */
  requests: number;
  reachedUpstream: number;
  /** DynamoDB requests sent outside any gateway request (none expected). */
  background: number;
  criticalPath: Distribution;
  roundTripsBeforeUpstream: Distribution;
  total: Distribution;
  /**
   * Requests whose key and account list came from the cache (no GetItem or Query of the Config
   * table; the fresh billing BatchGetItem every warm request makes does not count), and the worst
   * case among them.
   */
  warm: { requests: number; criticalPathMax: number; roundTripsMax: number; totalMax: number };
  /**
   * The phase's first request, when it reached the upstream: in the cold phase a new instance's
   * first (every cache empty), which the budget covers like the others.
   */
  first?: { roundTrips: number; total: number; pattern: string };
  /** Time from invocation to the upstream request starting, in ms. */
  beforeUpstreamMs: Distribution;
  /** From the upstream request starting to its headers being written (connecting, if needed), in ms. */
  upstreamSendMs: Distribution;
  /**
   * TCP connections the gateway opened during the phase: to the upstream (a request sent on a
   * socket that was not reused) and others
   * (the DynamoDB client; the bench's gateway makes no other outbound calls).
   */
  newConnections: { upstream: number; dynamo: number };
  /** Mean requests per gateway request by command and table, e.g. `{ 'PutItem:state': 2 }`. */
  perRequest: Record<string, number>;
  /** Mean reads (GetItem, Query, …) and writes (PutItem, UpdateItem, DeleteItem, …) per request. */
  readsPerRequest: number;
  writesPerRequest: number;
  /** Most frequent sequences, e.g. `GetItem:state+PutItem:state → PutItem:state | after: DeleteItem:state×2`. */
  patterns: { pattern: string; count: number }[];
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/** A node:http client request as the diagnostics channels give it. */
interface ChannelRequest {
  getHeader(name: string): unknown;
  reusedSocket: boolean;
}

/** The upstream request's `x-client-request-id`; DynamoDB requests have none. */
function upstreamRequestId(message: unknown): string | undefined {
  const id = (message as { request?: ChannelRequest }).request?.getHeader('x-client-request-id');
  return id === undefined ? undefined : String(id);
}

export class RequestTraces {
  readonly #context = new AsyncLocalStorage<Trace>();
  #byId = new Map<string, Trace>();
  #background = 0;
  #upstreamConnections = 0;
  #allConnections = 0;

  constructor(tables: TableNames) {
    const roles = new Map(Object.entries(tables).map(([role, name]) => [name, role]));
    dynamoRequestCounter.observer = (command, table) => {
      const trace = this.#context.getStore();
      if (!trace) {
        this.#background += 1;
        return undefined;
      }
      const call: DynamoCall = {
        name: command.replace(/Command$/, ''),
        table: (table && roles.get(table)) ?? table ?? '?',
        start: performance.now(),
        end: Number.POSITIVE_INFINITY,
      };
      trace.calls.push(call);
      return () => {
        call.end = performance.now();
      };
    };
    subscribe('http.client.request.created', (message) => {
      const id = upstreamRequestId(message);
      const trace = id && this.#byId.get(id);
      if (trace && trace.upstreamAt === undefined) trace.upstreamAt = performance.now();
    });
    subscribe('http.client.request.start', (message) => {
      const id = upstreamRequestId(message);
      const trace = id && this.#byId.get(id);
      if (!trace) return;
      if (trace.upstreamSentAt === undefined) trace.upstreamSentAt = performance.now();
      if (!(message as { request: ChannelRequest }).request.reusedSocket) this.#upstreamConnections += 1;
    });
    subscribe('net.client.socket', () => {
      this.#allConnections += 1;
    });
  }

  /** Runs one invocation inside its trace. */
  run<T>(clientRequestId: string | undefined, invoke: () => T): T {
    const trace: Trace = {
      start: performance.now(),
      upstreamAt: undefined,
      upstreamSentAt: undefined,
      calls: [],
    };
    this.#byId.set(clientRequestId ?? `untagged-${this.#byId.size}`, trace);
    return this.#context.run(trace, invoke);
  }

  /** Summarises the traces since the last call and forgets them. */
  take(): DynamoSummary {
    const traces = [...this.#byId.values()];
    const background = this.#background;
    const newConnections = {
      upstream: this.#upstreamConnections,
      dynamo: this.#allConnections - this.#upstreamConnections,
    };
    this.#byId = new Map();
    this.#background = 0;
    this.#upstreamConnections = 0;
    this.#allConnections = 0;
    const reached = traces.filter((trace) => trace.upstreamAt !== undefined).map(analyse);
    const first = traces[0]?.upstreamAt === undefined ? undefined : reached[0];
    const warm = reached.filter((trace) => !trace.readConfig);
    const patterns = new Map<string, number>();
    for (const trace of reached) patterns.set(trace.pattern, (patterns.get(trace.pattern) ?? 0) + 1);
    const perRequest: Record<string, number> = {};
    let reads = 0;
    for (const trace of traces) {
      for (const call of trace.calls) {
        const name = `${call.name}:${call.table}`;
        perRequest[name] = (perRequest[name] ?? 0) + 1 / Math.max(1, traces.length);
        if (READS.has(call.name)) reads += 1;
      }
    }
    const callCount = traces.reduce((sum, trace) => sum + trace.calls.length, 0);
    const per = (count: number) => count / Math.max(1, traces.length);
    return {
      requests: traces.length,
      reachedUpstream: reached.length,
      background,
      criticalPath: distribution(reached.map((trace) => trace.critical)),
      roundTripsBeforeUpstream: distribution(reached.map((trace) => trace.waves.length)),
      total: distribution(reached.map((trace) => trace.total)),
      warm: {
        requests: warm.length,
        criticalPathMax: Math.max(0, ...warm.map((trace) => trace.critical)),
        roundTripsMax: Math.max(0, ...warm.map((trace) => trace.waves.length)),
        totalMax: Math.max(0, ...warm.map((trace) => trace.total)),
      },
      ...(first
        ? { first: { roundTrips: first.waves.length, total: first.total, pattern: first.pattern } }
        : {}),
      beforeUpstreamMs: distribution(reached.map((trace) => trace.beforeUpstreamMs)),
      upstreamSendMs: distribution(reached.map((trace) => trace.upstreamSendMs)),
      newConnections,
      perRequest,
      readsPerRequest: per(reads),
      writesPerRequest: per(callCount - reads),
      patterns: [...patterns]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([pattern, count]) => ({ pattern, count })),
    };
  }
}

/**
 * Calls sorted by start, grouped into waves: a call joins the wave before it while it starts
 * before every call of that wave has settled (they overlap), else it starts the next round trip.
 */
export function wavesOf<T extends { start: number; end: number }>(calls: readonly T[]): T[][] {
  const waves: T[][] = [];
  let waveEnd = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    const wave = waves.at(-1);
    if (wave && call.start < waveEnd) {
      wave.push(call);
      waveEnd = Math.max(waveEnd, call.end);
    } else {
      waves.push([call]);
      waveEnd = call.end;
    }
  }
  return waves;
}

function analyse(trace: Trace) {
  const upstreamAt = trace.upstreamAt ?? Number.POSITIVE_INFINITY;
  const calls = [...trace.calls].sort((a, b) => a.start - b.start);
  // A request still running when the upstream request left did not hold it up.
  const critical = calls.filter((call) => call.end <= upstreamAt);
  const after = calls.filter((call) => call.end > upstreamAt);
  const waves = wavesOf(critical);
  const label = (group: DynamoCall[]) => {
    const counts = new Map<string, number>();
    for (const call of group)
      counts.set(`${call.name}:${call.table}`, (counts.get(`${call.name}:${call.table}`) ?? 0) + 1);
    return [...counts]
      .map(([name, count]) => (count > 1 ? `${name}×${count}` : name))
      .sort()
      .join('+');
  };
  const pattern = `${waves.map(label).join(' → ') || '(none)'} | after: ${label(after) || '(none)'}`;
  return {
    critical: critical.length,
    waves,
    total: calls.length,
    // The key's GetItem and the account list's Query mean an expired cache; the BatchGetItem of
    // the billing state taken with the user slot is made warm or cold (request-admission.ts).
    readConfig: calls.some((call) => call.table === 'config' && call.name !== 'BatchGetItem'),
    beforeUpstreamMs: upstreamAt - trace.start,
    upstreamSendMs: (trace.upstreamSentAt ?? Number.NaN) - upstreamAt,
    pattern,
  };
}
