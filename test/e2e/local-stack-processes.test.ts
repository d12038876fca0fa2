/**
 * The local stack's process layout: `npm start` runs dynalite and the recorder in child processes
 * so the stack uses more than one core, the recorder at the lowest OS priority. A request is still
 * served and charged (by the recorder in its child, metrics forwarded), and however the stack ends — closed, Ctrl-C in a terminal (SIGINT
 * to the whole process group), SIGKILL of its main process — no child is left running; a child
 * that dies under it is reported in its log; data survives a restart as before.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants, getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createUser, getUser, updateUser } from '#shared/admin/users.ts';
import { ALERT_EVENT_DETAIL_TYPE } from '#shared/alerts/alert.ts';
import { loadSettings } from '#shared/settings.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { type NpmStart, startNpmStart } from '../support/npm-start.ts';
import { alive, commandLine, processTree, waitUntilGone } from '../support/process-tree.ts';
import { keptLogLines } from '../support/test-logs.ts';

/** How long children may take to notice their parent left. */
const GONE_WITHIN_MS = 10_000;

/** The stack's child processes (by their scripts) among `pids`. */
async function stackChildren(pids: readonly number[]): Promise<{ dynalite: number[]; recorder: number[] }> {
  const lines = await Promise.all(pids.map(async (pid) => ({ pid, line: await commandLine(pid) })));
  const running = (script: string) => lines.filter(({ line }) => line.includes(script)).map(({ pid }) => pid);
  return { dynalite: running('local/dynalite-process.ts'), recorder: running('local/recorder-process.ts') };
}

describe('the local stack in several processes', { timeout: 180_000 }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it('serves and charges a request with the recorder in its own process, and close() ends both children', async () => {
    // Prepare
    const e2e: E2E = await startE2E({}, { separateProcesses: true });
    let closed = false;
    cleanups.push(async () => (closed ? undefined : e2e.close()));
    const children = await stackChildren(await processTree(process.pid));
    assert.equal(children.dynalite.length, 1, 'dynalite runs in one child process');
    assert.equal(children.recorder.length, 1, 'the recorder runs in one child process');
    // Lowest priority (19 on Linux): the recorder takes a core only when the gateway leaves one.
    assert.equal(getPriority(children.recorder[0]), constants.priority.PRIORITY_LOW);
    assert.equal(
      getPriority(children.dynalite[0]),
      getPriority(),
      'dynalite serves at the priority of the stack',
    );
    const { secret, userId } = await e2e.seed({ user: { balanceUsd: '5' } });
    await updateUser(e2e.admin, userId, { lowBalanceAlertUsd: '4.99' });
    const usage = { input_tokens: 10_000, cached_tokens: 0, output_tokens: 1_000, reasoning_tokens: 0 };
    e2e.mock.enqueue({ kind: 'ok', usage });

    // Act
    const stream = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi', stream: true });
    for await (const _event of stream) {
      // drain
    }
    // A delivery ends when the recorder process has answered for it.
    await e2e.stack.bus.drain();

    // Assess
    // gpt-5.1 lists $1.25 per 1M input and $10 per 1M output tokens: 10_000 × 1_250 + 1_000 × 10_000.
    const chargeNano = 22_500_000;
    assert.equal((await getUser(e2e.admin, userId)).balanceNano, 5_000_000_000 - chargeNano);
    assert.ok(
      e2e.stack.metrics.some((emf) => JSON.stringify(emf).includes('RecorderLag')),
      'the recorder process sends its metric documents back to the stack',
    );
    // 5 − 0.0225 USD is below the user's 4.99 USD line: the recorder's alert reaches the stack's bus.
    const alerts = e2e.stack.bus.events.filter((event) => event['detail-type'] === ALERT_EVENT_DETAIL_TYPE);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.detail.userId, userId);
    await e2e.close();
    closed = true;
    assert.deepEqual(await waitUntilGone([...children.dynalite, ...children.recorder], GONE_WITHIN_MS), []);
  });

  it('says so in its log when a child dies under it', async () => {
    const e2e = await startE2E({}, { separateProcesses: true });
    cleanups.push(() => e2e.close());
    const { recorder } = await stackChildren(await processTree(process.pid));
    assert.equal(recorder.length, 1);

    process.kill(recorder[0] as number, 'SIGKILL');

    const deadline = Date.now() + GONE_WITHIN_MS;
    const said = () =>
      keptLogLines().some((line) => line.includes('the recorder process exited unexpectedly'));
    while (!said() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(said(), keptLogLines().join('\n'));
  });

  it('npm start: SIGKILL of the main process takes dynalite and the recorder with it', async () => {
    const stack: NpmStart = await startNpmStart({ stage: 'processes-kill' });
    cleanups.push(() => stack.stop());
    const tree = await processTree(stack.process.pid as number);
    // Should a child outlive the stack, it holds the test's pipes open: end it so the run goes on.
    cleanups.push(async () => {
      for (const pid of await alive(tree)) process.kill(pid, 'SIGKILL');
    });
    const children = await stackChildren(tree);
    assert.equal(children.dynalite.length + children.recorder.length, 2, tree.join(' '));

    stack.process.kill('SIGKILL');
    await stack.exited;

    assert.deepEqual(await waitUntilGone(tree, GONE_WITHIN_MS), [], 'no process of the stack is left');
  });

  it('npm start: Ctrl-C exits 0 with nothing left running, and the data is there after a restart', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'qg-processes-restart-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const stage = 'processes-restart';
    const tables = loadSettings({ QG_STAGE: stage }).tables;
    const first = await startNpmStart({ stage, dataDir, ownProcessGroup: true });
    cleanups.push(() => first.stop());
    const firstClient = createDocumentClient(first.dynamoEndpoint);
    const user = await createUser(new DynamoConfigAdmin(firstClient, tables.config), {
      email: 'kept@example.com',
      concurrency: 1,
      balanceUsd: '3',
    });
    firstClient.destroy();

    // Act
    const stopped = await first.stop();
    const second = await startNpmStart({ stage, dataDir, ownProcessGroup: true });
    cleanups.push(() => second.stop());

    // Assess
    assert.equal(stopped.exitCode, 0, first.output().join('\n'));
    assert.deepEqual(stopped.leftovers, [], 'no process of the stack is left after Ctrl-C');
    assert.ok(first.output().includes('stopping…'));
    const secondClient = createDocumentClient(second.dynamoEndpoint);
    try {
      const kept = await getUser(new DynamoConfigAdmin(secondClient, tables.config), user.id);
      assert.equal(kept.email, 'kept@example.com');
      assert.equal(kept.balanceNano, 3_000_000_000);
    } finally {
      secondClient.destroy();
    }
    assert.deepEqual((await second.stop()).leftovers, []);
  });
});
