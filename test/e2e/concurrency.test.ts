/**
 * Concurrency through the running gateway (local stack on dynalite, mock upstream): user slots
 * hold the upstream to the user's concurrency, waiters queue with a bound, streaming waiters get
 * SSE pings, a wait that times out is a 429 (an SSE error once the pings started the stream), and
 * a client that hangs up frees its slots at once instead of after the lease.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import {
  type CallResult,
  call,
  eventually,
  isCleanStream,
  liveLeases,
  PING,
  type RunningCall,
  sseEvents,
  startCall,
} from '../support/gateway-calls.ts';

const STREAM = { model: 'gpt-5.1', input: 'hi', stream: true };
const JSON_BODY = { model: 'gpt-5.1', input: 'hi' };
const QUEUE_FULL = 'Too many pending requests, please retry later';
const USER_WAIT_TIMEOUT = 'Concurrency limit exceeded for user, please retry later';

function errorOf(result: CallResult): { type: string; message: string } {
  return (JSON.parse(result.text) as { error: { type: string; message: string } }).error;
}

/** Waits until the user's served requests have all published their usage event (the stack may close then). */
async function usageSettled(e2e: E2E, userId: string, count: number): Promise<void> {
  await eventually(
    () => e2e.usageEvents().filter((event) => event.detail.userId === userId).length === count,
  );
  await e2e.stack.bus.drain();
}

/** Starts a streaming call that the mock stalls after `response.created`, and waits until it holds. */
async function startHolder(e2e: E2E, secret: string): Promise<RunningCall> {
  e2e.mock.enqueue({ kind: 'stall', afterEvents: 1 });
  const holder = startCall(e2e.stack.url, secret, STREAM);
  await holder.until((text) => text.includes('event: response.created'));
  return holder;
}

