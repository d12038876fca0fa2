/**
 * `npm start` on a port that is taken or is not a port: one sentence naming the variable that
 * moves it, exit 1, and nothing started (so nothing left behind).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { portOf, portProblem, portTaken } from '#local/start-ports.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

describe('the ports npm start is given', () => {
  let busy: { server: Server; port: number };
  before(async () => {
    busy = await listening();
  });
  after(() => busy.server.close());

  it('reads a variable as its port, its default when unset or empty, and nothing else', () => {
    assert.equal(portOf(['PORT', undefined, 8787]), 8787);
    assert.equal(portOf(['PORT', '', 8787]), 8787);
    assert.equal(portOf(['PORT', '9000', 8787]), 9000);
    assert.equal(portOf(['PORT', '0', 8787]), 0);
    for (const bad of ['abc', '-1', '65536', '80.5', '1e3'])
      assert.equal(portOf(['PORT', bad, 8787]), undefined, bad);
  });

  it('tells a taken port from a free one, and leaves the free one free', async () => {
    assert.equal(await portTaken(busy.port), true);
    const free = await listening();
    free.server.close();
    await once(free.server, 'close');
    assert.equal(await portTaken(free.port), false);
    assert.equal(await portTaken(free.port), false);
    assert.equal(await portTaken(0), false);
  });

  it('names the first variable in the way, with a way out', async () => {
    assert.equal(await portProblem([['PORT', '0', 8787]]), undefined);
    assert.equal(
      await portProblem([
        ['PORT', '0', 8787],
        ['QG_ADMIN_PORT', String(busy.port), 8789],
      ]),
      `Port ${busy.port} (QG_ADMIN_PORT) is already in use: stop what listens there, or move it, e.g. QG_ADMIN_PORT=${busy.port + 100} npm start.`,
    );
    assert.equal(
      await portProblem([['QG_DYNALITE_PORT', 'eighty', 8788]]),
      'QG_DYNALITE_PORT must be a port number (0–65535), got "eighty".',
    );
  });

  it('npm start on a taken PORT prints that sentence, exits 1 and starts nothing', async () => {
    // Prepare
    const folder = await mkdtemp(join(tmpdir(), 'quotagate-busy-port-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(busy.port),
        QG_DYNALITE_PORT: '0',
        QG_ADMIN_PORT: '0',
        QG_DATA_DIR: join(folder, 'data'),
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });

    // Act
    const [code] = (await once(child, 'exit')) as [number | null];

    // Assess
    try {
      assert.equal(code, 1, output);
      assert.equal(
        output.trim(),
        `Port ${busy.port} (PORT) is already in use: stop what listens there, or move it, e.g. PORT=${busy.port + 100} npm start.`,
      );
      assert.equal(existsSync(join(folder, 'data')), false, 'nothing started, not even the data folder');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
