/**
 * No alert is lost to a dying recorder, and none is sent twice. A charge that crosses both a
 * user's low-balance threshold and its key's quota is delivered by a recorder that dies at each
 * of its DynamoDB writes in turn (the write reaches DynamoDB, its answer and everything after it
 * is lost), the alert writes among them: the pending record, the claim, the confirmation and the
 * published mark. Then the world goes on as on AWS: Lambda redelivers the event, and the
 * recorder's scheduled run sweeps and republishes; or the event is gone for good, and after the
 * scheduled run the user's next charge comes. Each crossing is alerted once: one alert id on the
 * bus (sent twice only when the bus had accepted it just before the death), one record of it
 * kept and published, and each charge applied once.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { InProcessEventBus } from '#local/event-bus.ts';
import { ALERT_EVENT_DETAIL_TYPE, ALERT_EVENT_SOURCE, type Alert } from '#shared/alerts/alert.ts';
import type { ApiKey } from '#shared/domain/types.ts';
import { DynamoAlertStore } from '#shared/store/dynamo/alert-store.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import type { DocumentClient } from '#shared/store/dynamo/document-client.ts';
import { keys } from '#shared/tables/keys.ts';
import {
  alertingRecorder,
  DEFAULT_EVENT_BILLED_NANO,
  KEYS,
  type RecorderWorld,
  startRecorderWorld,
  TestClock,
  usageEvent,
} from './recorder-harness.ts';

/** One default event on a balance key of group g_bal, by hand in the fixtures. */
const B = DEFAULT_EVENT_BILLED_NANO.g_bal ?? 0;
/** Longer than a delivery's claim on its record and than the republish delay (60 s). */
const LATER_MS = 10 * 60_000;

describe('alerts of a recorder that dies at any write', () => {
  let world: RecorderWorld;
  let bus: InProcessEventBus;
  let store: DynamoAlertStore;
  const clock = new TestClock();
  const received: Alert[] = [];

  const recorderOn = (client: DocumentClient) => alertingRecorder(world, bus, client);

  /** A user of balance 2 B alerting below 1.5 B, with a key of quota B: one charge crosses both. */
  const crossing = async (name: string) => {
    const key: ApiKey = {
      ...(KEYS[0] as ApiKey),
      id: `k_${name}`,
      hash: createHash('sha256').update(name).digest('hex'),
      userId: `u_${name}`,
      groupId: 'g_bal',
      quotaNano: B,
    };
    const user = configItems.user({
      id: `u_${name}`,
      email: `${name}@example.com`,
      status: 'active',
      concurrency: 0,
      balanceNano: 2 * B,
      createdAt: '2026-01-01T00:00:00.000Z',
      lowBalanceAlertNano: Math.round(1.5 * B),
    });
    for (const item of [user, configItems.apiKey(key)]) {
      await world.client.send(new PutCommand({ TableName: world.tables.config, Item: item }));
    }
    return { key, event: usageEvent(`req-${name}`, key, { apiKeyHash: key.hash }) };
  };

  const storedAlertsOf = async (userId: string) => {
    const window = { fromMs: clock.now() - 86_400_000, toMs: clock.now() + 60_000, limit: 1_000 };
    return {
      listed: (await store.list(window)).filter((alert) => alert.userId === userId),
      unpublished: (await store.listUnpublished(window)).filter((each) => each.alert.userId === userId),
    };
  };

  before(async () => {
    world = await startRecorderWorld(clock);
    store = new DynamoAlertStore(world.client, world.tables);
    bus = new InProcessEventBus();
    bus.subscribe(
      { source: [ALERT_EVENT_SOURCE], 'detail-type': [ALERT_EVENT_DETAIL_TYPE] },
      async (event) => {
        received.push(event.detail as unknown as Alert);
      },
    );
  });
  after(async () => {
    await bus.drain();
    await world.close();
  });

  it('delivers each crossing exactly once, with or without a redelivery, whichever write it died at', async () => {
    // Prepare: how many writes a healthy delivery of a crossing charge makes.
    const counting = world.countingClient();
    const clean = await crossing('clean');
    await recorderOn(counting.client).record(clean.event, clock.now() + 20_000);
    await bus.drain();
    const writes = counting.writes();
    const cleanKinds = received.filter((alert) => alert.userId === 'u_clean').map((alert) => alert.kind);
    assert.deepEqual(cleanKinds.sort(), ['key_quota', 'low_balance']);
    const healthy = recorderOn(world.client);

    for (const redelivered of [true, false]) {
      for (let diesAt = 1; diesAt <= writes; diesAt += 1) {
        const name = `dies-${diesAt}-${redelivered ? 'redelivered' : 'swept'}`;
        const { event } = await crossing(name);

        // Act: the delivery dies; Lambda may deliver the event again; the schedule runs later.
        await recorderOn(world.crashAfterWrites(diesAt))
          .record(event, clock.now() + 20_000)
          .catch(() => undefined);
        await bus.drain();
        const userId = `u_${name}`;
        const sentBeforeDeath = received
          .filter((alert) => alert.userId === userId)
          .map((alert) => alert.alertId);
        clock.advance(LATER_MS);
        if (redelivered) await healthy.record(event, clock.now() + 20_000);
        clock.advance(LATER_MS);
        await healthy.runScheduled(clock.now() + 20_000);
        if (!redelivered) {
          // An event gone for good after an applied record leaves its watch to the next charge.
          await healthy.record({ ...event, requestId: `${event.requestId}-next` }, clock.now() + 20_000);
          clock.advance(LATER_MS);
          await healthy.runScheduled(clock.now() + 20_000);
        }
        await bus.drain();

        // Assess: one alert per crossing. The bus sees one twice only when the dying delivery
        // had it accepted and died before marking it published (at least once, same alertId).
        const at = `died at write ${diesAt} of ${writes}, ${redelivered ? 'redelivered' : 'swept'}`;
        const sent = received.filter((alert) => alert.userId === userId);
        const alertIds = [...new Set(sent.map((alert) => alert.alertId))];
        assert.deepEqual(
          [...new Set(sent.map((alert) => alert.kind))].sort(),
          ['key_quota', 'low_balance'],
          at,
        );
        assert.equal(alertIds.length, 2, `${at}: ${alertIds.join(', ')}`);
        const sentAfterDeath = sent.slice(sentBeforeDeath.length).map((alert) => alert.alertId);
        assert.equal(
          new Set(sentAfterDeath).size,
          sentAfterDeath.length,
          `${at}: sent twice after the death`,
        );
        if (sentBeforeDeath.length === 0) assert.equal(sent.length, 2, `${at}: sent ${sent.length}`);
        const stored = await storedAlertsOf(userId);
        assert.deepEqual(stored.listed.map((alert) => alert.alertId).sort(), alertIds.sort(), at);
        assert.deepEqual(stored.unpublished, [], `records left unpublished, died at write ${diesAt}`);
        const charges = redelivered ? 1 : 2;
        assert.equal((await world.getItem('config', keys.user(userId)))?.balanceNano, (2 - charges) * B, at);
      }
    }
  });
});
