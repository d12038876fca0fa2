/**
 * The bench's local-stack phases: the whole stack as `npm start` runs it (gateway, DynamoDB,
 * recorder; test/support/npm-start.ts) against the same mock upstream, beside direct calls to the mock in
 * the same window. Per mode and concurrency it gives the latency added over direct, the
 * throughput, the CPU of all the stack's processes per request (the recorder's work included) and
 * how long the stack stays busy after the load ends (the recorder catching up with the events
 * still queued); the throughput counted to that point is the one the stack can sustain.
 *
 * Targets (issue-level, see docs/benchmarks.md): stream c=1 adds at most 8 ms at p50 over direct;
 * stream c=32 keeps at least 70 % of direct throughput, sustained.
 *
 * @example
 * ```ts
 * const figures = await measureLocalStack({ mock, mockUrl, agent });
 * console.log(formatLocalStack(figures));
 * ```
 */
import type { Agent } from 'undici';
import { loadSettings } from '#shared/settings.ts';
import { type NpmStart, startNpmStart } from '../test/support/npm-start.ts';
import type { BenchChild } from './ipc.ts';
import { runLoad } from './load.ts';
import {
  ACCOUNT_CONCURRENCY,
  CONCURRENCIES,
  MODES,
  options,
  PROFILE_DIR,
  SIZES,
  USER_CONCURRENCY,
} from './options.ts';
import type { Mode } from './phase-result.ts';
import { eventDelays } from './phases.ts';
import { table } from './report.ts';
import { seedBench } from './seed.ts';
import { type Distribution, distribution } from './stats.ts';

export const STACK_TARGETS = { streamAddedP50Ms: 8, streamThroughputShare: 0.7 } as const;
const STAGE = 'bench-stack';
/** The stack counts as caught up after this long with (almost) no CPU used by any of its processes. */
const IDLE_WINDOW_MS = 250;
const IDLE_CPU_MS = 10;
const CATCH_UP_LIMIT_MS = 120_000;

export interface StackRow {
  mode: Mode;
  concurrency: number;
  target: 'direct' | 'stack';
  requests: number;
  failures: number;
  failureSamples: string[];
  elapsedMs: number;
  requestsPerSecond: number;
  ttfbMs: Distribution;
  totalMs: Distribution;
  eventDelayMs?: Distribution;
  /** Stack rows: CPU of all its processes from the load's start until it was idle again, per request. */
  cpuMsPerRequest?: number;
  /** Stack rows: how long after the last answer the stack was still busy (recorder catching up). */
  catchUpMs?: number;
  /** Stack rows: requests over load time plus catch-up time. */
  sustainedRequestsPerSecond?: number;
}

export interface LocalStackFigures {
  /** The checkout whose `npm start` ran (`--stack-dir`), `.` for this one. */
  checkout: string;
  /** Processes in the stack's tree once started, and the time from spawn to its banner. */
  processes: number;
  startMs: number;
  rows: StackRow[];
  stream: {
    addedP50Ms: number;
    addedP99Ms: number;
    /** Sustained stack throughput over direct throughput at c=32. */
    throughputShare: number;
    pass: boolean;
  };
  stop: { exitCode: number | null; stopMs: number; leftovers: number[] };
}

export async function measureLocalStack(world: {
  mock: BenchChild;
  mockUrl: string;
  agent: Agent;
}): Promise<LocalStackFigures> {
  const spawned = performance.now();
  const stack = await startNpmStart({
    stage: STAGE,
    ...(options.profile ? { profileDir: PROFILE_DIR } : {}),
    ...(options.stackDir ? { cwd: options.stackDir } : {}),
  });
  const startMs = performance.now() - spawned;
  const processes = (await stack.processIds()).length;
  let rows: StackRow[];
  try {
    rows = await stackRows(stack, world);
  } catch (error) {
    console.error(`local stack output:\n${stack.output().join('\n')}`);
    await stack.stop();
    throw error;
  }
  const stop = await stack.stop();
  return { checkout: options.stackDir || '.', processes, startMs, rows, stream: streamVerdict(rows), stop };
}

