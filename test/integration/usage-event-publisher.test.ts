/**
 * The EventBridge publisher over the gateway's own EventBridge client against a local HTTP peer
 * that speaks PutEvents (AWS JSON 1.1), so the client serialises, signs and parses as it would
 * against AWS; parking goes to dynalite.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createEventBridgeClient, EventBridgeJsonClient } from '#shared/events/eventbridge-client.ts';
import { buildUsageEventEntry, EventBridgeUsagePublisher } from '#shared/events/eventbridge-publisher.ts';
import {
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
  type UsageEventDetail,
} from '#shared/events/usage-event.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoParkedUsageEvents } from '#shared/store/dynamo/usage-parked-events.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import {
  type PutEventsAnswer,
  type PutEventsServer,
  startPutEventsServer,
} from '../support/put-events-server.ts';
import { servedRequestEvent } from '../support/usage-event-fixture.ts';

const throttled: PutEventsAnswer = () => ({
  status: 400,
  body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
});

function detail(requestId: string, extra: Partial<UsageEventDetail> = {}): UsageEventDetail {
  return servedRequestEvent({
    requestId,
    startedAt: '2026-11-27T12:00:00.000Z',
    endedAt: '2026-11-27T12:00:03.000Z',
    userId: 'u_1',
    apiKeyId: 'k_1',
    groupId: 'g_1',
    accountId: 'a_1',
    modelRequested: 'gpt-5.1-codex',
    modelSent: 'gpt-5.1-codex',
    stream: true,
    usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningTokens: 0 },
    durationMs: 3000,
    ...extra,
  });
}

describe('EventBridgeUsagePublisher', () => {
  let fake: PutEventsServer;
  let db: RunningDynalite;
  let client: EventBridgeJsonClient;
  let parked: DynamoParkedUsageEvents;
  let errors: unknown[][];
  let sleeps: number[];
  const tables = tableNamesForStage('publisher');

  const publisher = (options: { maxAttempts?: number; parking?: DynamoParkedUsageEvents } = {}) =>
    new EventBridgeUsagePublisher({
      client,
      eventBusName: 'quotagate-test',
      parking: options.parking ?? parked,
      logger: { warn: () => {}, error: (...args: unknown[]) => errors.push(args) },
      maxAttempts: options.maxAttempts ?? 4,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 1,
    });

  before(async () => {
    fake = await startPutEventsServer();
    db = await startDynalite({ port: 0 });
    await ensureTables(db.endpoint, tables);
    // As the gateway builds it: one attempt per call, the publisher retries.
    client = createEventBridgeClient({ endpoint: fake.url, maxAttempts: 1 });
    parked = new DynamoParkedUsageEvents(createDocumentClient(db.endpoint), tables.usage);
  });
  beforeEach(async () => {
    fake.calls.length = 0;
    fake.answers = [];
    errors = [];
    sleeps = [];
    for (const event of await parked.list(100)) await parked.remove(event.requestId);
  });
  after(async () => {
    client.destroy();
    await fake.close();
    await db.close();
  });

  it('sends one usage event as one entry with the documented source and detail-type', async () => {
    const event = detail('req-plain');
    await publisher().publish(event);
    assert.equal(fake.calls.length, 1);
    const [entry] = fake.calls[0]?.entries ?? [];
    assert.equal(entry?.Source, USAGE_EVENT_SOURCE);
    assert.equal(entry?.DetailType, USAGE_EVENT_DETAIL_TYPE);
    assert.equal(entry?.EventBusName, 'quotagate-test');
    assert.deepEqual(JSON.parse(entry?.Detail ?? '{}'), event);
    assert.deepEqual(buildUsageEventEntry(event, 'quotagate-test').Detail, entry?.Detail);
  });

  it('sends again only the entries EventBridge reported as failed', async () => {
    // Prepare: the first call fails the second of three entries.
    fake.answers = [
      (entries) => ({
        status: 200,
        body: {
          FailedEntryCount: 1,
          Entries: entries.map((_, index) =>
            index === 1
              ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
              : { EventId: `e${index}` },
          ),
        },
      }),
    ];

    // Act
    await publisher().publishAll([detail('req-a'), detail('req-b'), detail('req-c')]);

    // Assess
    assert.deepEqual(
      fake.calls.map((call) => call.entries.map((entry) => JSON.parse(entry.Detail ?? '{}').requestId)),
      [['req-a', 'req-b', 'req-c'], ['req-b']],
    );
    assert.deepEqual(await parked.list(10), []);
  });

  it('retries a throttled or failing call with growing backoff', async () => {
    fake.answers = [
      throttled,
      () => ({ status: 500, body: { __type: 'InternalException', message: 'oops' } }),
    ];
    await publisher().publish(detail('req-retried'));
    assert.equal(fake.calls.length, 3);
    assert.deepEqual(sleeps, [100, 200]);
    assert.equal(errors.length, 0);
  });

  it('retries a call whose connection dropped, and sends each event as it ended (Time in epoch seconds)', async () => {
    fake.answers = [() => 'drop'];
    const event = detail('req-dropped');
    await publisher().publish(event);
    assert.equal(fake.calls.length, 2);
    assert.equal(fake.calls[1]?.entries[0]?.Time, Date.parse(event.endedAt) / 1000);
    assert.deepEqual(await parked.list(10), []);
  });

  it('parks an event EventBridge kept refusing without logging a credential or the signature', async () => {
    // Prepare: a client signing with secrets, and a bus that refuses every call.
    const secret = { accessKeyId: 'AKIDPUBLISHERTEST', secretAccessKey: 'publisher-secret-0123456789' };
    const signed = new EventBridgeJsonClient({
      endpoint: fake.url,
      region: 'eu-west-1',
      credentials: { ...secret, sessionToken: 'publisher-session-token' },
      maxAttempts: 1,
    });
    fake.answers = [() => 'drop', () => ({ status: 403, body: { __type: 'AccessDeniedException' } })];
    const logged: unknown[][] = [];
    const publishing = new EventBridgeUsagePublisher({
      client: signed,
      eventBusName: 'quotagate-test',
      parking: parked,
      logger: {
        warn: (...args: unknown[]) => logged.push(args),
        error: (...args: unknown[]) => logged.push(args),
      },
      maxAttempts: 2,
      sleep: async () => {},
    });

    // Act
    try {
      await publishing.publish(detail('req-denied'));
    } finally {
      signed.destroy();
    }

    // Assess
    assert.equal((await parked.list(10))[0]?.reason, 'AccessDeniedException');
    const shown = JSON.stringify(logged);
    const signature = /Signature=([0-9a-f]{64})/.exec(String(fake.calls[0]?.headers.authorization))?.[1];
    assert.ok(signature);
    for (const hidden of [secret.secretAccessKey, 'publisher-session-token', signature, 'AWS4-HMAC-SHA256']) {
      assert.ok(!shown.includes(hidden), `the log shows ${hidden.slice(0, 12)}…`);
    }
  });

  it('parks an event that still fails after every try, logs an error and resolves', async () => {
    // Prepare
    fake.answers = [throttled, throttled, throttled];

    // Act
    await publisher({ maxAttempts: 3 }).publish(detail('req-parked'));

    // Assess
    assert.equal(fake.calls.length, 3);
    const [parkedEvent] = await parked.list(10);
    assert.equal(parkedEvent?.requestId, 'req-parked');
    assert.equal(parkedEvent?.reason, 'ThrottlingException');
    assert.deepEqual(parkedEvent?.detail, detail('req-parked'));
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0]?.[1], { requestId: 'req-parked', reason: 'ThrottlingException' });
  });

  it('parks at once an entry refused for a reason retrying cannot fix', async () => {
    fake.answers = [
      () => ({ status: 200, body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail' }] } }),
    ];
    await publisher().publish(detail('req-malformed'));
    assert.equal(fake.calls.length, 1);
    assert.equal((await parked.list(10))[0]?.reason, 'MalformedDetail');
  });

  it('puts at most 10 entries in a call', async () => {
    const events = Array.from({ length: 23 }, (_, index) => detail(`req-batch-${index}`));
    await publisher().publishAll(events);
    assert.deepEqual(
      fake.calls.map((call) => call.entries.length),
      [10, 10, 3],
    );
  });

  it('parks an entry over EventBridge size limit without sending it', async () => {
    const huge = detail('req-huge', { codexHeaders: { 'x-codex-note': 'x'.repeat(300 * 1024) } });
    await publisher().publish(huge);
    assert.equal(fake.calls.length, 0);
    assert.equal((await parked.list(10))[0]?.reason, 'EntryTooLarge');
  });

  it('logs the whole event and rejects when even parking fails', async () => {
    // Prepare: EventBridge refuses and the parking table does not exist.
    fake.answers = [throttled, throttled];
    const nowhere = new DynamoParkedUsageEvents(createDocumentClient(db.endpoint), 'no-such-table');

    // Act
    const publishing = publisher({ maxAttempts: 2, parking: nowhere }).publish(detail('req-lost'));

    // Assess
    await assert.rejects(publishing, /req-lost/);
    const logged = errors.at(-1)?.[1] as { usageEvent?: UsageEventDetail; requestId?: string };
    assert.equal(logged.requestId, 'req-lost');
    assert.deepEqual(logged.usageEvent, detail('req-lost'));
  });
});
