/**
 * `npm run bench [-- --quick]`: the gateway's measured overhead.
 *
 * Starts dynalite, the mock upstream and the gateway (the local stack's handler behind the local
 * Function URL server), each in a child process of its own (world.ts), seeds a group of accounts
 * pointing at the mock and two users (one with concurrency slots, one unlimited), warms up, then
 * for non-stream and stream at concurrency 1 and 32 runs the same load against the mock directly
 * (the baseline) and through the gateway for each user (phases.ts), then the same load through the
 * whole local stack (stack-phases.ts). It prints the tables (see
 * report.ts) and writes every figure to `bench/results/latest.json`. Everything listens on
 * 127.0.0.1 and stops by itself.
 *
 * Options: `--quick` (a short run to check it works), `--accounts N` (default 3),
 * `--chunk-delay-ms N` between the mock's SSE frames (default 1), `--no-sessions` (send no
 * `session-id`), `--input-kb N` (pad each prompt to about N KB), `--gateway-heap-mb N` (cap the
 * gateway's V8 old space, to see its memory under a Lambda-sized limit), `--gateway-tsx` (run the
 * gateway from its sources under tsx instead of its Lambda bundle), `--profile` (write a V8 CPU
 * profile of the gateway process, from its sources, and of the local stack's, under
 * bench/results/profiles/), `--local-stack-only` (only the whole stack as `npm start` runs it,
 * stack-phases.ts), `--out FILE`.
 * docs/benchmarks.md explains every figure.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { Agent } from 'undici';
import { measureBundles, measureTokenizer } from './bundle.ts';
import { type FloorRow, formatFloor, measureFloor } from './floor.ts';
import type { ProcessUsage } from './ipc.ts';
import { formatTransfers, transferWorked } from './large-transfer.ts';
import {
  CONCURRENCIES,
  FLOOR_PROFILE_PREFIX,
  GATEWAY_PROFILE_PREFIX,
  MIB,
  MODES,
  options,
  PROFILE_DIR,
  SIZES,
  USERS,
} from './options.ts';
import { checkBudget, type PhaseResult } from './phase-result.ts';
import { createPhases } from './phases.ts';
import { summariseProfile } from './profile-summary.ts';
import { formatReport } from './report.ts';
import { gatewayAloneOf } from './stack-gateway-alone.ts';
import { type LocalStackFigures, measureLocalStack } from './stack-phases.ts';
import { formatLocalStack } from './stack-report.ts';
import { codeRevision, costFigures, formatExtras, measureRecorder, type RecorderFigures } from './summary.ts';
import { printChildOutput, startMock, startWorld, stopWorld } from './world.ts';

const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, pipelining: 1 });

async function main(): Promise<void> {
  const startedAt = new Date();
  if (options.localStackOnly) return localStackOnly();
  const world = await startWorld(agent);
  const { gateway } = world;
  const phases = createPhases(world);
  const idle = {
    rssMb: (await gateway.call<ProcessUsage>('usage')).rssBytes / MIB,
    heapAfterGcMb: (await gateway.call<number>('heapAfterGc')) / MIB,
  };
  const loadBefore = loadavg();
  const revision = codeRevision();

  // Large answers alone: after the warm-up's one-at-a-time requests, as on a Lambda instance that
  // has served some, and with no other phase's load in the figures; else last.
  if (options.largeOnly) {
    await phases.warmUp();
    const transfers = await phases.largeTransfers();
    console.log(`quotagate bench — large answers only — code ${revision}, load ${loadavg()[0]?.toFixed(1)}`);
    console.log(formatTransfers(transfers, options.largeTextMb));
    if (!transfers.every(transferWorked)) process.exitCode = 1;
    return;
  }

  await phases.warmUp();
  const results: PhaseResult[] = [];
  let recorder: RecorderFigures | undefined;
  const floor: FloorRow[] = [];
  for (const concurrency of CONCURRENCIES) {
    for (const mode of MODES) {
      results.push(await phases.run({ mode, concurrency, target: 'direct' }));
      for (const user of USERS) {
        const row = await phases.run({ mode, concurrency, target: 'gateway', user });
        results.push(row);
        // The recorder runs after the measured phase, over its events, so its CPU is not the gateway's.
        if (mode === 'stream' && concurrency === 1 && user === 'slots')
          recorder = await measureRecorder(world, SIZES.recorded);
        // After the recorder: the floor's PutEvents would be among the events it records.
        if (concurrency === 1 && user === 'slots') floor.push(await measureFloor(world, row));
      }
      // As on Lambda: every request finds the config cache expired.
      if (concurrency === 1)
        results.push(
          await phases.run({ mode, concurrency, target: 'gateway', user: 'slots', cache: 'cold' }),
        );
    }
  }
  const measured = await measureLocalStack(world);
  const localStack = { ...measured, gatewayAlone: gatewayAloneOf(results, measured.stream) };
  const bundle = await measureBundles(SIZES.imports);
  const tokenizer = await measureTokenizer(SIZES.imports);
  const costs = costFigures(results, recorder);

  const transfers = await phases.largeTransfers();
  const budget = checkBudget(results);
  const load = { before: loadBefore, after: loadavg() };
  const heading = [
    `quotagate bench ${options.quick ? '(quick) ' : ''}— ${startedAt.toISOString()} — ` +
      `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}; ` +
      `${options.accounts} accounts, chunk delay ${options.chunkDelayMs} ms, ${options.sessions ? 'session-id per worker' : 'no sessions'}, ` +
      `prompt ${options.inputKb > 0 ? `≈ ${options.inputKb} KB` : 'short'}` +
      `${options.gatewayHeapMb > 0 ? `, gateway old space ≤ ${options.gatewayHeapMb} MB` : ''}` +
      `, gateway ${options.gatewayFromSources ? 'from sources (tsx)' : 'bundled'}; code ${revision}`,
    `Machine load average (1 min) ${load.before[0]?.toFixed(1)} before, ${load.after[0]?.toFixed(1)} after; ` +
      `gateway at start (idle, loaded): RSS ${idle.rssMb.toFixed(0)} MB, heap ${idle.heapAfterGcMb.toFixed(1)} MB after GC`,
  ].join('\n');
  console.log(formatReport(results, budget, heading));
  console.log(`\n${formatFloor(floor)}`);
  console.log(formatExtras({ recorder, bundle, tokenizer, costs }));
  console.log(`\n${formatLocalStack(localStack)}`);
  if (transfers.length > 0) console.log(`\n${formatTransfers(transfers, options.largeTextMb)}`);
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
      accounts: options.accounts,
      chunkDelayMs: options.chunkDelayMs,
      sessions: options.sessions,
      inputKb: options.inputKb,
      gatewayHeapMb: options.gatewayHeapMb,
      gatewayBundled: !options.gatewayFromSources,
      largeTextMb: options.largeTextMb,
      sizes: SIZES,
    },
    budget,
    tokenizer,
    bundle: {
      gatewayBytes: bundle.gatewayBytes,
      importMsMedian: bundle.importMsMedian,
      sourceMapBytes: bundle.sourceMapBytes,
      importMs: bundle.importMs,
      importCpuMsMedian: bundle.importCpuMsMedian,
      importCpuMs: bundle.importCpuMs,
      recorderBytes: bundle.recorderBytes,
      recorderImportMsMedian: bundle.recorderImportMsMedian,
      recorderImportMs: bundle.recorderImportMs,
      recorderImportCpuMsMedian: bundle.recorderImportCpuMsMedian,
    },
    costPerMillion: costs,
    recorderWritesPerRequest: recorder?.writesPerEvent ?? null,
    indexWritesPerRequest: costs.indexWritesPerRequest,
    recorder,
    results,
    floor,
    localStack,
    largeTransfers: transfers,
  };
  await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `\nFigures written to ${options.out} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s).`,
  );
  const floorFailed = floor.some((row) => row.failures + row.refusedCalls > 0);
  if (failed.length > 0 || floorFailed || !transfers.every(transferWorked) || !stackWhole(localStack))
    process.exitCode = 1;
}

/**
 * `--local-stack-only`: the local-stack phases alone. Their figures replace `localStack` in the
 * output file and leave the rest of it (an earlier full run's) as it was.
 */
