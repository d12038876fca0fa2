import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HeldSlot } from '#shared/concurrency/contracts.ts';
import type { ConcurrencySettings } from '#shared/concurrency/create-concurrency.ts';
import { QueueFullError, WaitTimedOutError } from '#shared/domain/errors.ts';
import type { User } from '#shared/domain/types.ts';
import { answerOf } from '#shared/error-answers.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { keys } from '#shared/tables/keys.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import { eventually } from '../support/gateway-calls.ts';
import { concurrencyOn } from '../support/test-concurrency.ts';

const dynamo = dynaliteForSuite('slots');

function concurrencyWith(settings: Partial<ConcurrencySettings> = {}, random?: () => number) {
  return concurrencyOn(dynamo, { settings, listAccounts: async () => [], ...(random ? { random } : {}) });
}

function user(id: string, concurrency: number): User {
  return { id, email: `${id}@example.test`, status: 'active', concurrency, balanceNano: 0, createdAt: '' };
}

const itemsIn = (pk: string) => dynamo.stateItems(pk);

type Outcome = { slot: HeldSlot; error?: undefined } | { slot?: undefined; error: unknown };
const settle = (promise: Promise<HeldSlot>): Promise<Outcome> =>
  promise.then(
    (slot) => ({ slot }),
    (error: unknown) => ({ error }),
  );

/** The concurrency layer throws a domain error; the client reads the answer it maps to. */
function assertRateLimited(error: unknown, message: string) {
  assert.ok(
    error instanceof QueueFullError || error instanceof WaitTimedOutError,
    `expected a wait refusal, got ${String(error)}`,
  );
  const answer = answerOf(error);
  assert.deepEqual([answer?.status, answer?.type, answer?.message], [429, 'rate_limit_error', message]);
}