// Patient enough that 21 waiters queued one by one and then served one by one all get their turn
// on a loaded machine (30 s ran out there); no test here waits for the wait to end.
describe('with patient waiters (120 s user wait, 1 s pings)', () => {
  let e2e: E2E;
  before(async () => {
    e2e = await startE2E({ QG_USER_WAIT_SECONDS: '120', QG_PING_INTERVAL_SECONDS: '1' });
  });
  after(async () => {
    await e2e.close();
  });
  beforeEach(() => {
    e2e.mock.reset();
  });

  it('keeps 40 parallel streams of a concurrency-3 user to 3 at the upstream; each completes or gets the queue 429', async () => {
    const { secret } = await e2e.seed({ user: { concurrency: 3 } });
    e2e.mock.setDefault({ kind: 'ok', chunkDelayMs: 25 });

    const results = await Promise.all(Array.from({ length: 40 }, () => call(e2e.stack.url, secret, STREAM)));

    const served = results.filter((result) => result.status === 200 && isCleanStream(result.text));
    const rejected = results.filter(
      (result) =>
        result.status === 429 &&
        errorOf(result).type === 'rate_limit_error' &&
        errorOf(result).message === QUEUE_FULL,
    );
    assert.equal(served.length + rejected.length, 40, 'every request completes or gets the documented 429');
    assert.equal(e2e.mock.maxInFlight, 3);
    assert.equal(e2e.mock.requests.length, served.length);
    // A rejection means 3 held slots and 20 + 3 held tickets at that moment, and all of those are served.
    if (rejected.length > 0) assert.ok(served.length >= 26, `served ${served.length}`);
  });

  it('rejects exactly the request past the user wait queue bound of concurrency + 20', async () => {
    const { secret, userId } = await e2e.seed({ user: { concurrency: 1 } });
    const holder = await startHolder(e2e, secret);
    const waiters: RunningCall[] = [];
    const tickets = () =>
      liveLeases(e2e.stack.client, e2e.stack.settings.tables.state, {
        kind: 'wait',
        scope: 'user',
        id: userId,
      });
    for (let i = 0; i < 21; i++) {
      waiters.push(startCall(e2e.stack.url, secret, STREAM));
      await eventually(async () => (await tickets()).length === i + 1);
    }

    const streamed = await call(e2e.stack.url, secret, STREAM);
    const plain = await call(e2e.stack.url, secret, JSON_BODY);

    for (const refused of [streamed, plain]) {
      assert.equal(refused.status, 429);
      assert.deepEqual(errorOf(refused), { type: 'rate_limit_error', message: QUEUE_FULL });
    }
    holder.abort();
    const waited = await Promise.all(waiters.map((waiter) => waiter.finished));
    assert.deepEqual(
      waited.map((result) => result.status === 200 && isCleanStream(result.text)),
      waited.map(() => true),
    );
    assert.equal(e2e.mock.maxInFlight, 1);
    await usageSettled(e2e, userId, 22);
  });

  it('sends SSE comment pings at the ping interval while a stream waits, then the events', async () => {
    const { secret } = await e2e.seed({ user: { concurrency: 1 } });
    e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 2_600 });
    const holder = startCall(e2e.stack.url, secret, STREAM);
    await eventually(() => e2e.mock.requests.length === 1);

    const startedAt = Date.now();
    const waiter = await call(e2e.stack.url, secret, STREAM);
    await holder.finished;

    assert.equal(waiter.status, 200);
    const pings = waiter.chunks.filter((chunk) => chunk.text === PING);
    const firstEvent = waiter.chunks.findIndex((chunk) => chunk.text !== PING);
    assert.ok(pings.length >= 1, `pings: ${pings.length}`);
    const firstPingMs = (pings[0]?.at ?? 0) - startedAt;
    assert.ok(firstPingMs >= 950, `the first ping came ${firstPingMs} ms in, before the 1 s interval`);
    assert.equal(firstEvent, pings.length, 'every ping comes before the first event');
    assert.ok(waiter.text.startsWith(PING.repeat(pings.length)));
    assert.ok(isCleanStream(waiter.text));
    for (let i = 1; i < pings.length; i++) {
      const gap = (pings[i]?.at ?? 0) - (pings[i - 1]?.at ?? 0);
      assert.ok(gap >= 900, `ping gap ${gap} ms is shorter than the 1 s interval`);
    }
    const waitedMs = (waiter.chunks[firstEvent]?.at ?? 0) - startedAt;
    assert.ok(pings.length <= Math.floor(waitedMs / 1000) + 1, `${pings.length} pings in ${waitedMs} ms`);
  });

  it('lets a streaming waiter that hangs up leave the wait queue at once', async () => {
    const { secret, userId } = await e2e.seed({ user: { concurrency: 1 } });
    const holder = await startHolder(e2e, secret);
    const waiter = startCall(e2e.stack.url, secret, STREAM);
    await waiter.until((text) => text.startsWith(PING));
    const tickets = () =>
      liveLeases(e2e.stack.client, e2e.stack.settings.tables.state, {
        kind: 'wait',
        scope: 'user',
        id: userId,
      });
    assert.equal((await tickets()).length, 1);

    waiter.abort();

    await eventually(async () => (await tickets()).length === 0, 5_000);
    holder.abort();
    await usageSettled(e2e, userId, 1);
    assert.equal(e2e.mock.requests.length, 1, 'the waiter that left never reached the upstream');
  });

  it('aborts the upstream and frees the user and account slots when the client hangs up mid-stream', async () => {
    const { secret, userId, accountId } = await e2e.seed({
      user: { concurrency: 1 },
      account: { concurrency: 1 },
    });
    const state = e2e.stack.settings.tables.state;
    e2e.mock.enqueue({ kind: 'stall', afterEvents: 2 });
    const gone = startCall(e2e.stack.url, secret, STREAM);
    await gone.until((text) => text.includes('event: response.in_progress'));
    assert.equal(e2e.mock.inFlight, 1);

    gone.abort();

    assert.equal((await gone.finished).aborted, true);
    await eventually(() => e2e.mock.inFlight === 0);
    // Far sooner than the 90 s lease would lapse: the gateway deleted both leases itself.
    await eventually(async () => {
      const held = [
        ...(await liveLeases(e2e.stack.client, state, { scope: 'user', id: userId })),
        ...(await liveLeases(e2e.stack.client, state, { scope: 'acct', id: accountId })),
      ];
      return held.length === 0;
    }, 5_000);
    await e2e.stack.bus.drain();
    const events = e2e.usageEvents().filter((event) => event.detail.userId === userId);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.detail.cutShort, true);
    assert.equal(events[0]?.detail.cutShortReason, 'client_disconnect');
    assert.equal(events[0]?.detail.accountId, accountId);

    const next = await call(e2e.stack.url, secret, STREAM);
    assert.equal(next.status, 200);
    assert.ok(!next.text.startsWith(PING), 'the next request did not wait');
    assert.ok(isCleanStream(next.text));
  });
});