/** The direct and stack rows, each mode at each concurrency, on a freshly started stack. */
async function stackRows(
  stack: NpmStart,
  world: { mock: BenchChild; mockUrl: string; agent: Agent },
): Promise<StackRow[]> {
  const rows: StackRow[] = [];
  const keys = await seedBench({
    dynamoEndpoint: stack.dynamoEndpoint,
    configTable: loadSettings({ QG_STAGE: STAGE }).tables.config,
    mockUrl: world.mockUrl,
    accounts: options.accounts,
    accountConcurrency: ACCOUNT_CONCURRENCY,
    userConcurrency: USER_CONCURRENCY,
  });
  const plan = (
    mode: Mode,
    concurrency: number,
    target: StackRow['target'],
    id: string,
    requests: number,
  ) => ({
    url: target === 'stack' ? stack.gatewayUrl : world.mockUrl,
    apiKey: target === 'stack' ? keys.slots : 'sk-bench-direct',
    stream: mode === 'stream',
    concurrency,
    requests,
    maxMs: SIZES.maxMs,
    idPrefix: id,
    sessionPrefix: id.replace(/-warm$/, ''),
    sessions: options.sessions,
    inputBytes: options.inputKb * 1024,
  });
  for (const mode of MODES)
    await runLoad(plan(mode, 1, 'stack', `stack-warmup-${mode}`, SIZES.warmup / 2), world.agent);
  await caughtUp(stack.cpuMs);
  for (const concurrency of CONCURRENCIES) {
    for (const mode of MODES) {
      for (const target of ['direct', 'stack'] as const) {
        const name = `local-${target}-${mode}-c${concurrency}`;
        await runLoad(plan(mode, concurrency, target, `${name}-warm`, SIZES.phaseWarmup), world.agent);
        if (target === 'stack') await caughtUp(stack.cpuMs);
        await world.mock.call('reset');
        const cpuBefore = await stack.cpuMs();
        const load = await runLoad(
          plan(mode, concurrency, target, name, SIZES.requests[concurrency]),
          world.agent,
        );
        const catchUpMs = target === 'stack' ? await caughtUp(stack.cpuMs) : 0;
        const cpuMs = (await stack.cpuMs()) - cpuBefore;
        const frames = mode === 'stream' ? await world.mock.call<Record<string, number[]>>('frameTimes') : {};
        const n = load.samples.length;
        rows.push({
          mode,
          concurrency,
          target,
          requests: n,
          failures: load.failures.length,
          failureSamples: load.failures.slice(0, 3),
          elapsedMs: load.elapsedMs,
          requestsPerSecond: n / (load.elapsedMs / 1000),
          ttfbMs: distribution(load.samples.map((sample) => sample.ttfbMs)),
          totalMs: distribution(load.samples.map((sample) => sample.totalMs)),
          ...(mode === 'stream' ? { eventDelayMs: distribution(eventDelays(load.samples, frames)) } : {}),
          ...(target === 'stack'
            ? {
                cpuMsPerRequest: cpuMs / Math.max(1, n),
                catchUpMs,
                sustainedRequestsPerSecond: n / ((load.elapsedMs + catchUpMs) / 1000),
              }
            : {}),
        });
      }
    }
  }
  return rows;
}

/** Waits until the stack has used (almost) no CPU for a whole window; answers how long it was busy. */
async function caughtUp(cpuMs: () => Promise<number>): Promise<number> {
  const started = performance.now();
  let busyUntil = started;
  let last = await cpuMs();
  while (performance.now() - started < CATCH_UP_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const now = await cpuMs();
    if (now - last <= IDLE_CPU_MS) return busyUntil - started;
    last = now;
    busyUntil = performance.now();
  }
  return CATCH_UP_LIMIT_MS;
}

