/**
 * The gateway as Lambda loads it: bundled with the stack's own esbuild settings
 * (`infra/bundling.ts`), its size, and how long a fresh Node process takes to import it with the
 * stack's NODE_OPTIONS (source maps on). Each import runs in a new process, as a cold start does;
 * the median of several is reported.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { ESBUILD_OPTIONS, FUNCTION_NODE_OPTIONS } from '../infra/bundling.ts';
import { FUNCTION_ENTRIES } from '../infra/function-entries.ts';
import { distribution } from './stats.ts';

export interface BundleFigures {
  /** Size of the bundled handler (index.mjs), source map not counted. */
  gatewayBytes: number;
  /** Its source map, which Lambda loads only when a stack trace is formatted. */
  sourceMapBytes: number;
  importMsMedian: number;
  importMs: number[];
}

// Lambda's runtime provides `awslambda`; middy reads it when the handler module is evaluated.
const IMPORT_SCRIPT = `
globalThis.awslambda = { streamifyResponse: (h) => h, HttpResponseStream: { from: (s) => s } };
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
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
      ...ESBUILD_OPTIONS,
      mainFields: [...ESBUILD_OPTIONS.mainFields],
    });
    const importMs: number[] = [];
    for (let n = 0; n < imports; n++) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [...FUNCTION_NODE_OPTIONS.split(' '), '--input-type=module', '-e', IMPORT_SCRIPT, outfile],
        {
          env: {
            PATH: process.env.PATH ?? '',
            QG_STAGE: 'bench',
            AWS_REGION: 'us-east-1',
            POWERTOOLS_LOG_LEVEL: 'WARN',
          },
        },
      );
      importMs.push(Number(stdout));
    }
    return {
      gatewayBytes: (await stat(outfile)).size,
      sourceMapBytes: (await stat(`${outfile}.map`)).size,
      importMsMedian: distribution(importMs).p50,
      importMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