describe('user slots', () => {
  it('rejects with 429 exactly the requests past concurrency + 20 waiting', async () => {
    // Prepare
    const concurrency = concurrencyWith({ pingIntervalSeconds: 5 });
    const u = user('u_bound', 2);
    const abort = new AbortController();
    const waiting = new Set<number>();
    const results: (Outcome | undefined)[] = new Array(50).fill(undefined);

    // Act
    const all = Array.from({ length: 50 }, (_, i) =>
      settle(
        concurrency.acquireUserSlot({
          user: u,
          requestId: `r${i}`,
          signal: abort.signal,
          onWaiting: () => void waiting.add(i),
        }),
      ).then((outcome) => {
        results[i] = outcome;
      }),
    );
    await eventually(() => results.filter(Boolean).length === 28 && waiting.size === 22);
    const tickets = await itemsIn(keys.waitPartition('user', u.id));

    // Assess
    const held = results.filter((r) => r?.slot);
    const rejected = results.flatMap((r, i) => (r?.error ? [i] : []));
    assert.equal(held.length, 2);
    assert.equal(rejected.length, 26);
    for (const i of rejected)
      assertRateLimited(results[i]?.error, 'Too many pending requests, please retry later');
    assert.ok(!rejected.some((i) => waiting.has(i)), 'a rejected request never waited');
    assert.equal(tickets.length, 22);

    abort.abort(new Error('test over'));
    await Promise.all(all);
    await Promise.all(held.map((r) => r?.slot?.release()));
    assert.deepEqual(await itemsIn(keys.waitPartition('user', u.id)), []);
    assert.deepEqual(await itemsIn(keys.slotPartition('user', u.id)), []);
  });

  it('never lets more than concurrency requests hold slots at once', async () => {
    // Prepare
    const concurrency = concurrencyWith();
    const u = user('u_parallel', 3);
    let holding = 0;
    let most = 0;

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const outcome = await settle(concurrency.acquireUserSlot({ user: u, requestId: `p${i}` }));
        if (!outcome.slot) return outcome;
        most = Math.max(most, ++holding);
        await sleep(100);
        holding--;
        await outcome.slot.release();
        return outcome;
      }),
    );

    // Assess
    const served = outcomes.filter((o) => o.slot).length;
    assert.ok(most <= 3, `${most} held at once`);
    assert.equal(most, 3);
    assert.ok(served >= 26, `${served} served`);
    for (const o of outcomes.filter((o) => o.error)) {
      assertRateLimited(o.error, 'Too many pending requests, please retry later');
    }
    assert.deepEqual(await itemsIn(keys.slotPartition('user', u.id)), []);
  });

  it('answers 429 Concurrency limit exceeded for user when the wait times out', async () => {
    // Prepare
    const concurrency = concurrencyWith({ userWaitSeconds: 0.6 });
    const u = user('u_timeout', 1);
    const holder = await concurrency.acquireUserSlot({ user: u, requestId: 'holder' });
    const started = Date.now();

    // Act
    const outcome = await settle(concurrency.acquireUserSlot({ user: u, requestId: 'waiter' }));

    // Assess
    const waited = Date.now() - started;
    assertRateLimited(outcome.error, 'Concurrency limit exceeded for user, please retry later');
    assert.ok(waited >= 600 && waited < 2_500, `waited ${waited} ms`);
    assert.deepEqual(await itemsIn(keys.waitPartition('user', u.id)), []);
    await holder.release();
  });

  it('ends an aborted wait promptly and leaves no ticket or slot behind', async () => {
    // Prepare
    // The random draw at its top makes the poll sleeps 100, 200, 400, 800, 1,600 ms (backoff.ts):
    // aborted 1.6 s into the wait, the next poll is ~1.5 s away, so an answer within 1 s comes
    // from the abort, not from a poll noticing it, with room for a loaded machine's stalls.
    const concurrency = concurrencyWith({ pingIntervalSeconds: 10 }, () => 0.999);
    const u = user('u_abort', 1);
    const holder = await concurrency.acquireUserSlot({ user: u, requestId: 'holder' });
    const abort = new AbortController();
    const reason = new Error('client went away');
    let abortedAt = 0;

    // Act
    const outcome = await settle(
      concurrency.acquireUserSlot({
        user: u,
        requestId: 'waiter',
        signal: abort.signal,
        onWaiting: () => {
          setTimeout(() => {
            abortedAt = Date.now();
            abort.abort(reason);
          }, 1_600);
        },
      }),
    );

    // Assess
    assert.equal(outcome.error, reason);
    assert.ok(Date.now() - abortedAt < 1_000, `took ${Date.now() - abortedAt} ms after the abort`);
    assert.deepEqual(await itemsIn(keys.waitPartition('user', u.id)), []);
    await holder.release();
    assert.deepEqual(await itemsIn(keys.slotPartition('user', u.id)), []);
  });

  it('calls onWaiting when the wait starts and then every ping interval', async () => {
    // Prepare
    const concurrency = concurrencyWith({ userWaitSeconds: 1.1, pingIntervalSeconds: 0.2 });
    const silent = concurrencyWith({ userWaitSeconds: 0.3, pingIntervalSeconds: 0 });
    // A ping interval longer than the wait: a first call that waited for an interval never comes.
    const sparse = concurrencyWith({ userWaitSeconds: 1.5, pingIntervalSeconds: 30 });
    const u = user('u_ping', 1);
    const holder = await concurrency.acquireUserSlot({ user: u, requestId: 'holder' });
    const pings: number[] = [];
    const sparsePings: number[] = [];
    let silentPings = 0;

    // Act
    const outcome = await settle(
      concurrency.acquireUserSlot({
        user: u,
        requestId: 'waiter',
        onWaiting: () => void pings.push(Date.now()),
      }),
    );
    await settle(
      silent.acquireUserSlot({ user: u, requestId: 'quiet', onWaiting: () => void silentPings++ }),
    );
    const sparseStarted = Date.now();
    await settle(
      sparse.acquireUserSlot({
        user: u,
        requestId: 'sparse',
        onWaiting: () => void sparsePings.push(Date.now()),
      }),
    );

    // Assess
    assertRateLimited(outcome.error, 'Concurrency limit exceeded for user, please retry later');
    assert.equal(sparsePings.length, 1, 'one call, when the wait starts');
    assert.ok(
      (sparsePings[0] ?? Infinity) - sparseStarted < 1_000,
      'the call comes well before the wait ends',
    );
    assert.ok(pings.length >= 4 && pings.length <= 7, `${pings.length} calls`);
    assert.equal(silentPings, 0);
    await holder.release();
  });

  it('keeps a long-running holder its slot by renewing the lease', async () => {
    // Prepare
    const concurrency = concurrencyWith({ leaseSeconds: 2, userWaitSeconds: 0 });
    const u = user('u_heartbeat', 1);
    const holder = await concurrency.acquireUserSlot({ user: u, requestId: 'long' });

    // Act
    await sleep(4_500);
    const competitor = await settle(concurrency.acquireUserSlot({ user: u, requestId: 'late' }));
    const [slot] = await itemsIn(keys.slotPartition('user', u.id));

    // Assess
    assertRateLimited(competitor.error, 'Concurrency limit exceeded for user, please retry later');
    assert.equal(slot?.holder, 'long');
    assert.ok(Number(slot?.expiresAt) >= Math.floor(Date.now() / 1000));
    await holder.release();
    const next = await concurrency.acquireUserSlot({ user: u, requestId: 'next' });
    await next.release();
  });

  it('takes a free user slot with one DynamoDB request and releases it with one', async () => {
    // Prepare
    const concurrency = concurrencyWith();
    const u = user('u_cheap', 4);
    dynamoRequestCounter.reset();

    // Act
    const slot = await concurrency.acquireUserSlot({ user: u, requestId: 'cheap' });
    const toAcquire = dynamoRequestCounter.total;
    await slot.release();
    await slot.release();

    // Assess
    assert.equal(toAcquire, 1);
    assert.equal(dynamoRequestCounter.total, 2);
  });

  it('holds nothing for a user with unlimited concurrency', async () => {
    // Prepare
    const concurrency = concurrencyWith();
    dynamoRequestCounter.reset();

    // Act
    const slot = await concurrency.acquireUserSlot({ user: user('u_unlimited', 0), requestId: 'free' });
    await slot.release();

    // Assess
    assert.equal(dynamoRequestCounter.total, 0);
  });
});
