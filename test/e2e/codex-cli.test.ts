/**
 * Codex CLI itself, pointed at the local stack through a `[model_providers.x]` entry with
 * `wire_api = "responses"`, exactly as README.md tells users to configure it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  extraArgs: string[] = [],
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
  const child = spawn(CODEX, [...args, ...extraArgs, '-m', 'gpt-5.1', prompt], {
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

  it('runs a tool-call turn: the exec_command call streams through, Codex runs it and sends its output back', async () => {
    // Prepare: the first answer reasons and calls Codex's exec_command tool, the second closes the turn
    const { secret } = await e2e.seed();
    const command = JSON.stringify({ cmd: "printf 'hello from the tool' > hello.txt && echo written" });
    e2e.mock.reset();
    e2e.mock.enqueue(
      {
        kind: 'ok',
        output: [
          { type: 'reasoning', summary: ['A new file is needed.'], encrypted: true },
          { type: 'function_call', name: 'exec_command', arguments: command },
        ],
      },
      { kind: 'ok', text: 'Added hello.txt.' },
    );

    // Act
    const result = await runCodex(secret, 'Add hello.txt', ['--dangerously-bypass-approvals-and-sandbox']);

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Added hello\.txt\./);
    assert.equal(readFileSync(join(codexHome, 'hello.txt'), 'utf8'), 'hello from the tool');
    assert.equal(e2e.mock.requests.length, 2);
    const call = /"call_id":"(call_[0-9a-f]+)"/.exec(e2e.mock.requests[0]?.sent ?? '')?.[1];
    const items = e2e.mock.requests[1]?.body.input as { type: string; call_id?: string; output?: unknown }[];
    assert.ok(call, 'the mock sent a call id');
    assert.ok(
      items.some((item) => item.type === 'function_call' && item.call_id === call),
      'the call is sent back in the next request',
    );
    const output = items.find((item) => item.type === 'function_call_output' && item.call_id === call);
    assert.match(JSON.stringify(output?.output), /written/, 'with the output of the command');
  });

  it('reports an invalid key as an error and exits non-zero', async () => {
    const result = await runCodex('sk-qg-invalid', 'Say hello');
    assert.notEqual(result.code, 0);
  });
});
