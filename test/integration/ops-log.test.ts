import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createOpsRecorder } from '#shared/ops/create-ops-recorder.ts';
import type { OpsRecord } from '#shared/ops/ops-record.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoOpsErrorLog, opsShardOf } from '#shared/store/dynamo/ops-error-log.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';

const tables = tableNamesForStage('opstest');
const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const HOUR = 3_600_000;

function record(index: number, overrides: Partial<OpsRecord> = {}): OpsRecord {
  return {
    requestId: `req_${String(index).padStart(4, '0')}`,
    at: T0 + index * 60_000,
    route: '/v1/responses',
    method: 'POST',
    status: 502,
    errorType: 'upstream_error',
    message: 'Upstream service temporarily unavailable',
    userId: 'usr_a',
    apiKeyId: 'key_a',
    accountId: 'acc_a',
    upstreamStatus: 503,
    latencyMs: 100 + index,
    ...overrides,
  };
}

describe('ops error log on DynamoDB', () => {
  let db: RunningDynalite;
  let client: ReturnType<typeof createDocumentClient>;
  let log: DynamoOpsErrorLog;
  const errors: unknown[][] = [];

  before(async () => {
    db = await startDynalite({ port: 0 });
    await ensureTables(db.endpoint, tables);
    client = createDocumentClient(db.endpoint);
    log = new DynamoOpsErrorLog(client, tables.state);
    const recorder = createOpsRecorder({ client, tables, logger: { error: (...args) => errors.push(args) } });
    // 40 records a minute apart on 2026-11-27, plus a few with other attributes and one the day before.
    for (let index = 0; index < 40; index += 1) await recorder.recordError(record(index));
    await recorder.recordError(record(100, { status: 429, errorType: 'rate_limit_error', userId: 'usr_b' }));
    await recorder.recordError(
      record(101, { status: 401, errorType: 'authentication_error', accountId: undefined }),
    );
    await recorder.recordError(record(102, { at: T0 - 20 * HOUR, userId: 'usr_old' }));
  });
  after(async () => {
    client.destroy();
    await db.close();
  });

  it('writes each record once, spread over the shards, expiring about 30 days after the request', async () => {
    // Act
    const { Items: items = [] } = await client.send(new ScanCommand({ TableName: tables.state }));

    // Assess
    assert.equal(items.length, 43);
    assert.equal(new Set(items.map((item) => item.pk)).size > 4, true, 'records of 2 days over 4 shards');
    for (const item of items) {
      assert.match(String(item.pk), /^OPS#\d{4}-\d{2}-\d{2}#[0-3]$/);
      assert.equal(item.pk, `OPS#${item.day}#${opsShardOf(String(item.requestId))}`);
      assert.equal(item.expiresAt, Math.floor(Number(item.at) / 1000) + 30 * 86_400);
    }
    assert.deepEqual(errors, []);
  });

  it('reads a range back newest first, across days', async () => {
    // Act
    const page = await log.query({ fromMs: T0 - 24 * HOUR, toMs: T0 + 24 * HOUR, limit: 1000 });

    // Assess
    assert.equal(page.records.length, 43);
    assert.equal(page.nextCursor, undefined);
    const times = page.records.map((each) => each.at);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    assert.equal(page.records.at(-1)?.userId, 'usr_old');
    assert.equal(page.records[0]?.requestId, 'req_0101');
  });

  it('narrows by status class, error type, user, key and account', async () => {
    const range = { fromMs: T0 - 24 * HOUR, toMs: T0 + 24 * HOUR, limit: 1000 };
    const ids = async (filter: object) =>
      (await log.query({ ...range, ...filter })).records.map((each) => each.requestId).sort();

    assert.deepEqual(await ids({ status: { min: 400, max: 499 } }), ['req_0100', 'req_0101']);
    assert.deepEqual(await ids({ errorType: 'rate_limit_error' }), ['req_0100']);
    assert.deepEqual(await ids({ userId: 'usr_b' }), ['req_0100']);
    assert.equal((await ids({ apiKeyId: 'key_a' })).length, 43);
    assert.equal((await ids({ accountId: 'acc_a' })).length, 42);
    assert.deepEqual(await ids({ userId: 'usr_old', status: { min: 500, max: 599 } }), ['req_0102']);
  });

  it('pages with a cursor without skipping or repeating a record', async () => {
    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log.query({
        fromMs: T0 - 24 * HOUR,
        toMs: T0 + 24 * HOUR,
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.records.map((each) => each.requestId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);

    // Assess
    assert.equal(seen.length, 43);
    assert.equal(new Set(seen).size, 43);
  });

  it('honours an exclusive end time', async () => {
    // Act
    const page = await log.query({ fromMs: T0, toMs: T0 + 5 * 60_000, limit: 100 });

    // Assess
    assert.deepEqual(
      page.records.map((each) => each.requestId),
      ['req_0004', 'req_0003', 'req_0002', 'req_0001', 'req_0000'],
    );
  });

  it('stores redacted text only', async () => {
    // Prepare
    const recorder = createOpsRecorder({ client, tables, logger: { error: () => {} } });

    // Act
    await recorder.recordError(
      record(200, {
        message: 'upstream said: Incorrect API key provided: sk-proj-SECRETSECRET123 (Bearer abc.def)',
      }),
    );

    // Assess
    const { Items: items = [] } = await client.send(new ScanCommand({ TableName: tables.state }));
    const text = JSON.stringify(items.find((item) => item.requestId === 'req_0200'));
    assert.ok(!text.includes('SECRETSECRET123'));
    assert.ok(!text.includes('abc.def'));
    assert.match(text, /sk-\[redacted\]/);
  });

  it('never rejects: a failed write logs the redacted record at error level instead', async () => {
    // Prepare: a table that does not exist makes DynamoDB refuse the write
    const logged: unknown[][] = [];
    const recorder = createOpsRecorder({
      client,
      tables: { state: 'no-such-table' },
      logger: { error: (...args) => logged.push(args) },
    });

    // Act
    await recorder.recordError(record(300, { message: 'key sk-abcdefghijkl refused' }));

    // Assess
    assert.equal(logged.length, 1);
    const [message, attributes] = logged[0] as [
      string,
      { requestId: string; opsRecord: { message: string } },
    ];
    assert.equal(message, 'ops record not written');
    assert.equal(attributes.requestId, 'req_0300');
    assert.equal(attributes.opsRecord.message, 'key sk-[redacted] refused');
  });
});
