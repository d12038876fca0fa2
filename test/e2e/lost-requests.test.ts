/**
 * No request vanishes: a gateway process killed (SIGKILL) with ten live streams leaves a
 * `started` usage record for each, written with its user slot; the pending sweep, run once their
 * lease has passed, records every one as `lost` with what was known at its start and nothing
 * billed. A request that ended normally before the kill is recorded from its event, charged
 * once; an event that still arrives for a lost request replaces the lost record.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { createAccount } from '#shared/admin/account-create.ts';
import { createApiKey } from '#shared/admin/api-keys.ts';
import { createGroup } from '#shared/admin/groups.ts';
import { createUser, getUser } from '#shared/admin/users.ts';
import { usageEventOfRecord } from '#shared/events/usage-event-builders.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { loadSettings } from '#shared/settings.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { DynamoOpsErrorLog } from '#shared/store/dynamo/ops-error-log.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { csvRow, exportUsageRecords } from '#shared/usage/export.ts';
import { summarizeUsage } from '#shared/usage/usage-summary.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import { call, eventually, type RunningCall, startCall } from '../support/gateway-calls.ts';
import { spawnGatewayProcess } from '../support/gateway-process.ts';
import { mockUpstreamForSuite } from '../support/mock-upstream.ts';
import { recordsOfUserSince } from '../support/usage-records.ts';

const ENV = { QG_STAGE: 'lost', QG_CONFIG_CACHE_SECONDS: '0' };
const settings = loadSettings(ENV);
const STREAMS = 10;
/** Later than any lease a started record of this run can hold (a 15-minute deadline + 1 minute). */
const SWEEP_LATER_MS = 20 * 60_000;

let child: ChildProcess | undefined;

/** Before any request of this file: its records lie on the UTC days from this one to the last. */
const SUITE_STARTED = Date.now();

const recordsOfRun = (userId: string): Promise<UsageRecord[]> =>
  recordsOfUserSince(dynamo.client, settings.tables, userId, SUITE_STARTED);

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
// Declared after the hook above: after hooks run in order, so the gateways stop before these close.
const dynamo = dynaliteForSuite(ENV.QG_STAGE);
const mock = mockUpstreamForSuite();

