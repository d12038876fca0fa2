import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../infra/constructs/quotagate-function.ts';

interface AssetManifest {
  files: Record<string, { source: { path: string; packaging: string } }>;
}

describe('npx cdk synth', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'quotagate-cdk-out-'));
  after(() => rmSync(outdir, { recursive: true, force: true }));

  it('synthesises offline through cdk.json, bundling each function with the local esbuild', () => {
    // Act: the command CI and users run; no account, no Docker, no network calls from the CLI
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--output', outdir], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });

    // Assess
    assert.equal(result.status, 0, `cdk synth failed:\n${result.stdout}\n${result.stderr}`);
    const template = JSON.parse(readFileSync(join(outdir, 'Quotagate-dev.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    assert.equal(
      Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').length,
      2,
    );

    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: unknown[];
    };
    assert.deepEqual(report.pluginReports, []);

    const manifest = JSON.parse(
      readFileSync(join(outdir, 'Quotagate-dev.assets.json'), 'utf8'),
    ) as AssetManifest;
    const bundles = Object.values(manifest.files).filter((file) => file.source.packaging === 'zip');
    assert.equal(bundles.length, 2);
    for (const bundle of bundles) {
      const code = readFileSync(join(outdir, bundle.source.path, 'index.mjs'), 'utf8');
      // ESM with a `require` for CommonJS dependencies, as package.json's "type": "module" asks
      assert.ok(code.startsWith("import { createRequire as quotagateCreateRequire } from 'node:module';"));
      assert.ok(existsSync(join(outdir, bundle.source.path, 'index.mjs.map')), 'source map missing');
    }
  });
});
