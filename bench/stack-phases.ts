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
 * console.log(formatLocalStack(figures)); // stack-report.ts
 * ```
 */
import { availableParallelism } from 'node:os';
import type { Agent } from 'undici';
import { loadSettings } from '#shared/settings.ts';
import { type NpmStart, type StackPart, startNpmStart } from '../test/support/npm-start.ts';
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
import type { LoadFigures, Mode } from './phase-result.ts';
import { loadFigures } from './phases.ts';
import { seedBench } from './seed.ts';
import type { GatewayAlone } from './stack-gateway-alone.ts';

export const STACK_TARGETS = { streamAddedP50Ms: 8, streamThroughputShare: 0.7 } as const;
const STAGE = 'bench-stack';
/** The stack counts as caught up after this long with (almost) no CPU used by any of its processes. */
const IDLE_WINDOW_MS = 250;
const IDLE_CPU_MS = 10;
const CATCH_UP_LIMIT_MS = 120_000;

export interface StackRow extends LoadFigures {
  mode: Mode;
  concurrency: number;
  target: 'direct' | 'stack';
  /** Stack rows: CPU of all its processes from the load's start until it was idle again, per request. */
  cpuMsPerRequest?: number;
  /**
   * Stack rows: the same CPU by process: the main one (gateway, admin API, bus), dynalite, the
   * recorder and the rest (tsx's esbuild services), so a run says which one bounds the stack.
   */
  cpuMsPerRequestByPart?: Record<StackPart, number>;
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
  /** Each process of the stack once started (by id) and the part it is; names `--profile`'s files. */
  processParts: Record<number, StackPart>;
  rows: StackRow[];
  stream: {
    addedP50Ms: number;
    addedP99Ms: number;
    /** Sustained stack throughput at c=32, and its share of direct throughput. */
    c32SustainedRequestsPerSecond: number;
    throughputShare: number;
    /**
     * What bounds c=32: the CPU all the stack's processes spend per request, and the rate at
     * which it would fill every core of the machine with nothing else running (the load client and
     * the mock share those cores, so the stack sustains less).
     */
    c32CpuMsPerRequest: number;
    c32CpuBoundRequestsPerSecond: number;
    /**
     * The tighter bound: the process that spends the most CPU per request at c=32 (dynalite, in
     * every run so far). Its JavaScript runs on one event loop, however many cores are idle, so it
     * serves about 1,000 ms over its CPU per request at most. About: part of its CPU is its LevelDB
     * threads', off the loop, so a run can sustain a few per cent more (127 against 122 in one).
     */
    c32BusiestPart: { part: StackPart; cpuMsPerRequest: number; boundRequestsPerSecond: number };
    pass: boolean;
  };
  stop: { exitCode: number | null; stopMs: number; leftovers: number[] };
  /**
   * Full runs: the gateway process alone in the same run (stream, user with slots), for the
   * local stack's other target, staying within 2× of it.
   */
  gatewayAlone?: GatewayAlone;
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
  const parts = await stack.partsByProcess();
  const processes = parts.size;
  let rows: StackRow[];
  try {
    rows = await stackRows(stack, world);
  } catch (error) {
    console.error(`local stack output:\n${stack.output().join('\n')}`);
    await stack.stop();
    throw error;
  }
  const stop = await stack.stop();
  return {
    checkout: options.stackDir || '.',
    processes,
    processParts: Object.fromEntries(parts),
    startMs,
    rows,
    stream: streamVerdict(rows),
    stop,
  };
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
        const cpuBefore = await stack.cpuMsByPart();
        const load = await runLoad(
          plan(mode, concurrency, target, name, SIZES.requests[concurrency]),
          world.agent,
        );
        const catchUpMs = target === 'stack' ? await caughtUp(stack.cpuMs) : 0;
        const cpuAfter = await stack.cpuMsByPart();
        const frames = mode === 'stream' ? await world.mock.call<Record<string, number[]>>('frameTimes') : {};
        const n = load.samples.length;
        rows.push({
          mode,
          concurrency,
          target,
          ...loadFigures(load, mode === 'stream' ? frames : undefined),
          ...(target === 'stack'
            ? {
                ...cpuPerRequest(cpuBefore, cpuAfter, n),
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

/** The CPU the stack's processes used between two readings, per request: in all and by part. */
function cpuPerRequest(
  before: Record<StackPart, number>,
  after: Record<StackPart, number>,
  requests: number,
): Pick<StackRow, 'cpuMsPerRequest' | 'cpuMsPerRequestByPart'> {
  const parts = Object.keys(after) as StackPart[];
  const byPart = Object.fromEntries(
    parts.map((part) => [part, (after[part] - before[part]) / Math.max(1, requests)]),
  ) as Record<StackPart, number>;
  return {
    cpuMsPerRequest: parts.reduce((sum, part) => sum + byPart[part], 0),
    cpuMsPerRequestByPart: byPart,
  };
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
  const c32SustainedRequestsPerSecond = stack32?.sustainedRequestsPerSecond ?? 0;
  const throughputShare = c32SustainedRequestsPerSecond / (direct32?.requestsPerSecond ?? Number.NaN);
  const c32CpuMsPerRequest = stack32?.cpuMsPerRequest ?? Number.NaN;
  const [part, partMs] = Object.entries(stack32?.cpuMsPerRequestByPart ?? { other: Number.NaN }).reduce(
    (busiest, entry) => (entry[1] > busiest[1] ? entry : busiest),
  );
  return {
    addedP50Ms,
    addedP99Ms,
    c32SustainedRequestsPerSecond,
    throughputShare,
    c32CpuMsPerRequest,
    c32CpuBoundRequestsPerSecond: (availableParallelism() * 1000) / c32CpuMsPerRequest,
    c32BusiestPart: {
      part: part as StackPart,
      cpuMsPerRequest: partMs,
      boundRequestsPerSecond: 1000 / partMs,
    },
    pass:
      addedP50Ms <= STACK_TARGETS.streamAddedP50Ms && throughputShare >= STACK_TARGETS.streamThroughputShare,
  };
}