describe('with waits shorter than the ping interval (0.6 s waits, 5 s pings)', () => {
  let e2e: E2E;
  before(async () => {
    e2e = await startE2E({
      QG_USER_WAIT_SECONDS: '0.6',
      QG_ACCOUNT_WAIT_SECONDS: '0.6',
      QG_PING_INTERVAL_SECONDS: '5',
    });
  });
  after(async () => {
    await e2e.close();
  });
  beforeEach(() => {
    e2e.mock.reset();
  });

  for (const [scope, seed] of [
    ['user', { user: { concurrency: 1 } }],
    ['account', { user: { concurrency: 5 }, account: { concurrency: 1 } }],
  ] as const) {
    it(`gives a stream whose ${scope} wait timed out before any ping a real HTTP 429`, async () => {
      const { secret, userId } = await e2e.seed(seed);
      const holder = await startHolder(e2e, secret);

      const waiter = await call(e2e.stack.url, secret, STREAM);
      holder.abort();

      assert.equal(waiter.status, 429);
      assert.match(waiter.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(errorOf(waiter), {
        type: 'rate_limit_error',
        message: `Concurrency limit exceeded for ${scope}, please retry later`,
      });
      await usageSettled(e2e, userId, 1);
    });
  }

  it('serves a stream that waited a moment without a single ping', async () => {
    const { secret, userId } = await e2e.seed({ user: { concurrency: 1 } });
    e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 200 });
    const holder = startCall(e2e.stack.url, secret, STREAM);
    await eventually(() => e2e.mock.requests.length === 1);

    const waiter = await call(e2e.stack.url, secret, STREAM);
    await holder.finished;

    assert.equal(waiter.status, 200);
    assert.ok(!waiter.text.includes(PING), 'no ping before the interval');
    assert.ok(isCleanStream(waiter.text));
    await usageSettled(e2e, userId, 2);
  });
});

describe('with impatient waiters (2 s waits, 0.5 s pings, 2 account waiters)', () => {
  let e2e: E2E;
  before(async () => {
    e2e = await startE2E({
      QG_USER_WAIT_SECONDS: '2',
      QG_ACCOUNT_WAIT_SECONDS: '2',
      QG_ACCOUNT_MAX_WAITING: '2',
      QG_PING_INTERVAL_SECONDS: '0.5',
    });
  });
  after(async () => {
    await e2e.close();
  });
  beforeEach(() => {
    e2e.mock.reset();
  });

  it('ends a stream whose user wait timed out with an SSE error event carrying the 429', async () => {
    const { secret, userId } = await e2e.seed({ user: { concurrency: 1 } });
    const holder = await startHolder(e2e, secret);

    const waiter = await call(e2e.stack.url, secret, STREAM);
    holder.abort();

    assert.equal(waiter.status, 200);
    assert.ok(waiter.text.startsWith(PING));
    const events = sseEvents(waiter.text);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.event, 'error');
    assert.deepEqual(JSON.parse(events[0]?.data ?? ''), {
      type: 'error',
      code: 'rate_limit_error',
      message: USER_WAIT_TIMEOUT,
      param: null,
      sequence_number: 0,
    });
    assert.equal(e2e.mock.requests.length, 1, 'the waiter never reached the upstream');
    await usageSettled(e2e, userId, 1);
  });

  it('answers a non-stream request whose user wait timed out with HTTP 429', async () => {
    const { secret, userId } = await e2e.seed({ user: { concurrency: 1 } });
    const holder = await startHolder(e2e, secret);

    const waiter = await call(e2e.stack.url, secret, JSON_BODY);
    holder.abort();

    assert.equal(waiter.status, 429);
    assert.deepEqual(errorOf(waiter), { type: 'rate_limit_error', message: USER_WAIT_TIMEOUT });
    assert.equal(e2e.mock.requests.length, 1);
    await usageSettled(e2e, userId, 1);
  });

  it('answers 429 when the wait for a full account times out', async () => {
    const { secret, userId } = await e2e.seed({ user: { concurrency: 10 }, account: { concurrency: 1 } });
    const holder = await startHolder(e2e, secret);

    const waiter = await call(e2e.stack.url, secret, JSON_BODY);
    holder.abort();

    assert.equal(waiter.status, 429);
    assert.deepEqual(errorOf(waiter), {
      type: 'rate_limit_error',
      message: 'Concurrency limit exceeded for account, please retry later',
    });
    assert.equal(e2e.mock.requests.length, 1);
    await usageSettled(e2e, userId, 1);
  });

  it('rejects the request past the account wait queue bound with 429', async () => {
    const { secret, userId } = await e2e.seed({ user: { concurrency: 10 }, account: { concurrency: 1 } });
    const holder = await startHolder(e2e, secret);
    const waiters = [startCall(e2e.stack.url, secret, STREAM), startCall(e2e.stack.url, secret, STREAM)];
    await Promise.all(waiters.map((waiter) => waiter.until((text) => text.startsWith(PING))));

    const refused = await call(e2e.stack.url, secret, JSON_BODY);

    assert.equal(refused.status, 429);
    assert.deepEqual(errorOf(refused), { type: 'rate_limit_error', message: QUEUE_FULL });
    for (const running of [holder, ...waiters]) running.abort();
    await Promise.all(waiters.map((waiter) => waiter.finished));
    assert.equal(e2e.mock.requests.length, 1);
    await usageSettled(e2e, userId, 1);
  });
});
