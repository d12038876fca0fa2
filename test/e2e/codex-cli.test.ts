/**
 * Codex CLI itself, pointed at the local stack through a `[model_providers.x]` entry with
 * `wire_api = "responses"`, exactly as README.md tells users to configure it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type E2E, startE2E, UPSTREAM_KEY } from '../support/e2e-stack.ts';

const CODEX = join(import.meta.dirname, '../../node_modules/.bin/codex');
let e2e: E2E;
let codexHome: string;
before(async () => {
  e2e = await startE2E();
  codexHome = mkdtempSync(join(tmpdir(), 'quotagate-codex-'));
});
after(async () => {
  await e2e.close();
  rmSync(codexHome, { recursive: true, force: true });
});

function runCodex(
  secret: string,
  prompt: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const provider = `{name="quotagate",base_url="${e2e.stack.url}/openai/v1",env_key="QUOTAGATE_API_KEY",wire_api="responses"}`;
  const args = [
    'exec',
    '--skip-git-repo-check',
    '-c',
    'model_provider="quotagate"',
    '-c',
    `model_providers.quotagate=${provider}`,
  ];
  const child = spawn(CODEX, [...args, '-m', 'gpt-5.1', prompt], {
    cwd: codexHome,
    env: { ...process.env, CODEX_HOME: codexHome, QUOTAGATE_API_KEY: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('Codex CLI through quotagate', () => {
  it('streams an answer from the pooled account with a quotagate key', async () => {
    const { secret, accountId } = await e2e.seed();
    const before = e2e.usageEvents().length;

    const result = await runCodex(secret, 'Say hello');

    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Hello from the mock upstream\./);
    const received = e2e.mock.requests.at(-1);
    assert.equal(received?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(received?.headers.originator, 'codex_exec');
    assert.ok(received?.headers['session-id'] ?? received?.headers.session_id, 'Codex sends its session id');
    // Codex brings its own prompt in `input`; the gateway adds no instructions for it.
    assert.equal(received?.body.instructions, undefined);
    await e2e.stack.bus.drain();
    const events = e2e.usageEvents().slice(before);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.detail.accountId, accountId);
    assert.equal(
      events[0]?.detail.cutShort,
      false,
      'Codex hangs up after response.completed; that is no cut',
    );
  });

  it('reports an invalid key as an error and exits non-zero', async () => {
    const result = await runCodex('sk-qg-invalid', 'Say hello');
    assert.notEqual(result.code, 0);
  });
});
