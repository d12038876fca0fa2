/**
 * `npm run bench [-- --quick]`: the gateway's measured overhead.
 *
 * Starts dynalite, the mock upstream and the gateway (the local stack's handler behind the local
 * Function URL server), each in a child process of its own, seeds a group of accounts pointing at
 * the mock and two users (one with concurrency slots, one unlimited), warms up, then for
 * non-stream and stream at concurrency 1 and 32 runs the same load against the mock directly (the
 * baseline) and through the gateway for each user. It prints the tables (see report.ts) and writes
 * every figure to `bench/results/latest.json`. Everything listens on 127.0.0.1 and stops by itself.
 *
 * Options: `--quick` (a short run to check it works), `--accounts N` (default 3),
 * `--chunk-delay-ms N` between the mock's SSE frames (default 1), `--no-sessions` (send no
 * `session-id`), `--input-kb N` (pad each prompt to about N KB), `--gateway-heap-mb N` (cap the
 * gateway's V8 old space, to see its memory under a Lambda-sized limit), `--profile` (write a V8
 * CPU profile of the gateway process under bench/results/profiles/), `--out FILE`.
 * docs/benchmarks.md explains every figure.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { loadSettings } from '#shared/settings.ts';
import { GATEWAY_MEMORY_MB, RECORDER_MEMORY_MB } from '../infra/function-memory.ts';
import { measureGatewayBundle, measureTokenizer } from './bundle.ts';
import { costPerMillion, PRICES } from './cost.ts';
import { type BenchChild, forkBenchChild, type ProcessUsage } from './ipc.ts';
import { formatTransfers, measureTransfer, type TransferResult } from './large-transfer.ts';
import { type LoadPlan, type RequestSample, runLoad } from './load.ts';
import { type BenchUser, checkBudget, type Mode, type PhaseResult, type Scenario } from './phase-result.ts';
import { summariseProfile } from './profile-summary.ts';
import { formatReport } from './report.ts';
import type { DynamoSummary } from './request-trace.ts';
import { seedBench } from './seed.ts';
import { distribution } from './stats.ts';

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    accounts: { type: 'string', default: '3' },
    'chunk-delay-ms': { type: 'string', default: '1' },
    'no-sessions': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'input-kb': { type: 'string', default: '0' },
    'gateway-heap-mb': { type: 'string', default: '0' },
    'large-text-mb': { type: 'string', default: '20' },
    'large-only': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/latest.json' },
  },
});

const SIZES = options.quick
  ? { warmup: 40, phaseWarmup: 10, requests: { 1: 40, 32: 200 }, maxMs: 2_000, imports: 5, recorded: 40 }
  : {
      warmup: 200,
      phaseWarmup: 50,
      requests: { 1: 500, 32: 2_000 },
      maxMs: 15_000,
      imports: 9,
      recorded: 200,
    };
const CONCURRENCIES = [1, 32] as const;
const MODES: Mode[] = ['non-stream', 'stream'];
const USERS: BenchUser[] = ['slots', 'unlimited'];
/** User slots of the finite user and per account: enough that c=32 is not queued, yet slots are taken. */
const USER_CONCURRENCY = 64;
const ACCOUNT_CONCURRENCY = 64;
const MIB = 1024 * 1024;
const PROFILE_DIR = 'bench/results/profiles';

const accounts = Number(options.accounts);
const chunkDelayMs = Number(options['chunk-delay-ms']);
const sessions = !options['no-sessions'];
const inputKb = Number(options['input-kb']);
const gatewayHeapMb = Number(options['gateway-heap-mb']);
const largeTextMb = Number(options['large-text-mb']);
const settings = loadSettings({ QG_STAGE: 'bench' });
const children: BenchChild[] = [];
const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, pipelining: 1 });

