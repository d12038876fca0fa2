/**
 * `quotagate usage export --api`: the same bytes as the export from the tables, CSV (with the
 * users' emails) and JSON Lines, filters included, read page by page through the admin API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { exportUsageRecords } from '#shared/usage/export.ts';
import { httpTransport } from '../../cli/admin-api-client.ts';
import { recordsOverApi } from '../../cli/usage-over-api.ts';
import { servedRequestEvent } from '../support/usage-event-fixture.ts';
import { type CliWorld, runCliCaptured, startCliWorld } from './cli-harness.ts';

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const RECORDS = 41;

describe('quotagate usage export --api', { timeout: 60_000 }, () => {
  let world: CliWorld;
  let ada = '';
  let adminUrl = '';
  // A past day, written out: the records and every --from/--to name it whatever the hour now.
  const day = '2026-11-14';

  before(async () => {
    world = await startCliWorld();
    const admin = await world.startAdminApi();
    adminUrl = admin.url;
    ada = (await world.ok<{ id: string }>('users', 'create', '--email', 'ada@example.com')).id;
    const recorder = createRecorderRuntime({ tables: world.tables, client: world.client, logger: silent });
    const start = Date.parse(`${day}T00:00:00.000Z`);
    const record = async (index: number) => {
      const at = new Date(start + index * 1000).toISOString();
      await recorder.record(
        servedRequestEvent({
          requestId: `req_x${String(index).padStart(4, '0')}`,
          startedAt: at,
          userId: index % 2 === 0 ? ada : 'usr_other',
          apiKeyId: 'key_1',
          accountId: 'acc_1',
          usage: { inputTokens: 10 + index, cachedInputTokens: 0, outputTokens: 5, reasoningTokens: 0 },
          durationMs: 10,
        }),
      );
    };
    // Recorded 25 at a time: the recorder's writes are independent between requests.
    for (let first = 0; first < RECORDS; first += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, RECORDS - first) }, (_, offset) => record(first + offset)),
      );
    }
  });
  after(async () => {
    await world?.close();
  });

  const viaApi = (...args: string[]) => world.viaApi('usage', 'export', ...args);
  const viaTables = (...args: string[]) => runCliCaptured(['usage', 'export', ...args], world.env);

  it('writes the same CSV and JSON Lines as the export from the tables', async () => {
    for (const format of ['csv', 'jsonl']) {
      const tables = await viaTables('--from', day, '--to', day, '--format', format);
      const api = await viaApi('--from', day, '--to', day, '--format', format);
      assert.equal(tables.code, 0, tables.stderr);
      assert.equal(api.code, 0, api.stderr);
      assert.equal(api.stdout, tables.stdout);
      const lines = api.stdout.trim().split('\n');
      assert.equal(lines.length, format === 'csv' ? RECORDS + 1 : RECORDS);
    }
    const csv = (await viaApi('--from', day, '--to', day)).stdout;
    assert.match(csv, /ada@example\.com/);
  });

  it('applies the filters the same way', async () => {
    const tables = await viaTables('--from', day, '--to', day, '--user', ada, '--format', 'jsonl');
    const api = await viaApi('--from', day, '--to', day, '--user', ada, '--format', 'jsonl');
    assert.equal(api.stdout, tables.stdout);
    assert.equal(api.stdout.trim().split('\n').length, (RECORDS + 1) / 2);
  });

  it('follows the cursor page by page and reads every record once, in order', async () => {
    const day0 = Date.parse(`${day}T00:00:00.000Z`);
    const range = { from: day0, to: day0 + 86_400_000 };
    const direct = [];
    for await (const record of exportUsageRecords(range, new DynamoUsageReader(world.client, world.tables))) {
      direct.push(record.requestId);
    }
    const paged = [];
    const api = httpTransport({ url: adminUrl, token: world.adminToken });
    for await (const record of recordsOverApi(api, range, 7)) paged.push(record.requestId);
    assert.equal(paged.length, RECORDS);
    assert.deepEqual(paged, direct);
  });

  it('refuses --api together with table flags', async () => {
    const both = await runCliCaptured(
      ['usage', 'export', '--from', day, '--to', day, '--api', adminUrl, '--endpoint', world.db.endpoint],
      {},
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--api calls the admin API; it cannot be combined with --endpoint/);
  });
});
