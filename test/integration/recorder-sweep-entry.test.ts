/**
 * The ways a sweep runs besides the runtime itself: the recorder Lambda's 5-minute schedule and
 * `quotagate usage sweep-pending`. Both use the real clock, so the stranded records here come
 * from deliveries whose claim ends a moment after they die.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiKey } from '#shared/domain/types.ts';
import { METRIC_NAMES } from '#shared/observability/gateway-metrics.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { keys } from '#shared/tables/keys.ts';
import { runCli } from '../../cli/main.ts';
import { emfOf, metricNamesOf } from '../support/emf-capture.ts';
import {
  KEYS,
  type RecorderWorld,
  recorderWorldForSuite,
  SimulatedCrash,
  silentLogger,
  storedTotals,
  usageEvent,
} from './recorder-harness.ts';
import { lambdaContext, loadRecorderHandler, type RecorderHandler, ruleEvent } from './recorder-lambda.ts';

// Long enough for three dynalite writes on a loaded machine before the delivery "dies".
const LEASE_MS = 1_500;

/** A record whose delivery died after `writes` writes and whose claim is over. */
async function strand(world: RecorderWorld, requestId: string, writes: number): Promise<void> {
  const runtime = createRecorderRuntime({
    tables: world.tables,
    client: world.crashAfterWrites(writes),
    logger: silentLogger,
  });
  Object.assign(runtime.deps, { claimMarginMs: 0 });
  const now = Date.now();
  const event = usageEvent(requestId, KEYS[0] as ApiKey, {
    startedAt: new Date(now - 2000).toISOString(),
    endedAt: new Date(now - 500).toISOString(),
  });
  await assert.rejects(runtime.record(event, now + LEASE_MS), SimulatedCrash);
  await sleep(LEASE_MS + 50);
}

function captured() {
  let text = '';
  return { write: (chunk: string) => (text += chunk), text: () => text };
}

describe('sweeping from the schedule and the CLI', () => {
  const world = recorderWorldForSuite();
  let handler: RecorderHandler;
  before(async () => {
    handler = await loadRecorderHandler(world);
  });

  it('finishes a stranded record when the schedule invokes the recorder, besides draining', async () => {
    // Prepare: the dead delivery may have applied some effects; the sweep applies the rest.
    const before = await storedTotals(world);
    await strand(world, 'entry-scheduled', 3);

    // Act
    const { result: drained, emf } = await emfOf(() =>
      handler(ruleEvent('Scheduled Event', 'aws.events', {}), lambdaContext()),
    );

    // Assess: the swept record is applied by this run, so it reports its lag
    assert.deepEqual(drained, { recorded: 0, failed: 0, more: false });
    assert.deepEqual(
      emf.map((line) => [metricNamesOf(line), line.requestId]),
      [[[METRIC_NAMES.recorderLag], 'entry-scheduled']],
    );
    const record = await world.getItem('usage', keys.usageRecord('entry-scheduled'));
    assert.equal(record?.state, 'applied');
    const after = await storedTotals(world);
    assert.equal((after.keySpend.get('k_1') ?? 0) - (before.keySpend.get('k_1') ?? 0), record?.billedNano);
    assert.equal((before.balances.get('u_1') ?? 0) - (after.balances.get('u_1') ?? 0), record?.billedNano);
  });

  it('finishes a stranded record through `quotagate usage sweep-pending`', async () => {
    // Prepare
    await strand(world, 'entry-cli', 1);
    const stdout = captured();
    const stderr = captured();

    // Act
    const code = await runCli(
      ['usage', 'sweep-pending', '--days', '1', '--endpoint', world.db.endpoint, '--stage', 'rec'],
      { stdout, stderr, env: {} },
    );

    // Assess
    assert.equal(code, 0, stderr.text());
    assert.match(
      stdout.text(),
      /^Finished 1 stranded usage record\(s\); recorded 0 request\(s\) the gateway never finished as lost; 0 left to a live delivery/,
    );
    assert.equal((await world.getItem('usage', keys.usageRecord('entry-cli')))?.state, 'applied');
  });

  it('refuses a negative --days', async () => {
    const stderr = captured();
    const code = await runCli(['usage', 'sweep-pending', '--days=-1', '--endpoint', world.db.endpoint], {
      stdout: captured(),
      stderr,
      env: {},
    });
    assert.equal(code, 2);
    assert.match(stderr.text(), /--days/);
  });
});