async function start(
  name: string,
  script: string,
  env: Record<string, string>,
  nodeOptions: string[] = [],
): Promise<BenchChild> {
  const child = await forkBenchChild(name, new URL(script, import.meta.url), env, nodeOptions);
  children.push(child);
  return child;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const [dynamo, mock] = await Promise.all([
    start('dynalite', './dynamo-process.ts', { BENCH_TABLES: JSON.stringify(settings.tables) }),
    start('mock upstream', './mock-process.ts', { BENCH_CHUNK_DELAY_MS: String(chunkDelayMs) }),
  ]);
  const dynamoEndpoint = String(dynamo.info.endpoint);
  const mockUrl = String(mock.info.url);
  const keys = await seedBench({
    dynamoEndpoint,
    configTable: settings.tables.config,
    mockUrl,
    accounts,
    accountConcurrency: ACCOUNT_CONCURRENCY,
    userConcurrency: USER_CONCURRENCY,
  });
  const gateway = await start(
    'gateway',
    './gateway-process.ts',
    {
      QG_STAGE: 'bench',
      BENCH_DYNAMO_ENDPOINT: dynamoEndpoint,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    },
    [
      '--expose-gc',
      ...(gatewayHeapMb > 0 ? [`--max-old-space-size=${gatewayHeapMb}`] : []),
      ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    ],
  );
  const gatewayUrl = String(gateway.info.url);
  const idle = {
    rssMb: (await gateway.call<ProcessUsage>('usage')).rssBytes / MIB,
    heapAfterGcMb: (await gateway.call<number>('heapAfterGc')) / MIB,
  };
  const loadBefore = loadavg();
  const revision = codeRevision();

  const plan = (
    scenario: Scenario,
    idPrefix: string,
    requests: number,
    sessionPrefix?: string,
  ): LoadPlan => ({
    url: scenario.target === 'gateway' ? gatewayUrl : mockUrl,
    apiKey: scenario.user ? keys[scenario.user] : 'sk-bench-direct',
    stream: scenario.mode === 'stream',
    concurrency: scenario.concurrency,
    requests,
    maxMs: SIZES.maxMs,
    idPrefix,
    ...(sessionPrefix ? { sessionPrefix } : {}),
    sessions,
    inputBytes: inputKb * 1024,
  });

  // Large answers first when alone, else last: either way no other phase's garbage is in the figures.
  async function runLargeTransfers(): Promise<TransferResult[]> {
    if (largeTextMb <= 0) return [];
    const behaviour = { kind: 'ok', textBytes: largeTextMb * MIB, deltaBytes: 16 * 1024 };
    await mock.call('setBehaviour', behaviour);
    const results: TransferResult[] = [];
    const answers = [
      { stream: true, api: 'responses' },
      { stream: false, api: 'responses' },
      { stream: true, api: 'chat' },
    ] as const;
    for (const { stream, api } of answers) {
      results.push(await measureTransfer({ url: mockUrl, apiKey: 'sk-bench-direct', stream, api, agent }));
      await gateway.call<number>('heapAfterGc');
      results.push(
        await measureTransfer({
          url: gatewayUrl,
          apiKey: keys.unlimited,
          stream,
          api,
          agent,
          sampleRss: () => gateway.call<ProcessUsage>('usage'),
        }),
      );
    }
    await mock.call('reset');
    return results;
  }
  if (options['large-only']) {
    const transfers = await runLargeTransfers();
    console.log(
      `quotagate bench — large answers only — code ${codeRevision()}, load ${loadavg()[0]?.toFixed(1)}`,
    );
    console.log(formatTransfers(transfers, largeTextMb));
    if (transfers.some((transfer) => !transfer.complete)) process.exitCode = 1;
    return;
  }

  // JIT and caches warm before anything is measured. One request at a time, as a Lambda instance
  // serves them, so the memory figures of the c=1 phases (run first) are a Lambda's; each phase
  // warms its own connections.
  for (const user of USERS) {
    for (const mode of MODES) {
      const warm = { mode, concurrency: 1, target: 'gateway', user } as const;
      await runLoad(plan(warm, `warmup-${user}-${mode}`, SIZES.warmup / 2), agent);
      await runLoad(plan({ ...warm, target: 'direct' }, `warmup-direct-${mode}`, SIZES.warmup / 4), agent);
    }
  }

  async function runPhase(scenario: Scenario): Promise<PhaseResult> {
    const name = `${scenario.mode}-c${scenario.concurrency}-${scenario.user ?? 'direct'}${scenario.cache ? `-${scenario.cache}` : ''}`;
    await gateway.call('coldConfig', scenario.cache === 'cold');
    // The warm-up opens the phase's conversations; the measured requests are their later turns.
    await runLoad(plan(scenario, `${name}-warm`, SIZES.phaseWarmup, name), agent);
    await Promise.all([mock.call('reset'), gateway.call('reset')]);
    const outputBefore = gateway.output();
    const usage = () =>
      Promise.all([gateway, dynamo, mock].map((child) => child.call<ProcessUsage>('usage')));
    const before = await usage();
    const load = await runLoad(
      plan(scenario, name, SIZES.requests[scenario.concurrency as 1 | 32], name),
      agent,
    );
    const after = await usage();
    const dynamoSummary =
      scenario.target === 'gateway' ? await gateway.call<DynamoSummary>('traces') : undefined;
    const heapAfterGc = scenario.target === 'gateway' ? await gateway.call<number>('heapAfterGc') : 0;
    const frames = scenario.mode === 'stream' ? await mock.call<Record<string, number[]>>('frameTimes') : {};
    const n = load.samples.length;
    const cpuPerRequest = (index: number) =>
      ((after[index]?.cpuMs ?? 0) - (before[index]?.cpuMs ?? 0)) / Math.max(1, n);
    const gatewayUsage = after[0] as ProcessUsage;
    if (scenario.cache === 'cold') await gateway.call('coldConfig', false);
    return {
      ...scenario,
      requests: n,
      failures: load.failures.length,
      failureSamples: load.failures.slice(0, 3),
      elapsedMs: load.elapsedMs,
      requestsPerSecond: n / (load.elapsedMs / 1000),
      ttfbMs: distribution(load.samples.map((sample) => sample.ttfbMs)),
      totalMs: distribution(load.samples.map((sample) => sample.totalMs)),
      ...(scenario.mode === 'stream'
        ? { eventDelayMs: distribution(eventDelays(load.samples, frames)) }
        : {}),
      dynaliteCpuMsPerRequest: cpuPerRequest(1),
      mockCpuMsPerRequest: cpuPerRequest(2),
      ...(dynamoSummary
        ? {
            gatewayCpuMsPerRequest: cpuPerRequest(0),
            gateway: {
              cpuMsPerRequest: cpuPerRequest(0),
              rssMb: gatewayUsage.rssBytes / MIB,
              maxRssMb: gatewayUsage.maxRssBytes / MIB,
              heapAfterGcMb: heapAfterGc / MIB,
              dynamo: dynamoSummary,
              logLines: gateway.output().count - outputBefore.count,
              metricLinesPerRequest:
                (gateway.output().metricLines - outputBefore.metricLines) / Math.max(1, n),
            },
          }
        : {}),
    };
  }

  const results: PhaseResult[] = [];
  let recorder: RecorderFigures | undefined;
  for (const concurrency of CONCURRENCIES) {
    for (const mode of MODES) {
      results.push(await runPhase({ mode, concurrency, target: 'direct' }));
      for (const user of USERS) {
        results.push(await runPhase({ mode, concurrency, target: 'gateway', user }));
        // The recorder runs after the measured phase, over its events, so its CPU is not the gateway's.
        if (mode === 'stream' && concurrency === 1 && user === 'slots')
          recorder = await gateway.call<RecorderFigures>('recordEvents', SIZES.recorded);
      }
      // As on Lambda: every request finds the config cache expired.
      if (concurrency === 1)
        results.push(await runPhase({ mode, concurrency, target: 'gateway', user: 'slots', cache: 'cold' }));
    }
  }
  const bundle = await measureGatewayBundle(SIZES.imports);
  const tokenizer = await measureTokenizer(SIZES.imports);
  const costs = costFigures(results, recorder);

  const transfers = await runLargeTransfers();
  const budget = checkBudget(results);
  const load = { before: loadBefore, after: loadavg() };
  const heading = [
    `quotagate bench ${options.quick ? '(quick) ' : ''}— ${startedAt.toISOString()} — ` +
      `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}; ` +
      `${accounts} accounts, chunk delay ${chunkDelayMs} ms, ${sessions ? 'session-id per worker' : 'no sessions'}, ` +
      `prompt ${inputKb > 0 ? `≈ ${inputKb} KB` : 'short'}` +
      `${gatewayHeapMb > 0 ? `, gateway old space ≤ ${gatewayHeapMb} MB` : ''}; code ${revision}`,
    `Machine load average (1 min) ${load.before[0]?.toFixed(1)} before, ${load.after[0]?.toFixed(1)} after; ` +
      `gateway at start (idle, loaded): RSS ${idle.rssMb.toFixed(0)} MB, heap ${idle.heapAfterGcMb.toFixed(1)} MB after GC`,
  ].join('\n');
  console.log(formatReport(results, budget, heading));
  console.log(
    `\nRecorder: ${fixed(recorder?.writesPerEvent)} DynamoDB writes and ${fixed(recorder?.readsPerEvent)} reads per request ` +
      `(${recorder?.events ?? 0} usage events of the stream c=1 phase recorded after it, one at a time)`,
  );
  console.log(
    `Gateway bundle (the stack's esbuild settings): ${(bundle.gatewayBytes / 1024).toFixed(0)} KB ` +
      `(+ ${(bundle.sourceMapBytes / 1024).toFixed(0)} KB source map); import in a fresh process, median of ` +
      `${bundle.importMs.length}: ${bundle.importMsMedian.toFixed(1)} ms (${bundle.importMs.map((ms) => ms.toFixed(0)).join(', ')})`,
  );
  console.log(
    `Tokenizer beside the bundle (loaded only to bill a stream cut short): ${(tokenizer.bytes / 1024).toFixed(0)} KB ` +
      `minified; first load and count in a fresh process, median of ${tokenizer.importMs.length}: ` +
      `${tokenizer.importMsMedian.toFixed(0)} ms`,
  );
  console.log(
    `Cost per million requests at ${costs.memoryMb} MB (docs/deploy.md, prices of ${PRICES.asOf}): ` +
      `$${costs.stream2sUsd.toFixed(2)} for 2 s streams, $${costs.stream20sUsd.toFixed(2)} for 20 s streams`,
  );
  if (transfers.length > 0) console.log(`\n${formatTransfers(transfers, largeTextMb)}`);
  const failed = results.filter((result) => result.failures > 0);
  for (const result of failed) {
    console.log(
      `\n${result.mode} c=${result.concurrency} ${result.user ?? 'direct'}: ${result.failures} failed`,
    );
    for (const sample of result.failureSamples) console.log(`  ${sample}`);
  }
  const gatewayOutput = gateway.output();
  if (gatewayOutput.count > 0)
    console.log(`\nLast gateway log lines:\n${gatewayOutput.lines.slice(-5).join('\n')}`);

  await mkdir(dirname(options.out), { recursive: true });
  const report = {
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model.trim(),
      node: process.version,
      loadAverage: load,
    },
    gatewayAtStart: idle,
    revision,
    options: {
      quick: options.quick,
      accounts,
      chunkDelayMs,
      sessions,
      inputKb,
      gatewayHeapMb,
      largeTextMb,
      sizes: SIZES,
    },
    budget,
    tokenizer,
    bundle: {
      gatewayBytes: bundle.gatewayBytes,
      importMsMedian: bundle.importMsMedian,
      sourceMapBytes: bundle.sourceMapBytes,
      importMs: bundle.importMs,
    },
    costPerMillion: costs,
    recorderWritesPerRequest: recorder?.writesPerEvent ?? null,
    recorder,
    results,
    largeTransfers: transfers,
  };
  await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `\nFigures written to ${options.out} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s).`,
  );
  if (failed.length > 0 || transfers.some((transfer) => !transfer.complete)) process.exitCode = 1;
}

