import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { installAwsLambdaShim, isStreamifiedHandler } from '#local/awslambda-shim.ts';
import { PROJECT_ROOT } from '../../infra/constructs/quotagate-function.ts';

interface AssetManifest {
  files: Record<string, { source: { path: string; packaging: string } }>;
}

interface Template {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> }
  >;
}

describe('npx cdk synth', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'quotagate-cdk-out-'));
  let result: SpawnSyncReturns<string>;
  before(() => {
    // The command CI and users run: no account, no Docker, no network calls from the CLI.
    result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });
  });
  after(() => rmSync(outdir, { recursive: true, force: true }));

  /** Directory of the bundle of the function at `path` (e.g. `Gateway/Function`). */
  function bundleOf(path: string): string {
    const template = JSON.parse(
      readFileSync(join(outdir, 'Quotagate-dev.template.json'), 'utf8'),
    ) as Template;
    const fn = Object.values(template.Resources).find(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        resource.Metadata?.['aws:cdk:path']?.endsWith(`/${path}/Resource`),
    );
    assert.ok(fn?.Metadata?.['aws:asset:path'], `no bundled asset for ${path}`);
    return join(outdir, fn.Metadata['aws:asset:path']);
  }

  it('synthesises offline through cdk.json with no cdk-nag finding', () => {
    assert.equal(result.status, 0, `cdk synth failed:\n${result.stdout}\n${result.stderr}`);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };
    assert.deepEqual(report.pluginReports, []);
    const manifest = JSON.parse(
      readFileSync(join(outdir, 'Quotagate-dev.assets.json'), 'utf8'),
    ) as AssetManifest;
    assert.equal(Object.values(manifest.files).filter((file) => file.source.packaging === 'zip').length, 5);
  });

  it('bundles each function as ESM with a require for CommonJS dependencies, and a source map', () => {
    for (const path of [
      'Gateway/Function',
      'Usage/Recorder',
      'TokenRefresh/Function',
      'AdminApi/Function',
      'UsageExports/Function',
    ]) {
      const code = readFileSync(join(bundleOf(path), 'index.mjs'), 'utf8');
      assert.ok(
        code.startsWith("import { createRequire as quotagateCreateRequire } from 'node:module';"),
        path,
      );
      assert.ok(existsSync(join(bundleOf(path), 'index.mjs.map')), `${path}: source map missing`);
      // node:http through process.getBuiltinModule: its ESM namespace would load Node's undici at import.
      assert.doesNotMatch(code, /from\s*["'](node:)?http["']/, `${path}: imports node:http as ESM`);
      assert.match(
        code,
        /getBuiltinModule\(["']node:http["']\)/,
        `${path}: node:http not taken as a built-in`,
      );
    }
  });

  it('ships the gateway the o200k_base rank table beside its bundle, and no other tokenizer', async () => {
    const modules = join(bundleOf('Gateway/Function'), 'node_modules');
    const ranks = join(modules, 'js-tiktoken', 'dist', 'ranks');
    assert.deepEqual(readdirSync(ranks), ['o200k_base.js']);
    assert.ok(!existsSync(join(modules, 'gpt-tokenizer')), 'the old tokenizer is shipped too');
    assert.ok(!existsSync(join(modules, 'js-tiktoken', 'dist', 'index.js')), 'js-tiktoken is shipped whole');
    // The bundle finds it by the name the package exports it under, and from the bundle's folder
    // that name resolves to the file left there.
    const code = readFileSync(join(bundleOf('Gateway/Function'), 'index.mjs'), 'utf8');
    assert.match(code, /import\.meta\.resolve\(["']js-tiktoken\/ranks\/o200k_base["']\)/);
    const resolved = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "process.stdout.write(import.meta.resolve('js-tiktoken/ranks/o200k_base'))",
      ],
      { cwd: bundleOf('Gateway/Function'), encoding: 'utf8' },
    );
    assert.equal(resolved.stdout, pathToFileURL(join(ranks, 'o200k_base.js')).href, resolved.stderr);
    const table = (await import(resolved.stdout)) as { default: { bpe_ranks: string } };
    assert.ok(table.default.bpe_ranks.length > 2_000_000);
  });

  it('produces bundles that load on Node 24 and export the handlers, the gateway streaming', async () => {
    // Prepare: the Lambda runtime's `awslambda` global, which middy reads at import
    installAwsLambdaShim();

    // Act
    const gateway = (await import(pathToFileURL(join(bundleOf('Gateway/Function'), 'index.mjs')).href)) as {
      handler?: unknown;
    };
    const recorder = (await import(pathToFileURL(join(bundleOf('Usage/Recorder'), 'index.mjs')).href)) as {
      handler?: unknown;
    };
    const tokenRefresh = (await import(
      pathToFileURL(join(bundleOf('TokenRefresh/Function'), 'index.mjs')).href
    )) as { handler?: unknown };
    const admin = (await import(pathToFileURL(join(bundleOf('AdminApi/Function'), 'index.mjs')).href)) as {
      handler?: unknown;
    };
    const usageExport = (await import(
      pathToFileURL(join(bundleOf('UsageExports/Function'), 'index.mjs')).href
    )) as { handler?: unknown };

    // Assess
    assert.equal(typeof gateway.handler, 'function');
    assert.ok(isStreamifiedHandler(gateway.handler));
    assert.equal(typeof recorder.handler, 'function');
    assert.equal(typeof tokenRefresh.handler, 'function');
    assert.equal(typeof admin.handler, 'function');
    assert.equal(typeof usageExport.handler, 'function');
    assert.ok(!isStreamifiedHandler(admin.handler), 'the admin API answers buffered JSON');
  });
});
