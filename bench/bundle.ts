/**
 * The gateway as Lambda loads it: bundled with the stack's own esbuild settings
 * (`infra/bundling.ts`), its size, and how long a fresh Node process takes to import it with the
 * gateway's NODE_OPTIONS as the stack sets them (source maps on). Each import runs in a new process, as a cold start does;
 * the median of several is reported.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ESBUILD_OPTIONS, GATEWAY_NODE_MODULES, GATEWAY_NODE_OPTIONS } from '../infra/bundling.ts';
import { FUNCTION_ENTRIES } from '../infra/function-entries.ts';
import { distribution } from './stats.ts';

export interface BundleFigures {
  /** Size of the bundled handler (index.mjs), source map not counted. */
  gatewayBytes: number;
  /** Its source map, which Lambda loads only when a stack trace is formatted. */
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
    await build({
      entryPoints: [FUNCTION_ENTRIES.gateway],
      bundle: true,
      platform: 'node',
      outfile,
      logLevel: 'error',
      external: [...GATEWAY_NODE_MODULES],
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
    });
    const importMs: number[] = [];
    const importCpuMs: number[] = [];
    for (let n = 0; n < imports; n++) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [...GATEWAY_NODE_OPTIONS.split(' '), '--input-type=module', '-e', IMPORT_SCRIPT, outfile],
        {
          env: {
            PATH: process.env.PATH ?? '',
            QG_STAGE: 'bench',
            AWS_REGION: 'us-east-1',
            POWERTOOLS_LOG_LEVEL: 'WARN',
          },
        },
      );
      const [wall, cpu] = stdout.split(' ').map(Number);
      importMs.push(wall as number);
      importCpuMs.push(cpu as number);
    }
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
  /** Its modules as the gateway loads them on need (bundled and minified here, for a fair size). */
  bytes: number;
  /** Import of the package from node_modules in a fresh process, as the gateway does on need. */
  importMsMedian: number;
  importMs: number[];
}

const TOKENIZER_IMPORT_SCRIPT = `
const started = performance.now();
const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
countTokens('warm');
process.stdout.write(String(performance.now() - started));
`;

/** The tokenizer the gateway keeps outside its bundle: its size and its load time on first need. */
export async function measureTokenizer(imports: number): Promise<TokenizerFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'quotagate-tokenizer-'));
  try {
    const outfile = join(dir, 'tokenizer.mjs');
    await build({
      stdin: { contents: "export * from 'gpt-tokenizer/encoding/o200k_base';", resolveDir: process.cwd() },
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      outfile,
      logLevel: 'error',
    });
    const importMs: number[] = [];
    for (let n = 0; n < imports; n++) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', TOKENIZER_IMPORT_SCRIPT],
        { cwd: process.cwd(), env: { PATH: process.env.PATH ?? '' } },
      );
      importMs.push(Number(stdout));
    }
    return { bytes: (await stat(outfile)).size, importMsMedian: distribution(importMs).p50, importMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