function streamVerdict(rows: readonly StackRow[]): LocalStackFigures['stream'] {
  const find = (target: StackRow['target'], concurrency: number) =>
    rows.find((row) => row.mode === 'stream' && row.target === target && row.concurrency === concurrency);
  const [direct1, stack1, direct32, stack32] = [
    find('direct', 1),
    find('stack', 1),
    find('direct', 32),
    find('stack', 32),
  ];
  const addedP50Ms = (stack1?.totalMs.p50 ?? Number.NaN) - (direct1?.totalMs.p50 ?? Number.NaN);
  const addedP99Ms = (stack1?.totalMs.p99 ?? Number.NaN) - (direct1?.totalMs.p99 ?? Number.NaN);
  const throughputShare =
    (stack32?.sustainedRequestsPerSecond ?? 0) / (direct32?.requestsPerSecond ?? Number.NaN);
  return {
    addedP50Ms,
    addedP99Ms,
    throughputShare,
    pass:
      addedP50Ms <= STACK_TARGETS.streamAddedP50Ms && throughputShare >= STACK_TARGETS.streamThroughputShare,
  };
}

const fixed = (value: number | undefined, digits = 1) =>
  value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '—';

export function formatLocalStack(figures: LocalStackFigures): string {
  const direct = (row: StackRow) =>
    figures.rows.find(
      (other) =>
        other.target === 'direct' && other.mode === row.mode && other.concurrency === row.concurrency,
    );
  const withAdded = (row: StackRow, pick: (r: StackRow) => number) => {
    const base = direct(row);
    if (row.target === 'direct' || !base) return fixed(pick(row), 2);
    const added = pick(row) - pick(base);
    return `${fixed(pick(row), 2)} (${added >= 0 ? '+' : ''}${fixed(added, 2)})`;
  };
  const rows = figures.rows.map((row) => [
    `${row.mode} c=${row.concurrency} ${row.target === 'direct' ? 'direct (mock)' : 'npm start'}`,
    String(row.requests),
    String(row.failures),
    withAdded(row, (r) => r.ttfbMs.p50),
    withAdded(row, (r) => r.totalMs.p50),
    withAdded(row, (r) => r.totalMs.p99),
    fixed(row.requestsPerSecond, 0),
    fixed(row.cpuMsPerRequest, 2),
    row.target === 'stack' ? fixed(row.catchUpMs, 0) : '',
    fixed(row.sustainedRequestsPerSecond, 0),
  ]);
  const { stream, stop } = figures;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  return [
    `Local stack as \`npm start\` runs it${figures.checkout === '.' ? '' : ` in ${figures.checkout}`} (${figures.processes} process${figures.processes === 1 ? '' : 'es'}, ` +
      `banner after ${fixed(figures.startMs, 0)} ms), against direct calls to the same mock; ms, req/s`,
    table(
      [
        'scenario',
        'n',
        'fail',
        'TTFB p50',
        'total p50',
        'total p99',
        'req/s',
        'CPU ms/req (all)',
        'catch-up ms',
        'sustained req/s',
      ],
      rows,
    ),
    `Stream: c=1 adds ${fixed(stream.addedP50Ms, 2)} ms at p50 (target ≤ ${STACK_TARGETS.streamAddedP50Ms}: ` +
      `${verdict(stream.addedP50Ms <= STACK_TARGETS.streamAddedP50Ms)}), ${fixed(stream.addedP99Ms, 2)} at p99; ` +
      `c=32 sustains ${fixed(stream.throughputShare * 100, 0)} % of direct throughput ` +
      `(target ≥ ${STACK_TARGETS.streamThroughputShare * 100} %: ${verdict(stream.throughputShare >= STACK_TARGETS.streamThroughputShare)})`,
    `Ctrl-C: exit ${stop.exitCode} after ${fixed(stop.stopMs, 0)} ms; ` +
      `${stop.leftovers.length === 0 ? 'no process left behind' : `LEFT BEHIND: ${stop.leftovers.join(', ')}`}`,
  ].join('\n');
}
