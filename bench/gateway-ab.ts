/**
 * `npm run bench:gateway-ab -- --gateway-base DIR [--rounds 4] [--requests 300] [--mode M]`: the gateway's
 * CPU per request at c=1 (user with slots, sessions on), this checkout's against another
 * checkout's (DIR, e.g. a `git worktree` of main with node_modules linked), both bundled as Lambda
 * runs them and started side by side against the same dynalite, mock upstream and events endpoint
 * (world.ts). Each round runs one load per mode through each gateway, the order swapped every
 * round, so a loaded machine's drift falls on both; it prints every round's figure, the medians and
 * ranges, and the median of the per-round differences. A change is a gain only when that
 * difference is clearly above the rounds' spread.
 *
 * `npm run bench:gateway-ab -- --fixed-profile [--requests 2000]`: instead, profiles this
 * checkout's gateway, from its sources, over c=1 loads of each mode only (a V8 profile sampled
 * every 100 µs between the load's first and last request), and prints where the time went by
 * function, inclusive and self, in µs per request.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Agent } from 'undici';
import type { BenchChild, ProcessUsage } from './ipc.ts';
import { runLoad } from './load.ts';
import { MODES, options, PROFILE_DIR, SIZES } from './options.ts';
import type { Mode } from './phase-result.ts';
import { summariseByFunction } from './profile-summary.ts';
import { table } from './report.ts';
import { quantile } from './stats.ts';
import { type BenchWorld, printChildOutput, startGateway, startWorld, stopWorld } from './world.ts';

const agent = new Agent({ connections: 8, keepAliveTimeout: 30_000, pipelining: 1 });

/** Bundles `dir`'s gateway process with `dir`'s own bundling settings; answers the bundle's path. */
async function bundleOf(dir: string): Promise<string> {
  const bundling = (await import(
    pathToFileURL(join(dir, 'infra/bundling.ts')).href
  )) as typeof import('../infra/bundling.ts');
  const outfile = join(dir, 'bench/results/gateway-process/index.mjs');
  await build({
    entryPoints: [join(dir, 'bench/gateway-process.ts')],
    absWorkingDir: dir,
    bundle: true,
    platform: 'node',
    outfile,
    logLevel: 'error',
    external: [...bundling.GATEWAY_NODE_MODULES],
    ...bundling.ESBUILD_OPTIONS,
    mainFields: [...bundling.ESBUILD_OPTIONS.mainFields],
  });
  return outfile;
}

/** One c=1 load of `mode` through `url`; answers the gateway's CPU per request completed. */
async function load(world: BenchWorld, gateway: BenchChild, mode: Mode, tag: string, requests: number) {
  const plan = {
    url: String(gateway.info.url),
    apiKey: world.keys.slots,
    stream: mode === 'stream',
    concurrency: 1,
    requests,
    maxMs: 120_000,
    idPrefix: `ab-${tag}-${mode}`,
    sessionPrefix: `ab-${gateway.name}-${mode}`,
    sessions: options.sessions,
  };
  const before = await gateway.call<ProcessUsage>('usage');
  const result = await runLoad(plan, agent);
  const after = await gateway.call<ProcessUsage>('usage');
  if (result.failures.length > 0) throw new Error(`${gateway.name} ${mode}: ${result.failures[0]}`);
  return (after.cpuMs - before.cpuMs) / Math.max(1, result.samples.length);
}

/** The modes compared or profiled: `--mode` alone, else both. */
const modes = MODES.filter((mode) => options.mode === '' || mode === options.mode);

const median = (values: readonly number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const range = (values: readonly number[]) =>
  `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;

async function compare(world: BenchWorld): Promise<void> {
  const base = resolve(options.gatewayBase);
  const gateways = [
    { label: 'base', child: await startGateway(await bundleOf(base), world, [], 'gateway-base') },
    { label: 'this', child: world.gateway },
  ];
  for (const { child } of gateways)
    for (const mode of modes) await load(world, child, mode, 'warm', SIZES.warmup);
  const figures = new Map<string, number[]>();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? gateways : [...gateways].reverse();
    const seen: string[] = [];
    for (const mode of modes) {
      for (const { label, child } of order) {
        const cpu = await load(world, child, mode, `r${round}`, options.requests);
        figures.set(`${label} ${mode}`, [...(figures.get(`${label} ${mode}`) ?? []), cpu]);
        seen.push(`${label} ${mode} ${cpu.toFixed(3)}`);
      }
    }
    // Each round as it ends, so a drift over the run (warm-up, load) can be seen.
    console.log(`round ${round + 1}: ${seen.join(', ')}`);
  }
  console.log(
    `gateway CPU ms/request at c=1, ${options.rounds} rounds of ${options.requests} requests, base ${base}`,
  );
  console.log(
    table(
      [
        'mode',
        'base median',
        'base range',
        'this median',
        'this range',
        'median Δ (this − base)',
        'rounds Δ',
      ],
      modes.map((mode) => {
        const baseRounds = figures.get(`base ${mode}`) ?? [];
        const thisRounds = figures.get(`this ${mode}`) ?? [];
        const deltas = thisRounds.map((value, index) => value - (baseRounds[index] ?? Number.NaN));
        return [
          mode,
          median(baseRounds).toFixed(3),
          range(baseRounds),
          median(thisRounds).toFixed(3),
          range(thisRounds),
          median(deltas).toFixed(3),
          deltas.map((delta) => delta.toFixed(3)).join(' '),
        ];
      }),
    ),
  );
}

async function profileFixedPath(world: BenchWorld): Promise<void> {
  const { gateway } = world;
  for (const mode of modes) await load(world, gateway, mode, 'warm', SIZES.warmup);
  for (const mode of modes) {
    const path = resolve(PROFILE_DIR, `fixed-${mode}-${Date.now()}.cpuprofile`);
    await gateway.call('profileStart');
    const cpu = await load(world, gateway, mode, 'profiled', options.requests);
    await gateway.call('profileStop', path);
    console.log(`\n${mode} c=1: ${cpu.toFixed(3)} ms CPU/request while profiled (${path})`);
    console.log(summariseByFunction(await readFile(path, 'utf8'), options.requests));
  }
}

async function main(): Promise<void> {
  if (modes.length === 0) throw new Error(`--mode is non-stream or stream, not ${options.mode}`);
  if (!options.fixedProfile && !options.gatewayBase)
    throw new Error('give --gateway-base DIR or --fixed-profile');
  if (options.fixedProfile && !options.gatewayFromSources)
    throw new Error('--fixed-profile profiles the sources: add --gateway-tsx');
  await mkdir(PROFILE_DIR, { recursive: true });
  const world = await startWorld(agent);
  try {
    if (options.fixedProfile) await profileFixedPath(world);
    else await compare(world);
  } finally {
    await stopWorld();
    await agent.close();
  }
}

main().catch((error: unknown) => {
  printChildOutput();
  console.error(error);
  process.exitCode = 1;
});
