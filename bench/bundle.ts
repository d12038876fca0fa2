/**
 * The functions as Lambda loads them: each bundled with the stack's own esbuild settings
 * (`infra/bundling.ts`), its size, and how long a fresh Node process takes to import it with the
 * NODE_OPTIONS the stack gives that function. Each import runs in a new process, as a cold start
 * does; the median of several is reported.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import {
  ESBUILD_OPTIONS,
  GATEWAY_ALLOCATOR_ENVIRONMENT,
  GATEWAY_NODE_MODULES,
  GATEWAY_NODE_OPTIONS,
} from '../infra/bundling.ts';
import { FUNCTION_ENTRIES } from '../infra/function-entries.ts';
import { distribution } from './stats.ts';

/** A function of the stack, by its name in `FUNCTION_ENTRIES`. */
export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/** One function's bundle: its size and the import time of a fresh process. */
export interface FunctionBundleFigures {
  /** Size of the bundled handler (index.mjs), source map not counted. */
  bytes: number;
  /** Its source map, which each function reads at its first stack trace (functions/lazy-source-maps.ts). */
  sourceMapBytes: number;
  importMsMedian: number;
  importMs: number[];
  /**
   * The CPU time (user + system) of the same imports: on a machine shared with other work the
   * wall time waits for the CPU too, this does not.
   */
  importCpuMsMedian: number;
  importCpuMs: number[];
  /** What the bundle is made of, as esbuild writes it. */
  metafile: Metafile;
}

/**
 * The gateway's figures under the names `bench/results/latest.json` has always given them, and
 * the recorder's beside them: the function that cold-starts at every scale-out of the usage events.
 */
export interface BundleFigures extends Omit<FunctionBundleFigures, 'bytes' | 'metafile'> {
  gatewayBytes: number;
  recorderBytes: number;
  recorderImportMsMedian: number;
  recorderImportMs: number[];
  recorderImportCpuMsMedian: number;
}

/**
 * How the stack runs each function: the gateway loads some packages from beside its bundle and
 * has NODE_OPTIONS and an allocator setting of its own (`infra/constructs/gateway.ts`); the other
 * functions bundle everything and run with no NODE_OPTIONS.
 */
function runtimeOf(name: FunctionName) {
  return name === 'gateway'
    ? {
        external: GATEWAY_NODE_MODULES,
        nodeOptions: GATEWAY_NODE_OPTIONS.split(' '),
        env: GATEWAY_ALLOCATOR_ENVIRONMENT,
      }
    : { external: [], nodeOptions: [], env: {} };
}

// Lambda's runtime provides `awslambda`; middy reads it when the handler module is evaluated.
const IMPORT_SCRIPT = `
globalThis.awslambda = { streamifyResponse: (h) => h, HttpResponseStream: { from: (s) => s } };
const started = performance.now();
const cpu = process.cpuUsage();
await import(process.argv[1]);
const used = process.cpuUsage(cpu);
process.stdout.write(\`\${performance.now() - started} \${(used.user + used.system) / 1000}\`);
`;

