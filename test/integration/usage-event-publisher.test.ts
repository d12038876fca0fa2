/**
 * The EventBridge publisher against a local HTTP peer that speaks PutEvents (AWS JSON 1.1), so
 * the real SDK client serialises, signs and parses as it would against AWS; parking goes to
 * dynalite.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { buildUsageEventEntry, EventBridgeUsagePublisher } from '#shared/events/eventbridge-publisher.ts';
import {
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
  type UsageEventDetail,
} from '#shared/events/usage-event.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoParkedUsageEvents } from '#shared/store/dynamo/usage-parked-events.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';

interface Entry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
}

/** How the fake answers one PutEvents call: a status and body, given the call's entries. */
type Answer = (entries: Entry[]) => { status: number; body: unknown };

const accepted: Answer = (entries) => ({
  status: 200,
  body: { FailedEntryCount: 0, Entries: entries.map((_, index) => ({ EventId: `evt-${index}` })) },
});
const throttled: Answer = () => ({
  status: 400,
  body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
});

class FakeEventBridge {
  readonly calls: Entry[][] = [];
  answers: Answer[] = [];
  readonly server: Server = createServer((request, response) => this.#handle(request, response));

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += chunk;
    assert.equal(request.headers['x-amz-target'], 'AWSEvents.PutEvents');
    const entries = (JSON.parse(body) as { Entries: Entry[] }).Entries;
    this.calls.push(entries);
    const answer = (this.answers.shift() ?? accepted)(entries);
    response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(answer.body));
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

function detail(requestId: string, extra: Partial<UsageEventDetail> = {}): UsageEventDetail {
  return {
    version: 1,
    requestId,
    startedAt: '2026-11-27T12:00:00.000Z',
    endedAt: '2026-11-27T12:00:03.000Z',
    userId: 'u_1',
    apiKeyId: 'k_1',
    groupId: 'g_1',
    accountId: 'a_1',
    billingMode: 'balance',
    rateMultiplier: 1,
    modelRequested: 'gpt-5.1-codex',
    modelSent: 'gpt-5.1-codex',
    stream: true,
    status: 200,
    upstreamStatus: 200,
    usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, reasoningTokens: 0 },
    cutShort: false,
    durationMs: 3000,
    failovers: 0,
    ...extra,
  };
}

describe('EventBridgeUsagePublisher', () => {
  const fake = new FakeEventBridge();
  let db: RunningDynalite;
  let client: EventBridgeClient;
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
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    db = await startDynalite({ port: 0 });
    await ensureTables(db.endpoint, tables);
    client = new EventBridgeClient({
      endpoint: fake.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
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
    fake.server.close();
    await db.close();
  });

  it('sends one usage event as one entry with the documented source and detail-type', async () => {
    const event = detail('req-plain');
    await publisher().publish(event);
    assert.equal(fake.calls.length, 1);
    const [entry] = fake.calls[0] ?? [];
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
      fake.calls.map((call) => call.map((entry) => JSON.parse(entry.Detail).requestId)),
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
      fake.calls.map((call) => call.length),
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
