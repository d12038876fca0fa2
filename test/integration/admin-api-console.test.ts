/**
 * The admin API routes the console reads: keys across users with disable/enable, the usage
 * summary (hour and day buckets, errors from the ops log, top-N) and the record listing with its
 * cursor. Records are written by the real recorder on dynalite; expected sums are counted by hand
 * from the events below.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { toStoredOpsRecord } from '#shared/ops/ops-record.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { DynamoOpsErrorLog } from '#shared/store/dynamo/ops-error-log.ts';
import { CALENDAR_INSTANTS, PinnedClock } from '../support/pinned-clock.ts';
import { servedRequestEvent } from '../support/usage-event-fixture.ts';
import { type AdminWorld, startAdminWorld } from './admin-api-harness.ts';

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const HOUR = 3_600_000;

describe('admin API: what the console reads', { timeout: 60_000 }, () => {
  let world: AdminWorld;
  let ids: { ada: string; bob: string; adaKey: string; bobKey: string; account: string };
  // The admin API's clock is pinned at a mid-month noon: the records below are 09:01 and 11:02 of
  // 2026-11-14, whatever the hour the suite runs at.
  const clock = new PinnedClock(CALENDAR_INSTANTS.midMonthNoon);
  const thisHour = CALENDAR_INSTANTS.midMonthNoon;
  const threeHoursAgo = new Date(thisHour - 3 * HOUR + 60_000).toISOString();
  const oneHourAgo = new Date(thisHour - HOUR + 120_000).toISOString();

  before(async () => {
    world = await startAdminWorld({ now: clock.now });
    const ada = await world.ok('POST', '/admin/v1/users', { email: 'ada@example.com', balanceUsd: 100 });
    const bob = await world.ok('POST', '/admin/v1/users', { email: 'bob@example.com', balanceUsd: 100 });
    const adaKey = await world.ok('POST', '/admin/v1/keys', { userId: ada.id, name: 'ada laptop' });
    const bobKey = await world.ok('POST', '/admin/v1/keys', { userId: bob.id });
    const account = await world.ok('POST', '/admin/v1/accounts', {
      type: 'apikey',
      name: 'a',
      apiKey: 'sk-test-123456',
    });
    ids = { ada: ada.id, bob: bob.id, adaKey: adaKey.id, bobKey: bobKey.id, account: account.id };
    const recorder = createRecorderRuntime({ tables: world.tables, client: world.client, logger: silent });
    const event = (
      requestId: string,
      startedAt: string,
      who: { user: string; key: string },
      model: string,
      inputTokens: number,
      status = 200,
    ): UsageEventDetail =>
      servedRequestEvent({
        requestId,
        startedAt,
        userId: who.user,
        apiKeyId: who.key,
        accountId: ids.account,
        modelRequested: model,
        modelSent: model,
        status,
        upstreamStatus: status,
        usage: { inputTokens, cachedInputTokens: 0, outputTokens: 10, reasoningTokens: 0 },
        durationMs: 100,
      });
    const adaWho = { user: ids.ada, key: ids.adaKey };
    await recorder.record(event('req_c1', threeHoursAgo, adaWho, 'gpt-5.1', 1000));
    await recorder.record(event('req_c2', threeHoursAgo, adaWho, 'gpt-5.1', 3000));
    await recorder.record(
      event('req_c3', oneHourAgo, { user: ids.bob, key: ids.bobKey }, 'gpt-5-mini', 500, 502),
    );
    const ops = new DynamoOpsErrorLog(world.client, world.tables.state);
    await ops.write(
      toStoredOpsRecord({
        requestId: 'req_c3',
        at: Date.parse(oneHourAgo),
        route: '/v1/responses',
        method: 'POST',
        status: 502,
        errorType: 'upstream_error',
        message: 'upstream failed',
        userId: ids.bob,
        latencyMs: 100,
      }),
    );
  });
  after(async () => {
    await world?.close();
  });

  it('lists every key of every user, and disables and enables one', async () => {
    const all = await world.ok('GET', '/admin/v1/keys');
    assert.deepEqual(all.data.map((key: { id: string }) => key.id).sort(), [ids.adaKey, ids.bobKey].sort());
    assert.ok(all.data.every((key: Record<string, unknown>) => !('hash' in key)));
    const onlyBob = await world.ok('GET', `/admin/v1/keys?user=${ids.bob}`);
    assert.deepEqual(
      onlyBob.data.map((key: { id: string }) => key.id),
      [ids.bobKey],
    );

    const disabled = await world.ok('PATCH', `/admin/v1/keys/${ids.bobKey}`, { status: 'disabled' });
    assert.equal(disabled.status, 'disabled');
    const enabled = await world.ok('PATCH', `/admin/v1/keys/${ids.bobKey}`, { status: 'active' });
    assert.equal(enabled.status, 'active');
  });

  it('keeps a revoked key disabled and refuses a status change without a status', async () => {
    const created = await world.ok('POST', '/admin/v1/keys', { userId: ids.bob, name: 'to revoke' });
    await world.ok('POST', `/admin/v1/keys/${created.id}/revoke`, {});
    const before = await world.snapshot();
    const enable = await world.call('PATCH', `/admin/v1/keys/${created.id}`, { status: 'active' });
    assert.equal(enable.status, 409);
    assert.match(enable.json.error.message, /revoked/);
    const empty = await world.call('PATCH', `/admin/v1/keys/${created.id}`, {});
    assert.equal(empty.status, 400);
    const unknown = await world.call('PATCH', '/admin/v1/keys/key_nope', { status: 'disabled' });
    assert.equal(unknown.status, 404);
    assert.equal(await world.snapshot(), before);
  });

  it('sums the last 24 hours by hour, with errors from the ops log and the top users and models', async () => {
    const summary = await world.ok('GET', '/admin/v1/usage/summary?bucket=hour');
    assert.equal(summary.series.length, 24);
    assert.equal(summary.series.at(-1).start, '2026-11-14T12:00:00.000Z');
    const at = (iso: string) =>
      summary.series.find(
        (point: { start: string }) =>
          point.start === new Date(Math.floor(Date.parse(iso) / HOUR) * HOUR).toISOString(),
      );
    assert.deepEqual(
      [at(threeHoursAgo).requests, at(threeHoursAgo).inputTokens, at(threeHoursAgo).errors],
      [2, 4000, 0],
    );
    assert.deepEqual(
      [at(oneHourAgo).requests, at(oneHourAgo).failedRequests, at(oneHourAgo).errors],
      [1, 1, 1],
    );
    assert.equal(summary.total.requests, 3);
    assert.equal(summary.total.inputTokens, 4500);
    assert.equal(summary.total.outputTokens, 30);
    assert.equal(summary.total.errors, 1);
    assert.deepEqual(
      summary.top.user.map((entry: { id: string; requests: number }) => [entry.id, entry.requests]),
      [
        [ids.ada, 2],
        [ids.bob, 1],
      ],
    );
    assert.deepEqual(
      summary.top.model.map((entry: { id: string }) => entry.id),
      ['gpt-5.1', 'gpt-5-mini'],
    );
    const records = await world.ok('GET', '/admin/v1/usage/records?limit=1000');
    const costs = records.data.map((record: { costNano: number }) => record.costNano);
    assert.equal(summary.total.costNano, costs[0] + costs[1] + costs[2]);
    assert.equal(summary.truncated, false);
  });

  it('narrows the summary to a model, and sums this month by day', async () => {
    const mini = await world.ok('GET', '/admin/v1/usage/summary?model=gpt-5-mini');
    assert.equal(mini.total.requests, 1);
    assert.equal(mini.total.inputTokens, 500);
    const month = await world.ok('GET', '/admin/v1/usage/summary?bucket=day&top=1');
    assert.equal(month.series.length, 14);
    assert.equal(month.series[0].start, '2026-11-01T00:00:00.000Z');
    assert.equal(month.series.at(-1).start, '2026-11-14T00:00:00.000Z');
    const counted = (series: { requests: number }[]) =>
      series.reduce((sum, point) => sum + point.requests, 0);
    assert.equal(counted(month.series), 3);
    assert.ok(month.top.user.length <= 1);
  });

  it('starts this month afresh on the 1st, with the last tenth of a second still in the old month', async () => {
    try {
      clock.set(Date.parse('2026-11-30T23:59:59.900Z'));
      const lastOfMonth = await world.ok('GET', '/admin/v1/usage/summary?bucket=day');
      clock.set(Date.parse('2026-12-01T00:00:00.000Z'));
      const firstOfNext = await world.ok('GET', '/admin/v1/usage/summary?bucket=day');

      assert.equal(lastOfMonth.series.length, 30);
      assert.equal(lastOfMonth.series.at(-1).start, '2026-11-30T00:00:00.000Z');
      assert.equal(lastOfMonth.total.requests, 3);
      assert.deepEqual(
        firstOfNext.series.map((point: { start: string; requests: number }) => [point.start, point.requests]),
        [['2026-12-01T00:00:00.000Z', 0]],
      );
      assert.equal(firstOfNext.total.requests, 0);
    } finally {
      clock.set(CALENDAR_INSTANTS.midMonthNoon);
    }
  });

  it('lists records oldest first a page at a time, with a cursor to read on', async () => {
    const first = await world.ok('GET', '/admin/v1/usage/records?limit=2');
    assert.deepEqual(first.data.map((record: { requestId: string }) => record.requestId).sort(), [
      'req_c1',
      'req_c2',
    ]);
    assert.ok(first.nextCursor);
    const second = await world.ok(
      'GET',
      `/admin/v1/usage/records?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
    );
    assert.deepEqual(
      second.data.map((record: { requestId: string }) => record.requestId),
      ['req_c3'],
    );
    assert.equal(second.nextCursor, undefined);
    const bobs = await world.ok('GET', `/admin/v1/usage/records?user=${ids.bob}`);
    assert.deepEqual(
      bobs.data.map((record: { requestId: string }) => record.requestId),
      ['req_c3'],
    );
  });

  it('refuses bad summary and listing parameters with a clear 400', async () => {
    for (const [path, message] of [
      ['/admin/v1/usage/summary?bucket=week', /"bucket" must be hour or day/],
      [
        '/admin/v1/usage/summary?bucket=hour&from=2026-01-01&to=2026-02-01',
        /Hour buckets cover at most 7 days/,
      ],
      ['/admin/v1/usage/summary?top=0', /"top" must be a whole number/],
      ['/admin/v1/usage/summary?from=yesterday', /"from" must be a UTC day/],
      ['/admin/v1/usage/summary?color=red', /Unknown query parameter "color"/],
      ['/admin/v1/usage/records?limit=5000', /"limit" must be a whole number from 1 to 1000/],
      ['/admin/v1/usage/records?cursor=abc', /"cursor" is not a cursor/],
    ] as const) {
      const response = await world.call('GET', path);
      assert.equal(response.status, 400, path);
      assert.equal(response.json.error.type, 'invalid_request_error');
      assert.match(response.json.error.message, message, path);
    }
  });

  it('serves the console files without a token, and no data without one', async () => {
    const page = await fetch(`${world.server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="\/console\/main.js">/);
    const script = await fetch(`${world.server.url}/console/main.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    const missing = await fetch(`${world.server.url}/console/nope.js`);
    assert.equal(missing.status, 404);
    const data = await fetch(`${world.server.url}/admin/v1/keys`);
    assert.equal(data.status, 401);
  });
});
