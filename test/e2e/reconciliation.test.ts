/**
 * The books balance through the running gateway: well over a thousand mixed requests (streamed
 * and not, failed over after a 5xx or a 429, cut short by the upstream or by the client, unknown
 * models, refused, both billing modes) run concurrently through the local stack while its usage
 * pipeline is faulted: duplicate deliveries, PutEvents entries refused (retried, or parked and
 * drained), recorder deliveries failing before or after recording, losing a write's answer, or
 * dying mid-record (replayed after their leases ended). Then, to the nano-USD: one record per
 * served request and none for the rest, and every balance, subscription window, key quota and
 * daily aggregate equal to the sum of its records.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { AGGREGATE_COUNTERS, aggregateCountersOf, type UsageRecord } from '#shared/recorder/usage-record.ts';
import { LAST_USED_RESOLUTION_MS } from '#shared/store/dynamo/usage-ledger-account.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { shardOf, USAGE_SHARDS } from '#shared/tables/keys.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { expectedNano, PUBLISHED_DEFAULT_PRICE, PUBLISHED_PRICES } from '../support/expected-charge.ts';
import { type FailingFront, startFailingFront } from '../support/failing-front.ts';
import type { RecordedRequest } from '../support/mock-upstream.ts';
import { type CallOutcome, perform } from '../support/reconciliation-calls.ts';
import {
  countingBusLogger,
  publisherFaults,
  recorderFaults,
  replayDeadLetters,
  silentLogger,
} from '../support/reconciliation-faults.ts';
import {
  planRequests,
  type RequestKind,
  runPool,
  SERVED_KINDS,
  seededRandom,
  UNKNOWN_MODEL,
} from '../support/reconciliation-plan.ts';
import {
  type Books,
  OPENING_BALANCE_NANO,
  type ReconciliationWorld,
  readBooks,
  seedReconciliationWorld,
} from '../support/reconciliation-world.ts';

const REQUESTS = 1500;
/**
 * Output tokens once 0–4 deltas of the mock's answer reached the client: o200k_base reads
 * "Hello from" | " the" | " mock" | " upstream." as Hello| from| the| mock| upstream|.
 */
const TOKENS_AFTER_DELTAS = [0, 2, 3, 4, 6];
/** The mock's events before its first delta (created, in_progress, output_item.added, content_part.added). */
const EVENTS_BEFORE_TEXT = 4;

/**
 * What a cut-short request is billed, worked out apart from the gateway: the prompt's tokens by
 * the tokenizer itself, and the output by the table above for the deltas that reached the client
 * (a dropped stream: from its planned cut; an abandoned one: at least what the client read, and
 * at most the whole answer, as deltas the gateway wrote before it saw the hang-up count as
 * delivered). A stream the upstream broke before any text costs nothing.
 */
