/**
 * The floor phase: what the exchanges of a warm gateway request cost a process with nothing of the
 * gateway's in it (floor-process.ts), measured the way the gateway's CPU is (the process's
 * `cpuUsage` over the phase, per request completed), so that the gateway's own share is its
 * figure minus the floor's. Run at c=1 for the user with slots, right after that user's gateway
 * phase of the same mode, so the two figures come from the same window of a shared machine.
 *
 * @example
 * ```ts
 * const row = await measureFloor(world, gatewayRow); // { cpuMsPerRequest: 1.9, gatewayShareMs: 2.1, … }
 * ```
 */
import { GATEWAY_ALLOCATOR_ENVIRONMENT, GATEWAY_NODE_OPTIONS } from '../infra/bundling.ts';
import type { ExchangePlan } from './exchange-capture.ts';
import type { FloorPlan, Refused } from './floor-process.ts';
import type { ProcessUsage } from './ipc.ts';
import { runLoad } from './load.ts';
import { FLOOR_PROFILE_PREFIX, options, PROFILE_DIR, SIZES } from './options.ts';
import type { Mode, PhaseResult } from './phase-result.ts';
import { table } from './report.ts';
import { type Distribution, distribution } from './stats.ts';
import { type BenchWorld, startChild } from './world.ts';

/** One floor phase beside the gateway phase it mirrors. */
export interface FloorRow {
  mode: Mode;
  concurrency: 1;
  requests: number;
  failures: number;
  /** AWS calls of the floor answered other than 200 (a replay gone wrong; 0 expected). */
  refusedCalls: number;
  refusedSample?: string;
  /** The floor process's CPU per request. */
  cpuMsPerRequest: number;
  /** The gateway phase's `gatewayCpuMsPerRequest` (user with slots, same mode, c=1). */
  gatewayCpuMsPerRequest: number;
  /** Gateway minus floor: the CPU of the gateway's own code per request. */
  gatewayShareMs: number;
  totalMs: Distribution;
  /** The replayed calls, wave by wave: `before` the upstream request and `after` it. */
  exchanges: { before: string[]; after: string[]; bodyBytes: number };
}

let floorChild: Awaited<ReturnType<typeof startChild>> | undefined;

/** `BatchGetItem+PutItem×2`: a wave's operations. */
function waveLabel(wave: ExchangePlan['before'][number]): string {
  const counts = new Map<string, number>();
  for (const call of wave) counts.set(call.operation, (counts.get(call.operation) ?? 0) + 1);
  return [...counts].map(([name, count]) => (count > 1 ? `${name}×${count}` : name)).join('+');
}

/** Requests captured per mode; the most frequent set of calls among them is replayed. */
const CAPTURES = 5;

/** The calls of a plan before and after the upstream request, whatever their waves. */
function callsOf(plan: ExchangePlan): string {
  const sorted = (waves: ExchangePlan['before']) =>
    waves
      .flat()
      .map((call) => call.operation)
      .sort();
  return `${sorted(plan.before).join('+')} | ${sorted(plan.after).join('+')}`;
}

