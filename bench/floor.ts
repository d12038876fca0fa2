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
import { type RequestSample, runLoad } from './load.ts';
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
  /** The floor with its AWS calls sent through the gateway's own clients (json-client.ts, eventbridge-client.ts). */
  clientsCpuMsPerRequest: number;
  /** That minus the floor: the part of the gateway's share that is its AWS clients' (signing, JSON, answers). */
  awsClientsShareMs: number;
  /** The floor as a streaming handler behind the local Function URL server (the Lambda runtime's part on AWS). */
  functionUrlCpuMsPerRequest: number;
  /** That minus the floor: the part of the gateway's share that is the Function URL emulation's. */
  functionUrlShareMs: number;
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

interface FloorRun {
  cpuMs: number;
  samples: RequestSample[];
  failures: number;
}

const emptyRun = (): FloorRun => ({ cpuMs: 0, samples: [], failures: 0 });

/** Requests captured per mode; the most frequent sequence among them is replayed. */
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

/** `BatchGetItem+PutItem×3 | DeleteItem×2+PutEvents`: a plan's waves. */
function sequenceOf(plan: ExchangePlan): string {
  return `${plan.before.map(waveLabel).join(' → ')} | ${plan.after.map(waveLabel).join(' → ')}`;
}

/** The plan whose key comes most often (the first of them on a tie). */
function mostFrequent(plans: readonly ExchangePlan[], keyOf: (plan: ExchangePlan) => string): ExchangePlan {
  const counts = new Map<string, number>();
  for (const plan of plans) counts.set(keyOf(plan), (counts.get(keyOf(plan)) ?? 0) + 1);
  let best: ExchangePlan = { before: [], after: [] };
  let bestCount = 0;
  for (const plan of plans) {
    const count = counts.get(keyOf(plan)) ?? 0;
    if (count > bestCount) [best, bestCount] = [plan, count];
  }
  return best;
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
  // then a warm request refreshes the config cache, or its `started` Put settles after the upstream
  // request started: of a few captured, replay the most frequent set of calls, in its most frequent
  // waves.
  await runLoad(plan(world.gatewayUrl, `${name}-sticky`, 1), world.agent);
  const captures: ExchangePlan[] = [];
  for (let tries = 0; tries < CAPTURES; tries++) {
    await world.gateway.call('captureNext');
    const captured = await runLoad(plan(world.gatewayUrl, `${name}-capture-${tries}`, 1), world.agent);
    // The releases and the usage event go out after the answer has ended; let them settle.
    await new Promise((resolve) => setTimeout(resolve, 200));
    captures.push(await world.gateway.call<ExchangePlan>('capturedPlan'));
    if (captured.failures.length > 0) throw new Error(`floor capture failed: ${captured.failures[0]}`);
  }
  const usualCalls = callsOf(mostFrequent(captures, callsOf));
  const exchanges = mostFrequent(
    captures.filter((capture) => callsOf(capture) === usualCalls),
    sequenceOf,
  );
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
  const child = floorChild;
  // Bare, through the gateway's AWS clients, and behind the Function URL emulation, in two rounds
  // (ABCABC) so a loaded machine's drift falls on all three; a new process warms each up as long as
  // the gateway did (its JIT and connections), else as a phase does.
  const runs = { bare: emptyRun(), clients: emptyRun(), functionUrl: emptyRun() };
  const kinds = ['bare', 'clients', 'functionUrl'] as const;
  await child.call('refused');
  for (const [index, kind] of [...kinds, ...kinds].entries()) {
    await child.call('setPlan', { ...floorPlan, gatewayClients: kind === 'clients' });
    const target = String(kind === 'functionUrl' ? child.info.functionUrl : child.info.url);
    if (index < kinds.length) {
      const warmUp = fresh ? SIZES.warmup : SIZES.phaseWarmup;
      await runLoad(plan(target, `${name}-${kind}-warm`, warmUp), world.agent);
    }
    const before = await child.call<ProcessUsage>('usage');
    const load = await runLoad(plan(target, `${name}-${kind}-${index}`, SIZES.requests[1] / 2), world.agent);
    const after = await child.call<ProcessUsage>('usage');
    runs[kind].cpuMs += after.cpuMs - before.cpuMs;
    runs[kind].samples.push(...load.samples);
    runs[kind].failures += load.failures.length;
  }
  const refused = await child.call<Refused>('refused');
  const perRequest = (run: FloorRun) => run.cpuMs / Math.max(1, run.samples.length);
  const cpuMsPerRequest = perRequest(runs.bare);
  const gatewayCpuMsPerRequest = gatewayRow.gatewayCpuMsPerRequest ?? Number.NaN;
  const calls = [...exchanges.before, ...exchanges.after].flat();
  return {
    mode,
    concurrency: 1,
    requests: runs.bare.samples.length,
    failures: runs.bare.failures + runs.clients.failures + runs.functionUrl.failures,
    refusedCalls: refused.count,
    ...(refused.sample ? { refusedSample: refused.sample } : {}),
    cpuMsPerRequest,
    gatewayCpuMsPerRequest,
    gatewayShareMs: gatewayCpuMsPerRequest - cpuMsPerRequest,
    clientsCpuMsPerRequest: perRequest(runs.clients),
    awsClientsShareMs: perRequest(runs.clients) - cpuMsPerRequest,
    functionUrlCpuMsPerRequest: perRequest(runs.functionUrl),
    functionUrlShareMs: perRequest(runs.functionUrl) - cpuMsPerRequest,
    totalMs: distribution(runs.bare.samples.map((sample) => sample.totalMs)),
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
        'floor via gateway AWS clients',
        'floor behind Function URL',
        'gateway CPU ms/req',
        "gateway's own ms/req",
        'of it AWS clients',
        'of it Function URL',
        'floor total p50',
      ],
      rows.map((row) => [
        row.mode,
        String(row.requests),
        String(row.failures + row.refusedCalls),
        fixed(row.cpuMsPerRequest),
        fixed(row.clientsCpuMsPerRequest),
        fixed(row.functionUrlCpuMsPerRequest),
        fixed(row.gatewayCpuMsPerRequest),
        fixed(row.gatewayShareMs),
        fixed(row.awsClientsShareMs),
        fixed(row.functionUrlShareMs),
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