interface RecorderFigures {
  events: number;
  writesPerEvent: number;
  readsPerEvent: number;
}

const fixed = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));

/**
 * Cost per million at the stack's memory size: the stream c=1 phase of the user with slots gives
 * the gateway's added time and DynamoDB requests (warm, so its reads are few), the recorder's
 * figures are added.
 */
function costFigures(results: readonly PhaseResult[], recorder: RecorderFigures | undefined) {
  const find = (target: PhaseResult['target']) =>
    results.find(
      (result) =>
        result.target === target &&
        result.mode === 'stream' &&
        result.concurrency === 1 &&
        !result.cache &&
        (target === 'direct' || result.user === 'slots'),
    );
  const gateway = find('gateway');
  const direct = find('direct');
  const dynamo = gateway?.gateway?.dynamo;
  const input = {
    gatewayMemoryMb: GATEWAY_MEMORY_MB,
    recorderMemoryMb: RECORDER_MEMORY_MB,
    gatewayOverheadMs: Math.max(0, (gateway?.totalMs.p50 ?? 0) - (direct?.totalMs.p50 ?? 0)),
    writes: (dynamo?.writesPerRequest ?? 0) + (recorder?.writesPerEvent ?? 0),
    reads: (dynamo?.readsPerRequest ?? 0) + (recorder?.readsPerEvent ?? 0),
  };
  return {
    memoryMb: GATEWAY_MEMORY_MB,
    stream2sUsd: costPerMillion({ ...input, streamSeconds: 2 }),
    stream20sUsd: costPerMillion({ ...input, streamSeconds: 20 }),
  };
}