/** Bundles the function `name` into a temporary folder and times `imports` fresh imports of it. */
export async function measureFunctionBundle(
  name: FunctionName,
  imports: number,
): Promise<FunctionBundleFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'quotagate-bundle-'));
  try {
    const outfile = join(dir, 'index.mjs');
    const metafile = await bundleFunction(name, outfile);
    const runs = await timeImports(name, outfile, imports);
    const importMs = runs.map(([wall]) => wall);
    const importCpuMs = runs.map(([, cpu]) => cpu);
    return {
      bytes: (await stat(outfile)).size,
      sourceMapBytes: (await stat(`${outfile}.map`)).size,
      importMsMedian: distribution(importMs).p50,
      importMs,
      importCpuMsMedian: distribution(importCpuMs).p50,
      importCpuMs,
      metafile,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Times `imports` fresh imports of `file`, a bundle of the function `name`, with the NODE_OPTIONS
 * the stack gives it: wall and CPU milliseconds of each.
 */
export function timeImports(name: FunctionName, file: string, imports: number): Promise<[number, number][]> {
  return freshRuns(imports, IMPORT_SCRIPT, file, {
    ...runtimeOf(name),
    env: { ...runtimeOf(name).env, QG_STAGE: 'bench', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'WARN' },
  });
}

/** The gateway's and the recorder's bundle figures, `imports` fresh imports of each. */
export async function measureBundles(imports: number): Promise<BundleFigures> {
  const { bytes, metafile: _, ...figures } = await measureFunctionBundle('gateway', imports);
  const recorder = await measureFunctionBundle('recorder', imports);
  return {
    gatewayBytes: bytes,
    ...figures,
    recorderBytes: recorder.bytes,
    recorderImportMsMedian: recorder.importMsMedian,
    recorderImportMs: recorder.importMs,
    recorderImportCpuMsMedian: recorder.importCpuMsMedian,
  };
}

export interface TokenizerFigures {
  /** The rank table the gateway reads from disk on need (js-tiktoken's `o200k_base`). */
  bytes: number;
  /** First load and count in a fresh process with the gateway's NODE_OPTIONS, as on need. */
  importMsMedian: number;
  importMs: number[];
  /** Resident memory the loaded counter adds (after a full collection), median of the loads. */
  residentMbMedian: number;
  residentMb: number[];
}

const TOKENIZER_IMPORT_SCRIPT = `
const { tokenCounter } = await import(process.argv[1]);
globalThis.gc();
const before = process.memoryUsage().rss;
const started = performance.now();
const count = await tokenCounter();
count('warm');
const ms = performance.now() - started;
globalThis.gc();
process.stdout.write(\`\${ms} \${(process.memoryUsage().rss - before) / 2 ** 20}\`);
`;

/**
 * The token counter the gateway loads only to bill a stream cut short: its rank table's size, and
 * the time and resident memory of its first load. The counter is bundled as the gateway bundles
 * it, into a folder under node_modules so that the rank table resolves from there as on Lambda.
 */
export async function measureTokenizer(imports: number): Promise<TokenizerFigures> {
  const dir = await mkdtemp(join(process.cwd(), 'node_modules', '.quotagate-tokenizer-'));
  try {
    const outfile = join(dir, 'tokenizer.mjs');
    await bundleAsGateway(fileURLToPath(import.meta.resolve('#shared/gateway/token-count.ts')), outfile);
    const gateway = runtimeOf('gateway');
    const runs = await freshRuns(imports, TOKENIZER_IMPORT_SCRIPT, outfile, {
      nodeOptions: [...gateway.nodeOptions, '--expose-gc'],
      env: gateway.env,
    });
    const importMs = runs.map(([ms]) => ms);
    const residentMb = runs.map(([, mb]) => mb);
    const ranks = fileURLToPath(import.meta.resolve('js-tiktoken/ranks/o200k_base'));
    return {
      bytes: (await stat(ranks)).size,
      importMsMedian: distribution(importMs).p50,
      importMs,
      residentMbMedian: distribution(residentMb).p50,
      residentMb,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Bundles the function `name` into `outfile` as the stack bundles it, and answers esbuild's
 * metafile (what each input weighs in the output). `root` is the checkout to bundle it from, this
 * one by default (another's packages resolve from its own `node_modules`).
 */
export function bundleFunction(name: FunctionName, outfile: string, root = '.'): Promise<Metafile> {
  return bundleEntry(join(root, FUNCTION_ENTRIES[name]), outfile, runtimeOf(name).external);
}

/**
 * Bundles `entry` into `outfile` with the stack's esbuild settings for the gateway (its on-need
 * packages left outside), and answers esbuild's metafile.
 */
export function bundleAsGateway(entry: string, outfile: string): Promise<Metafile> {
  return bundleEntry(entry, outfile, runtimeOf('gateway').external);
}

async function bundleEntry(entry: string, outfile: string, external: readonly string[]): Promise<Metafile> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    outfile,
    logLevel: 'error',
    external: [...external],
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    metafile: true,
  });
  return metafile;
}

/**
 * The npm packages whose code is in a bundle, by the bytes they put in it, largest first; the
 * project's own files are counted together under `(quotagate)`.
 */
export function packagesIn(meta: Metafile): Map<string, number> {
  const packages = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (bytesInOutput === 0) continue;
      const name = input.includes('node_modules/')
        ? (/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? input)
        : '(quotagate)';
      packages.set(name, (packages.get(name) ?? 0) + bytesInOutput);
    }
  }
  return new Map([...packages].sort(([, a], [, b]) => b - a));
}

/**
 * Runs `script` with `file` as its argument in `runs` fresh Node processes, each with
 * `nodeOptions` and only PATH besides `env`, and returns the two numbers each one prints.
 */
async function freshRuns(
  runs: number,
  script: string,
  file: string,
  { nodeOptions = [], env = {} }: { nodeOptions?: readonly string[]; env?: Record<string, string> },
): Promise<[number, number][]> {
  const figures: [number, number][] = [];
  for (let n = 0; n < runs; n++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...nodeOptions, '--input-type=module', '-e', script, file],
      { env: { PATH: process.env.PATH ?? '', ...env } },
    );
    const [first, second] = stdout.split(' ').map(Number);
    figures.push([first as number, second as number]);
  }
  return figures;
}
