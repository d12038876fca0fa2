/**
 * The gateway as Lambda loads it: bundled with the stack's own esbuild settings
 * (`infra/bundling.ts`), its size, and how long a fresh Node process takes to import it with the
 * gateway's NODE_OPTIONS as the stack sets them. Each import runs in a new process, as a cold start does;
 * the median of several is reported.
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

export interface BundleFigures {
  /** Size of the bundled handler (index.mjs), source map not counted. */
  gatewayBytes: number;
  /** Its source map, which the gateway reads at the first stack trace it formats. */
  sourceMapBytes: number;
  importMsMedian: number;
  importMs: number[];
  /**
   * The CPU time (user + system) of the same imports: on a machine shared with other work the
   * wall time waits for the CPU too, this does not.
   */
  importCpuMsMedian: number;
  importCpuMs: number[];
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

/** Bundles the gateway into a temporary folder and times `imports` fresh imports of it. */
export async function measureGatewayBundle(imports: number): Promise<BundleFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'quotagate-bundle-'));
  try {
    const outfile = join(dir, 'index.mjs');
    await bundleAsGateway(FUNCTION_ENTRIES.gateway, outfile);
    const runs = await freshRuns(imports, IMPORT_SCRIPT, outfile, {
      env: { QG_STAGE: 'bench', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'WARN' },
    });
    const importMs = runs.map(([wall]) => wall);
    const importCpuMs = runs.map(([, cpu]) => cpu);
    return {
      gatewayBytes: (await stat(outfile)).size,
      sourceMapBytes: (await stat(`${outfile}.map`)).size,
      importMsMedian: distribution(importMs).p50,
      importMs,
      importCpuMsMedian: distribution(importCpuMs).p50,
      importCpuMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
    const runs = await freshRuns(imports, TOKENIZER_IMPORT_SCRIPT, outfile, { nodeOptions: ['--expose-gc'] });
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
 * Bundles `entry` into `outfile` with the stack's esbuild settings for the gateway, and answers
 * esbuild's metafile (what each input weighs in the output).
 */
export async function bundleAsGateway(entry: string, outfile: string): Promise<Metafile> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    outfile,
    logLevel: 'error',
    external: [...GATEWAY_NODE_MODULES],
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    metafile: true,
  });
  return metafile;
}

/**
 * Runs `script` with `file` as its argument in `runs` fresh Node processes, each with the
 * gateway's NODE_OPTIONS (plus `nodeOptions`) and allocator setting, and only PATH besides `env`, and returns the two
 * numbers each one prints.
 */
async function freshRuns(
  runs: number,
  script: string,
  file: string,
  { nodeOptions = [], env = {} }: { nodeOptions?: string[]; env?: Record<string, string> },
): Promise<[number, number][]> {
  const figures: [number, number][] = [];
  for (let n = 0; n < runs; n++) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...GATEWAY_NODE_OPTIONS.split(' '), ...nodeOptions, '--input-type=module', '-e', script, file],
      { env: { PATH: process.env.PATH ?? '', ...GATEWAY_ALLOCATOR_ENVIRONMENT, ...env } },
    );
    const [first, second] = stdout.split(' ').map(Number);
    figures.push([first as number, second as number]);
  }
  return figures;
}
