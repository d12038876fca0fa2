import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { createOpsRecorder } from '#shared/ops/create-ops-recorder.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { CALENDAR_INSTANTS, PinnedClock } from '../support/pinned-clock.ts';
import { servedRequestEvent } from '../support/usage-event-fixture.ts';
import { type AdminWorld, startAdminWorld } from './admin-api-harness.ts';

const silent = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Expected days, months and ranges per pinned instant, written by hand: the admin API computes
 * "today" and "this month" from its clock, and every instant here is pinned, so no answer depends
 * on the hour the suite runs at. Each instant has its own user, key, account and model, so one
 * instant's records never enter another's sums.
 */
const CASES = [
  {
    name: 'a mid-month noon',
    at: CALENDAR_INSTANTS.midMonthNoon,
    model: 'gpt-5.1',
    today: '2026-11-14',
    monthStart: '2026-11-01',
    lastMonthRecord: '2026-10-01T12:00:00.000Z',
    rangeFrom: '2026-09-05',
  },
  {
    name: 'the last tenth of a second of a year',
    at: CALENDAR_INSTANTS.lastTenthOfYear,
    model: 'gpt-5',
    today: '2026-12-31',
    monthStart: '2026-12-01',
    lastMonthRecord: '2026-11-01T12:00:00.000Z',
    rangeFrom: '2026-10-22',
  },
  {
    name: 'the first instant of a month',
    at: CALENDAR_INSTANTS.firstOfMonth,
    model: 'gpt-5-mini',
    today: '2027-01-01',
    monthStart: '2027-01-01',
    lastMonthRecord: '2026-12-01T12:00:00.000Z',
    rangeFrom: '2026-10-23',
  },
] as const;