/** The local stack's processes by id, once its phases ran: whose profile is which. */
let stackProfileParts: LocalStackFigures['processParts'] = {};

async function localStackOnly(): Promise<void> {
  const mock = await startMock();
  const loadBefore = loadavg();
  const localStack = {
    startedAt: new Date().toISOString(),
    revision: codeRevision(),
    ...(await measureLocalStack({ mock, mockUrl: String(mock.info.url), agent })),
    loadAverage: { before: loadBefore, after: loadavg() },
  };
  console.log(
    `quotagate bench — local stack only ${options.quick ? '(quick) ' : ''}— code ${localStack.revision}, ` +
      `load average (1 min) ${loadBefore[0]?.toFixed(1)} before, ${localStack.loadAverage.after[0]?.toFixed(1)} after`,
  );
  console.log(formatLocalStack(localStack));
  stackProfileParts = localStack.processParts;
  const earlier = await readFile(options.out, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    () => ({}),
  );
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify({ ...earlier, localStack }, null, 2)}\n`);
  console.log(`\nFigures written to ${options.out} (localStack).`);
  if (!stackWhole(localStack)) process.exitCode = 1;
}

/** Every request answered and nothing left running after Ctrl-C. */
function stackWhole(figures: LocalStackFigures): boolean {
  return figures.rows.every((row) => row.failures === 0) && figures.stop.leftovers.length === 0;
}

try {
  await main();
} catch (error) {
  console.error(error);
  printChildOutput();
  process.exitCode = 1;
} finally {
  await stopWorld();
  await agent.close();
}
if (options.profile && !process.exitCode) await printProfiles();

/**
 * The profiles written in this run, read only now (a process writes its profile as it exits):
 * the gateway's (the latest named `gateway-<ms>.cpuprofile`: a full run profiles the local stack's
 * processes too) and the floor's (`floor-<ms>.cpuprofile`, floor.ts), and with --local-stack-only one per process of the local stack, named by its
 * part (each process's file carries its id).
 */
async function printProfiles(): Promise<void> {
  const files = (await readdir(PROFILE_DIR)).filter((file) => file.endsWith('.cpuprofile')).sort();
  const stackParts = options.localStackOnly ? stackProfileParts : {};
  const chosen = options.localStackOnly
    ? files.flatMap((file) => {
        const part = stackParts[Number(file.split('.')[3])];
        return part ? [{ file, title: `Local stack's ${part} process` }] : [];
      })
    : [
        ...files
          .filter((file) => file.startsWith(GATEWAY_PROFILE_PREFIX))
          .slice(-1)
          .map((file) => ({ file, title: 'Gateway' })),
        ...files
          .filter((file) => file.startsWith(FLOOR_PROFILE_PREFIX))
          .slice(-1)
          .map((file) => ({ file, title: 'Floor (its phases only)' })),
      ];
  for (const { file, title } of chosen) {
    console.log(`\n${summariseProfile(await readFile(`${PROFILE_DIR}/${file}`, 'utf8'), title)}`);
    console.log(`(${PROFILE_DIR}/${file}; open it in Chrome DevTools for the call tree)`);
  }
}