// Ten streams through a gateway child process took 66 s at load 26; the bound is for a hang.
describe('a gateway killed with live streams', { timeout: 300_000 }, () => {
  it('leaves a record of every request it started: the sweep records each as lost, billing nothing', async () => {
    // Prepare
    const admin = new DynamoConfigAdmin(dynamo.client, settings.tables.config);
    const user = await createUser(admin, { email: 'lost@example.com', concurrency: 20, balanceUsd: '10' });
    const group = await createGroup(admin, { name: 'lost' });
    await createAccount(admin, {
      type: 'apikey',
      name: 'mock',
      baseUrl: mock.url,
      apiKey: 'sk-upstream-lost-0001',
      concurrency: 20,
      groupIds: [group.id],
    });
    const { key, secret } = await createApiKey(admin, { userId: user.id, groupId: group.id });
    const spawned = await spawnGatewayProcess(dynamo.db.endpoint, ENV);
    child = spawned.process;
    const finished = await call(spawned.url, secret, { model: 'gpt-5.1', input: 'served', stream: true });
    assert.equal(finished.status, 200);
    await eventually(async () => (await recordsOfRun(user.id)).some((record) => record.state === 'applied'));
    const charged = (await getUser(admin, user.id)).balanceNano;
    mock.setDefault({ kind: 'stall', afterEvents: 2 });
    const streams: RunningCall[] = Array.from({ length: STREAMS }, (_, index) =>
      startCall(spawned.url, secret, { model: 'gpt-5.1', input: `live ${index}`, stream: true }),
    );
    await Promise.all(streams.map((stream) => stream.until((text) => text.includes('response.in_progress'))));
    const startedBefore = (await recordsOfRun(user.id)).filter((record) => record.state === 'started');

    // Act: kill the gateway, then sweep as the schedule would once the leases have passed.
    child.kill('SIGKILL');
    await once(child, 'exit');
    await Promise.all(streams.map((stream) => stream.finished.catch(() => undefined)));
    const warnings: Record<string, unknown>[] = [];
    const later = () => Date.now() + SWEEP_LATER_MS;
    const runtime = createRecorderRuntime({
      tables: settings.tables,
      client: dynamo.client,
      logger: {
        info: () => {},
        warn: (_message, ...attributes) => {
          warnings.push((attributes[0] ?? {}) as Record<string, unknown>);
        },
        error: () => {},
      },
      now: later,
    });
    const early = await createRecorderRuntime({
      tables: settings.tables,
      client: dynamo.client,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    }).sweepPending();
    const summary = await runtime.sweepPending();
    const again = await runtime.sweepPending();

    // Assess
    assert.equal(startedBefore.length, STREAMS, 'every live stream had its started record');
    assert.equal(early.lost, 0, 'nothing is lost while the leases run');
    assert.equal(summary.lost, STREAMS);
    assert.equal(summary.failed, 0);
    assert.equal(again.found, 0);
    const records = await recordsOfRun(user.id);
    const lost = records.filter((record) => record.state === 'lost');
    assert.equal(lost.length, STREAMS);
    assert.deepEqual(
      lost.map((record) => record.requestId).sort(),
      startedBefore.map((record) => record.requestId).sort(),
    );
    for (const record of lost) {
      assert.equal(record.userId, user.id);
      assert.equal(record.apiKeyId, key.id);
      assert.equal(record.groupId, group.id);
      assert.equal(record.modelRequested, 'gpt-5.1');
      assert.equal(record.stream, true);
      assert.equal(record.billedNano, 0);
      assert.equal(record.accountId, undefined, 'the account is chosen after the record is written');
      assert.ok(Date.parse(record.startedAt) <= Date.parse(record.lostAt ?? ''));
      assert.equal((record as unknown as Record<string, unknown>).leaseUntil, undefined);
    }
    assert.equal(records.filter((record) => record.state === 'applied').length, 1);
    assert.equal(warnings.length, STREAMS);
    assert.equal((await getUser(admin, user.id)).balanceNano, charged, 'a lost request charges nothing');

    const exported: UsageRecord[] = [];
    const reader = new DynamoUsageReader(dynamo.client, settings.tables);
    for await (const record of exportUsageRecords(
      { from: Date.now() - 3_600_000, to: Date.now() + 60_000, userId: user.id },
      reader,
    )) {
      exported.push(record);
    }
    assert.equal(exported.length, STREAMS + 1);
    const hour = 3_600_000;
    const usageSummary = await summarizeUsage(
      {
        from: Math.floor(Date.now() / hour) * hour - hour,
        to: Math.floor(Date.now() / hour) * hour + hour,
        bucket: 'hour',
        top: 5,
        userId: user.id,
      },
      { records: reader, ops: new DynamoOpsErrorLog(dynamo.client, settings.tables.state) },
    );
    assert.equal(usageSummary.total.requests, 1, 'the usage summary counts the served request only');
    assert.equal(
      usageSummary.total.billedNano,
      exported.find((record) => record.state === 'applied')?.billedNano,
    );
    assert.match(csvRow(lost[0] as UsageRecord), new RegExp(`^${lost[0]?.requestId},[^,]+,,[^,]+,lost,`));
  });

  it('lets an event that arrives after all replace the lost record and charge it once', async () => {
    // Prepare: one lost record of the test above.
    const [lost] = (await recordsOfRun((await lostUserId()) ?? '')).filter(
      (record) => record.state === 'lost',
    );
    assert.ok(lost);
    const runtime = createRecorderRuntime({
      tables: settings.tables,
      client: dynamo.client,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
    const admin = new DynamoConfigAdmin(dynamo.client, settings.tables.config);
    const before = (await getUser(admin, lost.userId)).balanceNano;
    const detail = {
      ...usageEventOfRecord({ ...lost, accountId: 'acc_late', modelSent: 'gpt-5.1' } as UsageRecord),
      endedAt: new Date().toISOString(),
      status: 200,
      upstreamStatus: 200,
      durationMs: 1_000,
      usage: { inputTokens: 1_000, cachedInputTokens: 0, outputTokens: 1_000, reasoningTokens: 0 },
      cutShort: false,
      failovers: 0,
    };

    // Act
    const first = await runtime.record(detail);
    const second = await runtime.record(detail);

    // Assess
    assert.equal(first.outcome, 'recorded');
    assert.equal(second.outcome, 'duplicate');
    const [record] = (await recordsOfRun(lost.userId)).filter((item) => item.requestId === lost.requestId);
    assert.equal(record?.state, 'applied');
    assert.ok((record?.billedNano ?? 0) > 0);
    assert.equal(record?.lostAt, undefined);
    assert.equal((await getUser(admin, lost.userId)).balanceNano, before - (record?.billedNano ?? 0));
  });
});

async function lostUserId(): Promise<string | undefined> {
  const admin = new DynamoConfigAdmin(dynamo.client, settings.tables.config);
  return (await admin.listUsers()).find((user) => user.email === 'lost@example.com')?.id;
}