/** Captures a few warm requests of `gatewayRow`'s scenario, then runs its load against the floor. */
export async function measureFloor(world: BenchWorld, gatewayRow: PhaseResult): Promise<FloorRow> {
  const { mode } = gatewayRow;
  const name = `floor-${mode}`;
  const plan = (url: string, idPrefix: string, requests: number) => ({
    url,
    apiKey: world.keys.slots,
    stream: mode === 'stream',
    concurrency: 1,
    requests,
    maxMs: SIZES.maxMs,
    idPrefix,
    sessionPrefix: name,
    sessions: options.sessions,
    inputBytes: options.inputKb * 1024,
  });
  // The first request of the session makes it sticky; the captured ones are later turns. Now and
  // then a warm request refreshes the config cache, and its account slot comes in the first wave
  // when the account is known early: of a few captured, replay the most frequent set of calls, in
  // the most waves it came in (the usual warm sequence takes the account's slot in a second wave).
  await runLoad(plan(world.gatewayUrl, `${name}-sticky`, 1), world.agent);
  const seen = new Map<string, ExchangePlan[]>();
  for (let tries = 0; tries < CAPTURES; tries++) {
    await world.gateway.call('captureNext');
    const captured = await runLoad(plan(world.gatewayUrl, `${name}-capture-${tries}`, 1), world.agent);
    // The releases and the usage event go out after the answer has ended; let them settle.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exchanges = await world.gateway.call<ExchangePlan>('capturedPlan');
    if (captured.failures.length > 0) throw new Error(`floor capture failed: ${captured.failures[0]}`);
    const key = callsOf(exchanges);
    seen.set(key, [...(seen.get(key) ?? []), exchanges]);
  }
  const usual = [...seen.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const exchanges = usual.sort((a, b) => b.before.length - a.before.length)[0] ?? { before: [], after: [] };
  const fresh = floorChild === undefined;
  // With the gateway's heap limits and allocator, so a difference in GC is not counted as its own.
  floorChild ??= await startChild('floor', './floor-process.ts', { ...GATEWAY_ALLOCATOR_ENVIRONMENT }, [
    ...GATEWAY_NODE_OPTIONS.split(' '),
    ...(options.profile
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${PROFILE_DIR}`,
          `--cpu-prof-name=${FLOOR_PROFILE_PREFIX}${Date.now()}.cpuprofile`,
        ]
      : []),
  ]);
  const floorPlan: FloorPlan = {
    exchanges,
    dynamoEndpoint: String(world.dynamo.info.endpoint),
    eventsEndpoint: String(world.events.info.url),
    mockUrl: world.mockUrl,
  };
  await floorChild.call('setPlan', floorPlan);
  const url = String(floorChild.info.url);
  // A new process warms up as long as the gateway did (its JIT and connections), else as a phase.
  const warmUp = fresh ? SIZES.warmup : SIZES.phaseWarmup;
  await runLoad(plan(url, `${name}-warm`, warmUp), world.agent);
  await floorChild.call('refused');
  const before = await floorChild.call<ProcessUsage>('usage');
  const load = await runLoad(plan(url, name, SIZES.requests[1]), world.agent);
  const after = await floorChild.call<ProcessUsage>('usage');
  const refused = await floorChild.call<Refused>('refused');
  const n = Math.max(1, load.samples.length);
  const cpuMsPerRequest = (after.cpuMs - before.cpuMs) / n;
  const gatewayCpuMsPerRequest = gatewayRow.gatewayCpuMsPerRequest ?? Number.NaN;
  const calls = [...exchanges.before, ...exchanges.after].flat();
  return {
    mode,
    concurrency: 1,
    requests: load.samples.length,
    failures: load.failures.length,
    refusedCalls: refused.count,
    ...(refused.sample ? { refusedSample: refused.sample } : {}),
    cpuMsPerRequest,
    gatewayCpuMsPerRequest,
    gatewayShareMs: gatewayCpuMsPerRequest - cpuMsPerRequest,
    totalMs: distribution(load.samples.map((sample) => sample.totalMs)),
    exchanges: {
      before: exchanges.before.map(waveLabel),
      after: exchanges.after.map(waveLabel),
      bodyBytes: calls.reduce((sum, call) => sum + Buffer.byteLength(call.body), 0),
    },
  };
}

/** The floor beside the gateway, per mode. */
export function formatFloor(rows: readonly FloorRow[]): string {
  const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : '—');
  return [
    'Floor — a bare node:http relay making the same exchanges as a warm gateway request (c=1, user with slots)',
    table(
      [
        'mode',
        'n',
        'fail',
        'floor CPU ms/req',
        'gateway CPU ms/req',
        "gateway's own ms/req",
        'floor total p50',
      ],
      rows.map((row) => [
        row.mode,
        String(row.requests),
        String(row.failures + row.refusedCalls),
        fixed(row.cpuMsPerRequest),
        fixed(row.gatewayCpuMsPerRequest),
        fixed(row.gatewayShareMs),
        row.totalMs.p50.toFixed(2),
      ]),
    ),
    ...rows.map(
      (row) =>
        `${row.mode} replays: ${row.exchanges.before.join(' → ')} → upstream → ${row.exchanges.after.join(' → ')} (${row.exchanges.bodyBytes} body bytes)` +
        (row.refusedSample ? `; ${row.refusedCalls} calls refused, e.g. ${row.refusedSample}` : ''),
    ),
  ].join('\n');
}
