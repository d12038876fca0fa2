import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BusLogger, type EventEnvelope, InProcessEventBus } from '#local/event-bus.ts';
import type { PutEventsEntry } from '#shared/events/eventbridge-client.ts';

function usageEntry(requestId: string): PutEventsEntry {
  return {
    Source: 'quotagate.gateway',
    DetailType: 'quotagate.usage.v1',
    Detail: JSON.stringify({ version: 1, requestId }),
    EventBusName: 'quotagate-local',
  };
}

function recordingLogger(): BusLogger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
  };
}

describe('InProcessEventBus', () => {
  it('delivers the EventBridge envelope to a matching subscriber after putEvents resolved', async () => {
    // Prepare
    const bus = new InProcessEventBus({ logger: recordingLogger() });
    const received: EventEnvelope[] = [];
    bus.subscribe(
      { source: ['quotagate.gateway'], 'detail-type': ['quotagate.usage.v1'] },
      async (envelope) => {
        received.push(envelope);
      },
    );

    // Act
    const result = await bus.putEvents([usageEntry('req_1')]);
    const receivedBeforeDrain = received.length;
    await bus.drain();

    // Assess
    assert.equal(receivedBeforeDrain, 0);
    assert.equal(result.FailedEntryCount, 0);
    assert.equal(received.length, 1);
    const [envelope] = received;
    assert.ok(envelope);
    assert.equal(envelope.id, result.Entries[0]?.EventId);
    assert.equal(envelope.version, '0');
    assert.equal(envelope.source, 'quotagate.gateway');
    assert.equal(envelope['detail-type'], 'quotagate.usage.v1');
    assert.equal(envelope.account, '000000000000');
    assert.equal(envelope.region, 'local');
    assert.deepEqual(envelope.resources, []);
    assert.match(envelope.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.deepEqual(envelope.detail, { version: 1, requestId: 'req_1' });
    assert.deepEqual(bus.events, [envelope]);
  });

  it('delivers only to subscribers whose pattern matches', async () => {
    const bus = new InProcessEventBus({ logger: recordingLogger() });
    const usage: string[] = [];
    const other: string[] = [];
    bus.subscribe({ 'detail-type': ['quotagate.usage.v1'] }, async (envelope) => {
      usage.push(envelope.id);
    });
    bus.subscribe({ source: ['someone.else'] }, async (envelope) => {
      other.push(envelope.id);
    });

    await bus.putEvents([usageEntry('req_1'), { Source: 'x', DetailType: 'y', Detail: '{}' }]);
    await bus.drain();

    assert.equal(usage.length, 1);
    assert.equal(other.length, 0);
    assert.equal(bus.events.length, 2);
  });

  it('retries a failing target with backoff until it succeeds', async () => {
    const bus = new InProcessEventBus({ retryDelayMs: 20, logger: recordingLogger() });
    const attemptsAt: number[] = [];
    const delivered: number[] = [];
    bus.on('delivered', (delivery) => delivered.push(delivery.attempt));
    bus.subscribe({}, async () => {
      attemptsAt.push(performance.now());
      if (attemptsAt.length < 3) throw new Error('recorder unavailable');
    });

    await bus.putEvents([usageEntry('req_1')]);
    await bus.drain();

    assert.equal(attemptsAt.length, 3);
    assert.deepEqual(delivered, [3]);
    assert.deepEqual(bus.deadLetters, []);
    const [first = 0, second = 0, third = 0] = attemptsAt;
    assert.ok(second - first >= 18, `first retry after ${second - first} ms`);
    assert.ok(third - second >= 38, `second retry after ${third - second} ms (backoff doubles)`);
  });

  it('dead-letters a delivery that exhausted its attempts, with the error', async () => {
    const logger = recordingLogger();
    const bus = new InProcessEventBus({ retryDelayMs: 1, logger });
    const failed: string[] = [];
    bus.on('failed', (letter) => failed.push(letter.envelope.id));
    let calls = 0;
    bus.subscribe(
      {},
      async () => {
        calls += 1;
        throw new Error('conditional write failed');
      },
      { maxAttempts: 3, name: 'recorder' },
    );

    const result = await bus.putEvents([usageEntry('req_1')]);
    await bus.drain();

    assert.equal(calls, 3);
    assert.equal(bus.deadLetters.length, 1);
    const [letter] = bus.deadLetters;
    assert.ok(letter);
    assert.equal(letter.subscription, 'recorder');
    assert.equal(letter.attempts, 3);
    assert.equal((letter.error as Error).message, 'conditional write failed');
    assert.deepEqual(failed, [result.Entries[0]?.EventId]);
    assert.equal(logger.lines.filter((line) => line.level === 'error').length, 1);
  });

  it('makes every n-th delivery twice when asked for duplicates', async () => {
    const bus = new InProcessEventBus({ duplicateEvery: 2, logger: recordingLogger() });
    const seen: string[] = [];
    bus.subscribe({}, async (envelope) => {
      seen.push((envelope.detail as { requestId: string }).requestId);
    });

    await bus.putEvents(['a', 'b', 'c', 'd'].map(usageEntry));
    await bus.drain();

    assert.deepEqual([...seen].sort(), ['a', 'b', 'b', 'c', 'd', 'd']);
  });

  it('gives each target its own copy of the envelope', async () => {
    const bus = new InProcessEventBus({ duplicateEvery: 1, logger: recordingLogger() });
    const details: unknown[] = [];
    bus.subscribe({}, async (envelope) => {
      details.push(structuredClone(envelope.detail));
      (envelope.detail as { requestId: string }).requestId = 'mutated';
    });

    await bus.putEvents([usageEntry('req_1')]);
    await bus.drain();

    assert.deepEqual(details, [
      { version: 1, requestId: 'req_1' },
      { version: 1, requestId: 'req_1' },
    ]);
    assert.deepEqual(bus.events[0]?.detail, { version: 1, requestId: 'req_1' });
  });

  it('drain waits for deliveries that are still retrying', async () => {
    const bus = new InProcessEventBus({ retryDelayMs: 50, logger: recordingLogger() });
    let delivered = false;
    let calls = 0;
    bus.subscribe({}, async () => {
      calls += 1;
      if (calls === 1) throw new Error('first try fails');
      delivered = true;
    });

    await bus.putEvents([usageEntry('req_1')]);
    await bus.drain();

    assert.equal(delivered, true);
  });

  it('reports malformed and injected failures per entry and accepts the rest', async () => {
    const bus = new InProcessEventBus({
      logger: recordingLogger(),
      failEntry: (entry) => entry.Detail?.includes('req_fail') ?? false,
    });

    const result = await bus.putEvents([
      usageEntry('req_1'),
      { Source: 'quotagate.gateway', DetailType: 'quotagate.usage.v1', Detail: 'not json' },
      usageEntry('req_fail'),
    ]);

    assert.equal(result.FailedEntryCount, 2);
    assert.ok(result.Entries[0]?.EventId);
    assert.equal(result.Entries[1]?.ErrorCode, 'MalformedDetail');
    assert.equal(result.Entries[2]?.ErrorCode, 'InternalFailure');
    assert.equal(bus.events.length, 1);
  });

  it('refuses a call with more than 10 entries or over 256 KB, as PutEvents does', async () => {
    const bus = new InProcessEventBus({ logger: recordingLogger() });
    const eleven = Array.from({ length: 11 }, (_, index) => usageEntry(`req_${index}`));
    const huge = { ...usageEntry('req_big'), Detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) };

    await assert.rejects(bus.putEvents(eleven), { name: 'ValidationException' });
    await assert.rejects(bus.putEvents([huge]), { name: 'ValidationException' });
    assert.equal(bus.events.length, 0);
  });

  it('runs at most maxConcurrency deliveries of a subscriber at once, first come first served', async () => {
    // Prepare
    const bus = new InProcessEventBus({ logger: recordingLogger() });
    const ids = Array.from({ length: 12 }, (_, index) => `req_${index + 1}`);
    const watch = () => {
      const seen = { running: 0, most: 0, started: [] as string[] };
      const target = async (envelope: EventEnvelope) => {
        seen.running += 1;
        seen.most = Math.max(seen.most, seen.running);
        seen.started.push(String(envelope.detail.requestId));
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.running -= 1;
      };
      return { seen, target };
    };
    const capped = watch();
    const free = watch();
    bus.subscribe({}, capped.target, { maxConcurrency: 3 });
    bus.subscribe({}, free.target);

    // Act
    await bus.putEvents(ids.slice(0, 10).map(usageEntry));
    await bus.putEvents(ids.slice(10).map(usageEntry));
    await bus.drain();

    // Assess
    assert.equal(capped.seen.most, 3);
    assert.deepEqual(capped.seen.started, ids, 'each event once, in the order put');
    assert.equal(free.seen.most, 12, 'no cap: every delivery at once');
    assert.deepEqual([...free.seen.started].sort(), [...ids].sort());
  });

  it('lets others run while a capped delivery waits to retry, and retries it within the cap', async () => {
    // Prepare
    const bus = new InProcessEventBus({ retryDelayMs: 20, logger: recordingLogger() });
    let running = 0;
    let most = 0;
    const attempts: string[] = [];
    bus.subscribe(
      {},
      async (envelope) => {
        const id = String(envelope.detail.requestId);
        running += 1;
        most = Math.max(most, running);
        attempts.push(id);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running -= 1;
        if (id === 'req_1' && attempts.filter((seen) => seen === id).length === 1)
          throw new Error('recorder busy');
      },
      { maxConcurrency: 1 },
    );

    // Act
    await bus.putEvents(['req_1', 'req_2', 'req_3'].map(usageEntry));
    await bus.drain();

    // Assess
    assert.equal(most, 1);
    // req_1's retry waits 20 ms outside the cap, so req_2 and req_3 go before it.
    assert.deepEqual(attempts, ['req_1', 'req_2', 'req_3', 'req_1']);
    assert.deepEqual(bus.deadLetters, []);
  });

  it('stops delivering to a subscriber that unsubscribed', async () => {
    const bus = new InProcessEventBus({ logger: recordingLogger() });
    let calls = 0;
    const unsubscribe = bus.subscribe({}, async () => {
      calls += 1;
    });

    unsubscribe();
    await bus.putEvents([usageEntry('req_1')]);
    await bus.drain();

    assert.equal(calls, 0);
  });
});