/** The commit measured, marked `+changes` when the gateway's code differs from it. */
function codeRevision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = git('status', '--porcelain', '--', 'shared', 'functions', 'local') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? '+changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** For each request: client arrival minus mock write, event by event. */
function eventDelays(samples: readonly RequestSample[], frames: Record<string, number[]>): number[] {
  return samples.flatMap((sample) => {
    const written = frames[sample.id] ?? [];
    const count = Math.min(written.length, sample.eventTimes.length);
    return Array.from({ length: count }, (_, i) => (sample.eventTimes[i] as number) - (written[i] as number));
  });
}

try {
  await main();
} catch (error) {
  console.error(error);
  for (const child of children) {
    const { lines } = child.output();
    if (lines.length > 0) console.error(`--- ${child.name} ---\n${lines.join('\n')}`);
  }
  process.exitCode = 1;
} finally {
  await Promise.all(children.map((child) => child.stop()));
  await agent.close();
}
if (options.profile && !process.exitCode) {
  // The gateway writes its profile as it exits, so it is read only now.
  const files = (await readdir(PROFILE_DIR)).filter((file) => file.endsWith('.cpuprofile')).sort();
  const latest = files.at(-1);
  if (latest) {
    console.log(`\n${summariseProfile(await readFile(`${PROFILE_DIR}/${latest}`, 'utf8'))}`);
    console.log(`(${PROFILE_DIR}/${latest}; open it in Chrome DevTools for the call tree)`);
  }
}