function observedTokens(outcome: CallOutcome, recordedOutput: number) {
  const { kind, input, dropAfterEvents } = outcome.request;
  const delivered =
    kind === 'dropped'
      ? Math.max(0, (dropAfterEvents ?? 0) - EVENTS_BEFORE_TEXT)
      : (outcome.text ?? '').split('event: response.output_text.delta').length - 1;
  if (kind === 'dropped' && delivered === 0) {
    return { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
  }
  const outputs =
    kind === 'dropped' ? [TOKENS_AFTER_DELTAS[delivered] as number] : TOKENS_AFTER_DELTAS.slice(delivered);
  assert.ok(outputs.includes(recordedOutput), `${outcome.request.tag}: ${recordedOutput} not in ${outputs}`);
  assert.ok(recordedOutput > 0, `${outcome.request.tag} received text and is billed for it`);
  return {
    inputTokens: countTokens(input),
    cachedInputTokens: 0,
    outputTokens: recordedOutput,
    reasoningTokens: 0,
  };
}
const CONCURRENCY = 16;
const SEED = 20_261_201;

/**
 * 1,500 requests took 5 minutes on a busy 2-core machine, and 14.6 minutes at load 15–20 (the run
 * is CPU-bound, so its time grows with the load): far beyond the test command's default timeout.
 * The bound is for a hang, well inside CI's 90 minutes.
 */
const RUN_TIMEOUT_MS = 30 * 60_000;

describe('reconciliation of thousands of mixed requests through the gateway, with faults injected', {
  timeout: RUN_TIMEOUT_MS,
}, () => {
  const publisher = publisherFaults(seededRandom(SEED + 1));
  const recorder = recorderFaults(seededRandom(SEED + 2), () => ({
    endpoint: e2e.stack.dynamo.endpoint,
    tables: e2e.stack.settings.tables,
  }));
  const busLogger = countingBusLogger();
  const deliveries = new Map<string, number>();
  let e2e: E2E;
  let front: FailingFront;
  let world: ReconciliationWorld;
  let outcomes: CallOutcome[];
  let books: Books;
  let replayed = 0;
  let drainedParked = 0;
  let served: CallOutcome[];
  let upstreamAttempts: Map<string, RecordedRequest[]> | undefined;

  before(
    async () => {
      // Prepare
      e2e = await startE2E(
        {},
        {
          busOptions: {
            duplicateEvery: 7,
            maxAttempts: 3,
            retryDelayMs: 100,
            failEntry: publisher.failEntry,
            logger: busLogger,
          },
          wrapRecorder: recorder.wrap,
          // The test drains the parked events itself and counts them; a run slower than the
          // stack's 5-minute schedule must not have drained some of them first.
          scheduleIntervalMs: 0,
        },
      );
      e2e.stack.bus.on('delivered', ({ envelope }) => {
        deliveries.set(envelope.id, (deliveries.get(envelope.id) ?? 0) + 1);
      });
      front = await startFailingFront(e2e.mock.url);
      world = await seedReconciliationWorld(e2e, front.url);
      const plan = planRequests(seededRandom(SEED), REQUESTS, world.refusingCaller, world.refusingCaller);

      // Act
      outcomes = [];
      await runPool(plan, CONCURRENCY, async (request) => {
        const caller = world.callers[request.caller];
        assert.ok(caller);
        outcomes.push(await perform(e2e.stack.url, caller, request));
      });
      // Let the pipeline settle as it would on AWS: the bus's retries run out, what they could not
      // record is retried after the leases ended (EventBridge's 24 h of retries, or a DLQ redrive),
      // and the events the publisher parked are drained (the recorder's schedule).
      await e2e.stack.bus.drain();
      const { client, settings } = e2e.stack;
      replayed = await replayDeadLetters(e2e.stack.bus, { client, tables: settings.tables });
      const drain = createRecorderRuntime({ tables: settings.tables, client, logger: silentLogger });
      for (let more = true; more; ) {
        const summary = await drain.drainParked();
        assert.equal(summary.failed, 0);
        drainedParked += summary.recorded;
        more = summary.more;
      }
      served = outcomes.filter((outcome) => SERVED_KINDS.has(outcome.request.kind));
      books = await readBooks(e2e, world);
    },
    { timeout: RUN_TIMEOUT_MS },
  );
  after(async () => {
    await front?.close();
    await e2e?.close();
  });

  it('answers every request as its kind says, each with its own request id', () => {
    // A stream that waited for a slot already started with 200 and pings: errors come as SSE.
    const failed = (status: number, o: CallOutcome) =>
      o.status === status || (o.request.stream && o.status === 200 && sseError(o));
    const sseError = (o: CallOutcome) => (o.text ?? '').includes('event: error');
    const statuses: Record<RequestKind, (outcome: CallOutcome) => boolean> = {
      ok: (o) => o.status === 200,
      failover: (o) => o.status === 200,
      rateLimited: (o) => o.status === 200,
      dropped: (o) => o.status === 200 && sseError(o),
      abandoned: (o) => o.status === 200,
      droppedJson: (o) => o.status === 502,
      rejected: (o) => failed(400, o),
      exhausted: (o) => failed(502, o),
      refused: (o) => failed(403, o) && (o.text ?? '').includes('MODEL_NOT_ALLOWED'),
    };
    assert.equal(outcomes.length, REQUESTS);
    for (const outcome of outcomes) {
      const { kind, tag } = outcome.request;
      assert.ok(statuses[kind](outcome), `${tag} (${kind}) answered ${outcome.status}: ${outcome.text}`);
      if (kind === 'ok' || kind === 'failover' || kind === 'rateLimited') {
        assert.equal(outcome.usage?.input_tokens, outcome.request.usage.input_tokens, tag);
        assert.equal(outcome.usage?.output_tokens, outcome.request.usage.output_tokens, tag);
      }
    }
    const ids = outcomes.map((outcome) => outcome.requestId);
    assert.ok(ids.every((id) => id.length > 0));
    assert.equal(new Set(ids).size, REQUESTS);
    const kinds = new Set(outcomes.map((outcome) => outcome.request.kind));
    assert.equal(kinds.size, Object.keys(statuses).length, 'every kind of request ran');
  });

  it('went through every injected fault, and recovered what the publisher parked', () => {
    const failingOver = outcomes.filter((o) => ['failover', 'rateLimited'].includes(o.request.kind));
    assert.equal(front.failures, failingOver.length);
    assert.ok(publisher.counts.refusedEntries > publisher.counts.refusedForGood);
    assert.ok(publisher.counts.refusedForGood > 0);
    assert.equal(drainedParked, publisher.counts.refusedForGood, 'every parked event was drained');
    for (const [fault, count] of Object.entries(recorder.counts)) assert.ok(count > 0, fault);
    assert.ok(
      [...deliveries.values()].some((count) => count > 1),
      'some events were delivered twice',
    );
    assert.ok(replayed > 0, 'some deliveries outlived the bus retries and were replayed');
    assert.ok(busLogger.warnings > 0);
  });

  it('holds exactly one applied record per served request, as the request was served', () => {
    const byId = new Map(books.records.map((record) => [record.requestId, record]));
    assert.equal(books.records.length, served.length);
    for (const outcome of outcomes) {
      const record = byId.get(outcome.requestId);
      const { tag, kind, usage, model, stream } = outcome.request;
      if (!SERVED_KINDS.has(kind)) {
        assert.equal(record, undefined, `${tag} (${kind}) was not served and has no record`);
        continue;
      }
      assert.ok(record, `${tag} (${kind}) has a record`);
      assert.equal(record.state, 'applied');
      const caller = world.callers[outcome.request.caller];
      assert.equal(record.userId, caller?.userId);
      assert.equal(record.apiKeyId, caller?.keyId);
      assert.equal(record.billingMode, caller?.billingMode);
      assert.equal(record.accountId, servingAccount(tag), `${tag} is recorded on the account that served it`);
      assert.equal(record.failovers, kind === 'failover' || kind === 'rateLimited' ? 1 : 0, tag);
      assert.equal(record.modelRequested, model);
      assert.equal(record.stream, stream);
      const cut = kind === 'dropped' || kind === 'abandoned';
      assert.equal(record.cutShort, cut, tag);
      assert.equal(
        record.cutShortReason,
        kind === 'dropped' ? 'upstream_error' : kind === 'abandoned' ? 'client_disconnect' : undefined,
      );
      assert.equal(record.usageSource, cut ? 'observed' : 'upstream', tag);
      const tokens = cut
        ? observedTokens(outcome, record.outputTokens)
        : {
            inputTokens: usage.input_tokens,
            cachedInputTokens: usage.cached_tokens,
            outputTokens: usage.output_tokens,
            reasoningTokens: usage.reasoning_tokens,
          };
      const price = model === UNKNOWN_MODEL ? PUBLISHED_DEFAULT_PRICE : PUBLISHED_PRICES[model];
      assert.ok(price, `the test knows the published price of ${model}`);
      const cost = expectedNano(tokens, price, String(caller?.rateMultiplier));
      assert.equal(record.priceSource, model === UNKNOWN_MODEL ? 'default' : 'builtin');
      assert.deepEqual(
        [record.inputTokens, record.cachedInputTokens, record.outputTokens, record.reasoningTokens],
        Object.values(tokens),
      );
      assert.equal(record.costNano, cost.costNano, tag);
      assert.equal(record.chargeNano, cost.chargeNano, tag);
      assert.equal(record.billedNano, record.billingMode === 'balance' ? cost.chargeNano : cost.costNano);
    }
  });

  it('moves each balance by exactly the sum of its balance-mode records', () => {
    for (const userId of world.userIds) {
      const billed = sumBilled((r) => r.userId === userId && r.billingMode === 'balance');
      assert.equal(OPENING_BALANCE_NANO - (books.balances.get(userId) ?? 0), billed, userId);
    }
    assert.ok(sumBilled((r) => r.billingMode === 'balance') > 0);
  });

  it('fills each subscription window with exactly the list cost of its records, before the multiplier', () => {
    for (const { userId, groupId } of world.subscriptions) {
      const records = books.records.filter(
        (r) => r.userId === userId && r.groupId === groupId && r.billingMode === 'subscription',
      );
      const cost = records.reduce((sum, record) => sum + record.costNano, 0);
      assert.ok(cost > 0);
      assert.ok(records.some((record) => record.chargeNano !== record.costNano));
      const stored = books.subscriptions.get(userId);
      for (const field of ['usedNano', 'dailyUsedNano', 'weeklyUsedNano', 'monthlyUsedNano'] as const) {
        assert.equal(stored?.[field], cost, `${userId} ${field}`);
      }
    }
  });

  it('counts exactly the sum of its records against each key', () => {
    for (const caller of world.callers) {
      assert.equal(
        books.keySpend.get(caller.keyId),
        sumBilled((r) => r.apiKeyId === caller.keyId),
      );
    }
  });

  it('keeps every daily aggregate equal to the sum of its records, counter by counter', async () => {
    const expected = new Map<string, Record<string, number>>();
    for (const record of books.records) {
      const counters = aggregateCountersOf(record);
      const subjects = [
        ['user', record.userId],
        ['key', record.apiKeyId],
        ['account', record.accountId],
        ['model', record.modelRequested],
      ];
      for (const [dimension, id] of subjects) {
        const name = `${dimension} ${id} ${record.day}`;
        const sums = expected.get(name) ?? Object.fromEntries(AGGREGATE_COUNTERS.map((c) => [c, 0]));
        for (const counter of AGGREGATE_COUNTERS) sums[counter] = (sums[counter] ?? 0) + counters[counter];
        expected.set(name, sums);
      }
    }
    // Stored: a key's day items and one item per model, account, shard and day; read back the
    // way every reader does (a user as the sum of its keys, a model and an account over shards).
    const keyDays = new Set(books.records.map((r) => `${r.apiKeyId} ${r.day}`));
    const modelItems = new Set(
      books.records.map(
        (r) => `${r.modelRequested} ${r.accountId} ${r.day} ${shardOf(r.requestId, USAGE_SHARDS)}`,
      ),
    );
    assert.equal(books.aggregates.length, keyDays.size + modelItems.size);
    const reader = new DynamoUsageReader(e2e.stack.client, e2e.stack.settings.tables);
    for (const [name, sums] of expected) {
      const [dimension, id, day] = name.split(' ') as ['user' | 'key' | 'account' | 'model', string, string];
      const [aggregate, ...more] = await reader.dailyAggregates(dimension, id, day, day);
      assert.equal(more.length, 0, name);
      for (const counter of AGGREGATE_COUNTERS)
        assert.equal(aggregate?.[counter], sums[counter], `${name} ${counter}`);
    }
  });

  it('leaves no marker behind and each account at the end of its latest request', () => {
    assert.deepEqual(books.marked, []);
    for (const accountId of world.accountIds) {
      const ends = books.records.filter((r) => r.accountId === accountId).map((r) => Date.parse(r.endedAt));
      // Written when it moves by the resolution as far as the recorder knows: never ahead of the
      // latest request, never further behind than the resolution.
      const stored = books.lastUsedAt.get(accountId);
      if (ends.length === 0) assert.equal(stored, undefined);
      else {
        const latest = Math.max(...ends);
        assert.ok(
          stored !== undefined && stored <= latest && latest - stored < LAST_USED_RESOLUTION_MS,
          accountId,
        );
      }
    }
  });

  /** The account whose upstream key the mock saw for this request (failed attempts never reach it). */
  function servingAccount(tag: string): string | undefined {
    if (!upstreamAttempts) {
      upstreamAttempts = new Map();
      for (const request of e2e.mock.requests) {
        const input: unknown = request.body?.input;
        const seen = typeof input === 'string' ? input.split(' ')[0] : undefined;
        if (seen) upstreamAttempts.set(seen, [...(upstreamAttempts.get(seen) ?? []), request]);
      }
    }
    const attempts = upstreamAttempts.get(tag) ?? [];
    assert.equal(attempts.length, 1, `${tag} reached the upstream once`);
    const key = attempts[0]?.headers.authorization?.replace('Bearer ', '') ?? '';
    return world.accountByUpstreamKey.get(key);
  }

  function sumBilled(filter: (record: UsageRecord) => boolean): number {
    return books.records.filter(filter).reduce((sum, record) => sum + record.billedNano, 0);
  }
});
