import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { InProcessEventBus } from '#local/event-bus.ts';
import { ALERT_EVENT_DETAIL_TYPE, ALERT_EVENT_SOURCE, type Alert } from '#shared/alerts/alert.ts';
import type { ApiKey, User } from '#shared/domain/types.ts';
import type { RecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { ALERT_DEFAULTS_TTL_MS } from '#shared/store/alert-store.ts';
import { DynamoAlertStore } from '#shared/store/dynamo/alert-store.ts';
import { DynamoBalanceOperations } from '#shared/store/dynamo/balance-operations.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import { keys } from '#shared/tables/keys.ts';
import {
  alertingRecorder,
  DEFAULT_EVENT_BILLED_NANO,
  KEYS,
  type RecorderWorld,
  startRecorderWorld,
  T0,
  TestClock,
  usageEvent,
} from './recorder-harness.ts';

/** What one default event bills on a balance key of group g_bal (× 1.5), by hand in the fixtures. */
const B = DEFAULT_EVENT_BILLED_NANO.g_bal ?? 0;
const CREATED = '2026-01-01T00:00:00.000Z';

function user(id: string, balanceNano: number, extra: Partial<User> = {}): User {
  return {
    id,
    email: `${id}@example.com`,
    status: 'active',
    concurrency: 0,
    balanceNano,
    createdAt: CREATED,
    ...extra,
  };
}

function key(id: string, userId: string, extra: Partial<ApiKey> = {}): ApiKey {
  const template = KEYS[0] as ApiKey;
  return {
    ...template,
    id,
    hash: createHash('sha256').update(id).digest('hex'),
    userId,
    groupId: 'g_bal',
    name: `key ${id}`,
    ...extra,
  };
}

describe('alerts raised by the recorder', () => {
  let world: RecorderWorld;
  let bus: InProcessEventBus;
  let recorder: RecorderRuntime;
  const clock = new TestClock();
  let failAlerts = false;
  const received: Alert[] = [];

  const put = async (item: Record<string, unknown>) =>
    world.client.send(new PutCommand({ TableName: world.tables.config, Item: item }));
  const alertsOf = (kind: string, subject: string) =>
    received.filter((alert) => alert.kind === kind && (alert.apiKeyId ?? alert.userId) === subject);
  const record = (id: string, of: ApiKey) =>
    recorder.record(usageEvent(id, of, { apiKeyHash: of.hash }), clock.now() + 20_000);

  before(async () => {
    world = await startRecorderWorld(clock);
    bus = new InProcessEventBus({
      failEntry: (entry) => failAlerts && entry.Source === ALERT_EVENT_SOURCE,
    });
    bus.subscribe(
      { source: [ALERT_EVENT_SOURCE], 'detail-type': [ALERT_EVENT_DETAIL_TYPE] },
      async (event) => {
        received.push(event.detail as unknown as Alert);
      },
    );
    recorder = alertingRecorder(world, bus);
  });
  after(async () => {
    await bus.drain();
    await world.close();
  });

  it('alerts once when a flood of requests, each delivered twice, takes a balance below its threshold', async () => {
    // Prepare: 10 charges of B from 10 B; the threshold 5.5 B is crossed by the fifth.
    const flooded = key('k_flood', 'u_flood');
    await put(configItems.user(user('u_flood', 10 * B, { lowBalanceAlertNano: Math.round(5.5 * B) })));
    await put(configItems.apiKey(flooded));

    // Act
    const ids = Array.from({ length: 10 }, (_, index) => `flood-${index}`);
    await Promise.all([...ids, ...ids].map((id) => record(id, flooded)));
    await bus.drain();

    // Assess
    const alerts = alertsOf('low_balance', 'u_flood');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.limitNano, Math.round(5.5 * B));
    assert.ok((alerts[0]?.valueNano ?? Infinity) < 5.5 * B);
    const stored = await world.getItem('config', keys.user('u_flood'));
    assert.equal(stored?.balanceNano, 0);
    assert.equal(typeof stored?.lowBalanceAlertedAt, 'string');
  });

  it('alerts again after a top-up re-armed it and the balance falls again', async () => {
    // Prepare: the flood left u_flood at 0, alerted; a top-up to 6 B is above the threshold.
    const flooded = key('k_flood', 'u_flood');
    await new DynamoBalanceOperations(world.client, world.tables.config).add('u_flood', 6 * B);
    const rearmed = await world.getItem('config', keys.user('u_flood'));
    assert.equal(rearmed?.lowBalanceAlertedAt, undefined);

    // Act: 6 B → 5 B crosses 5.5 B again.
    await record('again-1', flooded);
    await bus.drain();

    // Assess
    assert.equal(alertsOf('low_balance', 'u_flood').length, 2);
  });

  it('uses the request defaults threshold for users without their own, and none without either', async () => {
    // Prepare
    const plain = key('k_plain', 'u_plain');
    await put(configItems.user(user('u_plain', 2 * B)));
    await put(configItems.apiKey(plain));

    // Act: no threshold anywhere, then a default of 1.5 B, which the recorder applies once its
    // copy of the defaults is due a new read.
    await record('plain-1', plain);
    await bus.drain();
    const before = alertsOf('low_balance', 'u_plain').length;
    await put({ ...keys.requestDefaults(), lowBalanceAlertNano: Math.round(1.5 * B) });
    clock.advance(ALERT_DEFAULTS_TTL_MS);
    await record('plain-2', plain);
    await bus.drain();

    // Assess
    assert.equal(before, 0);
    assert.equal(alertsOf('low_balance', 'u_plain').length, 1);
    await put({ ...keys.requestDefaults() });
  });

  it('names the record that took a claim, so a pending record can tell its own claim from another', async () => {
    // Prepare: a key at its quota, two racing records for its 100 % crossing.
    const store = new DynamoAlertStore(world.client, world.tables);
    const quoted = key('k_claimed', 'u_claimed', { quotaNano: 10 * B, usedNano: 10 * B });
    await put(configItems.apiKey(quoted));
    const claim = { kind: 'key_quota' as const, keyHash: quoted.hash, percent: 100, neededNano: 10 * B };
    const at = new Date(clock.now()).toISOString();
    const record = (requestId: string): Alert => ({
      alertId: `key_quota:${quoted.id}:${requestId}`,
      kind: 'key_quota',
      at,
      userId: 'u_claimed',
      apiKeyId: quoted.id,
      percent: 100,
      valueNano: 10 * B,
      limitNano: 10 * B,
      requestId,
    });
    const [winner, loser] = [record('race-a'), record('race-b')];
    await store.putPending(winner, claim);
    await store.putPending(loser, claim);
    const window = { fromMs: clock.now() - 1_000, toMs: clock.now() + 1_000, limit: 100 };
    const listed = async () => (await store.list(window)).filter((each) => each.apiKeyId === quoted.id);
    const unpublished = async () =>
      (await store.listUnpublished(window)).filter((each) => each.alert.apiKeyId === quoted.id);

    // Act
    const first = await store.claim(claim, winner);
    const second = await store.claim(claim, loser);
    const listedWhilePending = await listed();

    // Assess: one claim, held by the winner's record only
    assert.deepEqual([first, second], [true, false]);
    assert.deepEqual([await store.heldBy(claim, winner), await store.heldBy(claim, loser)], [true, false]);
    assert.deepEqual(listedWhilePending, []);

    // Act: the winner is confirmed, the loser deleted; deleting the winner then changes nothing.
    await store.confirm(winner);
    await store.discard(loser);
    await store.discard(winner);

    // Assess
    assert.deepEqual(
      (await listed()).map((each) => each.alertId),
      [winner.alertId],
    );
    assert.deepEqual(
      (await unpublished()).map((each) => [each.alert.alertId, each.pendingClaim]),
      [[winner.alertId, undefined]],
    );
    assert.equal((await world.getItem('config', keys.apiKey(quoted.hash)))?.quotaAlertPercent, 100);
    await store.markPublished(winner, at);
    assert.deepEqual(await unpublished(), []);
  });

  it("reads nothing to watch a charge: the user and key come back from the recorder's own writes", async () => {
    // Prepare: a recorder on a client that counts what it sends; a first charge fills its
    // price and request-defaults caches.
    const watched = key('k_reads', 'u_reads', { quotaNano: 100 * B });
    await put(configItems.user(user('u_reads', 100 * B, { lowBalanceAlertNano: Math.round(97.5 * B) })));
    await put(configItems.apiKey(watched));
    const sent: string[] = [];
    const client = world.intercepted((operation, _input, send) => {
      sent.push(operation);
      return send();
    });
    const counted = alertingRecorder(world, bus, client);
    await counted.record(usageEvent('reads-1', watched, { apiKeyHash: watched.hash }), clock.now() + 20_000);
    sent.splice(0);

    // Act: the third charge crosses 97.5 B (99 B → 98 B → 97 B)
    await counted.record(usageEvent('reads-2', watched, { apiKeyHash: watched.hash }), clock.now() + 20_000);
    await counted.record(usageEvent('reads-3', watched, { apiKeyHash: watched.hash }), clock.now() + 20_000);
    await bus.drain();

    // Assess: writes only, and the alert raised from what they returned
    assert.deepEqual(
      sent.filter((operation) => !['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation)),
      [],
    );
    assert.deepEqual(
      alertsOf('low_balance', 'u_reads').map((alert) => [alert.requestId, alert.valueNano]),
      [['reads-3', 97 * B]],
    );
  });

  it('alerts a key quota at 80 % and at 100 %, once each, however often each charge is delivered', async () => {
    // Prepare: a quota of 10 charges.
    const quoted = key('k_quota', 'u_quota', { quotaNano: 10 * B });
    await put(configItems.user(user('u_quota', 100 * B)));
    await put(configItems.apiKey(quoted));

    // Act: one at a time, each twice
    const levels: number[][] = [];
    for (let index = 0; index < 11; index += 1) {
      await record(`quota-${index}`, quoted);
      await record(`quota-${index}`, quoted);
      await bus.drain();
      levels.push(alertsOf('key_quota', 'k_quota').map((alert) => alert.percent ?? 0));
    }

    // Assess: the 8th charge (index 7) reaches 80 %, the 10th (index 9) 100 %.
    assert.deepEqual(levels[6], []);
    assert.deepEqual(levels[7], [80]);
    assert.deepEqual(levels[8], [80]);
    assert.deepEqual(levels[9], [80, 100]);
    assert.deepEqual(levels[10], [80, 100]);
  });

  it("alerts a key's daily budget at its own percent and at 100 %", async () => {
    // Prepare: a budget of 4 charges a day, alerting at 50 %.
    const budgeted = key('k_budget', 'u_budget', {
      budget: { period: 'daily', limitNano: 4 * B },
      alertPercent: 50,
    });
    await put(configItems.user(user('u_budget', 100 * B)));
    await put(configItems.apiKey(budgeted));

    // Act
    const seen: number[] = [];
    for (let index = 0; index < 5; index += 1) {
      await record(`budget-${index}`, budgeted);
      await bus.drain();
      seen.push(alertsOf('key_budget', 'k_budget').length);
    }

    // Assess
    assert.deepEqual(seen, [0, 1, 1, 2, 2]);
    const alerts = alertsOf('key_budget', 'k_budget');
    assert.deepEqual(
      alerts.map((alert) => [
        alert.percent,
        alert.period,
        alert.periodStart,
        alert.valueNano,
        alert.limitNano,
      ]),
      [
        [50, 'daily', new Date(T0).toISOString().slice(0, 10), 2 * B, 4 * B],
        [100, 'daily', new Date(T0).toISOString().slice(0, 10), 4 * B, 4 * B],
      ],
    );
  });

  it('keeps an alert the bus refused and republishes it in the scheduled run', async () => {
    // Prepare
    const refused = key('k_refused', 'u_refused');
    await put(configItems.user(user('u_refused', 2 * B, { lowBalanceAlertNano: Math.round(1.5 * B) })));
    await put(configItems.apiKey(refused));
    const store = new DynamoAlertStore(world.client, world.tables);

    // Act: the bus refuses alerts while the charge crosses; later the schedule runs.
    failAlerts = true;
    await record('refused-1', refused);
    await bus.drain();
    failAlerts = false;
    const waiting = await store.listUnpublished({ fromMs: T0 - 3_600_000, toMs: T0 + 3_600_000, limit: 50 });
    clock.advance(120_000);
    await recorder.runScheduled(clock.now() + 20_000);
    await bus.drain();

    // Assess
    assert.deepEqual(
      waiting.map((each) => [each.alert.userId, each.pendingClaim]),
      [['u_refused', undefined]],
    );
    assert.equal(alertsOf('low_balance', 'u_refused').length, 1);
    const left = await store.listUnpublished({ fromMs: T0 - 3_600_000, toMs: T0 + 3_600_000, limit: 50 });
    assert.deepEqual(left, []);
  });
});
