/**
 * Every function but the gateway (`gateway-bundle.test.ts` has its own) as the stack bundles and
 * runs it: no NODE_OPTIONS, so Node does not read the source map at import, and yet a stack trace
 * names the TypeScript sources, the map read at the first trace formatted
 * (`functions/lazy-source-maps.ts`). With `--enable-source-maps` the recorder's import took about
 * 6 ms more CPU at every cold start (docs/benchmarks.md).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { bundleFunction, type FunctionName } from '../../bench/bundle.ts';

/** Each function, and the source its handler fails in when handed an event Lambda never sends. */
const FUNCTIONS: { name: FunctionName; failsIn: RegExp }[] = [
  { name: 'recorder', failsIn: /\/shared\/runtime\/deadline\.ts:\d+:\d+\)$/ },
  { name: 'tokenRefresh', failsIn: /\/shared\/runtime\/deadline\.ts:\d+:\d+\)$/ },
  { name: 'admin', failsIn: /\/functions\/admin\/function-url\.ts:\d+:\d+\)$/ },
  { name: 'usageExport', failsIn: /\/shared\/settings\.ts:\d+:\d+\)$/ },
];

// The map is away while the bundle is imported and back before anything throws, so a map read at
// import (as --enable-source-maps does) would leave the trace unmapped.
const SCRIPT = `
  import { rename } from 'node:fs/promises';
  globalThis.awslambda = { streamifyResponse: (h) => h, HttpResponseStream: { from: (s) => s } };
  const [bundle, away] = process.argv.slice(1);
  const { handler } = await import(bundle);
  await rename(away, bundle + '.map');
  try { await handler(null, {}); } catch (error) { process.stdout.write(error.stack); }
`;

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quotagate-function-traces-'));
  for (const { name } of FUNCTIONS) await bundleFunction(name, join(dir, name, 'index.mjs'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('the functions’ stack traces', { timeout: 120_000 }, () => {
  for (const { name, failsIn } of FUNCTIONS) {
    it(`${name}: names the TypeScript source it failed in, the map read at the first trace, not at import`, async () => {
      // Prepare
      const bundle = join(dir, name, 'index.mjs');
      const away = join(dir, name, 'away.map');
      await rename(`${bundle}.map`, away);

      // Act: the stack's environment (no NODE_OPTIONS), an event Lambda never sends.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', SCRIPT, bundle, away],
        {
          env: {
            PATH: process.env.PATH ?? '',
            QG_STAGE: 'traces-test',
            AWS_REGION: 'us-east-1',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
          },
          timeout: 60_000,
        },
      );

      // Assess: the first frame, as Node's own source maps would write it.
      const frames = stdout.split('\n').filter((line) => line.startsWith('    at '));
      assert.match(frames[0] ?? stdout, failsIn);
    });
  }
});