describe('admin API: usage and ops reports', () => {
  let world: AdminWorld;
  const clock = new PinnedClock(CALENDAR_INSTANTS.midMonthNoon);

  before(async () => {
    world = await startAdminWorld({ now: clock.now });
  });
  after(async () => {
    await world.close();
  });

  for (const at of CASES) {
    describe(`at ${at.name} (${new Date(at.at).toISOString()})`, () => {
      let ids: { user: string; key: string; account: string };

      before(async () => {
        clock.set(at.at);
        const user = await world.ok('POST', '/admin/v1/users', {
          email: `usage-${at.today}@example.com`,
          balanceUsd: 100,
        });
        const key = await world.ok('POST', '/admin/v1/keys', { userId: user.id });
        const account = await world.ok('POST', '/admin/v1/accounts', {
          type: 'apikey',
          name: `a-${at.today}`,
          apiKey: 'sk-test-123456',
        });
        ids = { user: user.id, key: key.id, account: account.id };
        // Three requests recorded by the real recorder: two at the instant, one on the 1st of last month.
        const recorder = createRecorderRuntime({
          tables: world.tables,
          client: world.client,
          logger: silent,
        });
        const event = (requestId: string, startedAt: string, inputTokens: number): UsageEventDetail =>
          servedRequestEvent({
            requestId,
            startedAt,
            userId: ids.user,
            apiKeyId: ids.key,
            accountId: ids.account,
            modelRequested: at.model,
            modelSent: at.model,
            stream: true,
            usage: { inputTokens, cachedInputTokens: 0, outputTokens: 10, reasoningTokens: 0 },
            durationMs: 100,
          });
        const now = new Date(at.at).toISOString();
        await recorder.record(event(`req_u1_${at.today}`, now, 1000));
        await recorder.record(event(`req_u2_${at.today}`, now, 3000));
        await recorder.record(event(`req_u3_${at.today}`, at.lastMonthRecord, 500));
      });

      it('sums this month of a user from the daily aggregates, money in nano-USD and exact USD', async () => {
        // Act
        const report = await world.ok('GET', `/admin/v1/usage?by=user&id=${ids.user}`);

        // Assess
        assert.equal(report.by, 'user');
        assert.equal(report.to, at.today);
        assert.equal(report.from, at.monthStart);
        assert.deepEqual(
          report.days.map((day: { day: string; requests: number }) => [day.day, day.requests]),
          [[at.today, 2]],
        );
        assert.equal(report.total.requests, 2);
        assert.equal(report.total.inputTokens, 4000);
        assert.equal(report.total.outputTokens, 20);
        assert.ok(Number.isSafeInteger(report.total.costNano) && report.total.costNano > 0);
        assert.match(report.total.costUsd, /^\d+\.\d{2,9}$/);
      });

      it('reports by key, account and model over a chosen range', async () => {
        for (const [by, id] of [
          ['key', ids.key],
          ['account', ids.account],
          ['model', at.model],
        ] as const) {
          const report = await world.ok(
            'GET',
            `/admin/v1/usage?by=${by}&id=${id}&from=${at.rangeFrom}&to=${at.today}`,
          );
          assert.equal(report.total.requests, 3, `${by} ${id}`);
          assert.equal(report.days.length, 2);
        }
      });
    });
  }

  for (const [query, message] of [
    ['by=group&id=x', /"by" must be one of user, key, account, model/],
    ['by=user', /"id" is required/],
    ['by=user&id=u&from=2026-13-01', /"from" must be a UTC day/],
    ['by=user&id=u&from=2026-11-02&to=2026-11-01', /"from" must not be after "to"/],
    ['by=user&id=u&day=2026-11-01', /Unknown query parameter "day"/],
  ] as const) {
    it(`refuses usage?${query} with 400`, async () => {
      const result = await world.call('GET', `/admin/v1/usage?${query}`);
      assert.equal(result.status, 400);
      assert.match(result.json.error.message, message);
    });
  }

  describe('ops', () => {
    let ids: { user: string; key: string; account: string };
    before(async () => {
      clock.set(CALENDAR_INSTANTS.midMonthNoon);
      const user = await world.ok('POST', '/admin/v1/users', { email: 'ops@example.com', balanceUsd: 100 });
      const key = await world.ok('POST', '/admin/v1/keys', { userId: user.id });
      const account = await world.ok('POST', '/admin/v1/accounts', {
        type: 'apikey',
        name: 'ops',
        apiKey: 'sk-test-123456',
      });
      ids = { user: user.id, key: key.id, account: account.id };
      const ops = createOpsRecorder({ client: world.client, tables: world.tables, logger: silent });
      const base = CALENDAR_INSTANTS.midMonthNoon - 60_000;
      for (const [index, status, errorType] of [
        [0, 429, 'rate_limit_error'],
        [1, 502, 'upstream_error'],
        [2, 502, 'upstream_error'],
        [3, 401, 'authentication_error'],
      ] as const) {
        await ops.recordError({
          requestId: `req_ops${index}`,
          at: base + index * 1000,
          route: '/v1/responses',
          method: 'POST',
          status,
          errorType,
          message: `failure ${index} with Bearer sk-should-not-show-${index}`,
          userId: ids.user,
          apiKeyId: ids.key,
          ...(status === 502 ? { accountId: ids.account, upstreamStatus: 503 } : {}),
          latencyMs: 10,
        });
      }
    });

    it('lists the last 24 hours of errors newest first, redacted', async () => {
      // Act
      const result = await world.call('GET', '/admin/v1/ops');

      // Assess
      assert.deepEqual(
        result.json.data.map((record: { requestId: string }) => record.requestId),
        ['req_ops3', 'req_ops2', 'req_ops1', 'req_ops0'],
      );
      assert.ok(!result.text.includes('sk-should-not-show'));
      assert.equal(result.json.data[0].time, '2026-11-14T11:59:03.000Z');
    });

    it('filters by status class, type and account, and pages with a cursor', async () => {
      const fivexx = await world.ok('GET', '/admin/v1/ops?status=5xx');
      const typed = await world.ok('GET', '/admin/v1/ops?type=rate_limit_error');
      const byAccount = await world.ok('GET', `/admin/v1/ops?account=${ids.account}&user=${ids.user}`);
      const first = await world.ok('GET', '/admin/v1/ops?limit=3');
      const rest = await world.ok(
        'GET',
        `/admin/v1/ops?limit=3&cursor=${encodeURIComponent(first.nextCursor)}`,
      );

      assert.equal(fivexx.data.length, 2);
      assert.deepEqual(
        typed.data.map((record: { status: number }) => record.status),
        [429],
      );
      assert.equal(byAccount.data.length, 2);
      assert.equal(first.data.length, 3);
      assert.deepEqual(
        rest.data.map((record: { requestId: string }) => record.requestId),
        ['req_ops0'],
      );
      assert.equal(rest.nextCursor, undefined);
    });

    it('refuses a bad filter with 400', async () => {
      const result = await world.call('GET', '/admin/v1/ops?status=oops');
      assert.equal(result.status, 400);
      assert.match(result.json.error.message, /"status" must be a status/);
    });
  });
});
