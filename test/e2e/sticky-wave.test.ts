/**
 * Through the running local stack with the official `openai` client and a warm config cache: a
 * repeat turn of a conversation reaches the upstream after one DynamoDB round trip (the user's
 * slot, the binding's read, the `started` record, the fresh billing read and the sticky account's
 * slot all in one wave), and a binding moved by another instance is followed at the cost of one
 * round trip more. Round trips are the waves of overlapping DynamoDB requests the process sent
 * between the client's call and the mock receiving the upstream request; the mock holds its first
 * byte meanwhile, and each turn starts once the previous one's bookkeeping has settled.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { sessionHashOf } from '#shared/concurrency/session-hash.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { DynamoStickyStore } from '#shared/store/dynamo/sticky-store.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { eventually } from '../support/gateway-calls.ts';

const SESSION = 'c0ffee00-0000-4000-8000-0000000000a1';
let e2e: E2E;
/** The DynamoDB requests of the process since the current turn began, with when they ran. */
let calls: { start: number; end?: number }[] = [];

before(async () => {
  // A warm cache, as a busy instance has: the key, caller and account list are not read per request.
  e2e = await startE2E({ QG_CONFIG_CACHE_SECONDS: '600' });
  dynamoRequestCounter.observer = () => {
    const call: { start: number; end?: number } = { start: performance.now() };
    calls.push(call);
    return () => {
      call.end = performance.now();
    };
  };
});
after(async () => {
  dynamoRequestCounter.observer = undefined;
  await e2e.close();
});

/**
 * Sequential round trips among requests that completed: a request is one round trip deeper than
 * the deepest that had completed when it started. Requests sent together (one wave) are all depth
 * 1 however long each takes, so a slow independent write does not merge two waves or split one.
 */
function roundTripsOf(completed: { start: number; end: number }[]): number {
  const depths: number[] = [];
  for (const [i, call] of completed.entries()) {
    const before = completed.flatMap((other, j) => (other.end <= call.start ? [depths[j] ?? 0] : []));
    depths[i] = 1 + Math.max(0, ...before);
  }
  return Math.max(0, ...depths);
}

/** The `SessionGuess*` values `[hit, moved, none]` of the one gateway metric line among `lines`. */
function sessionGuessOf(lines: readonly unknown[]): unknown[] {
  const gateway = lines.filter((line) => (line as { route?: string }).route === '/v1/responses');
  assert.equal(gateway.length, 1);
  const [line] = gateway as [Record<string, unknown>];
  return [line.SessionGuessHit, line.SessionGuessMoved, line.SessionGuessNone];
}

/**
 * One streamed turn; resolves with the round trips made before the upstream request arrived and
 * what its metric line says of the instance's session guess.
 */
async function turn(client: OpenAI, userId: string): Promise<{ roundTrips: number; guess: unknown[] }> {
  const metricsBefore = e2e.stack.metrics.length;
  e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 150 });
  const seen = e2e.mock.requests.length;
  calls = [];
  const stream = client.responses.create({ model: 'gpt-5.1', input: 'hi', stream: true });
  await eventually(() => e2e.mock.requests.length > seen, 10_000);
  // The mock holds its first byte: nothing the gateway sends from here on precedes the upstream.
  const beforeUpstream = calls.flatMap((call) =>
    call.end === undefined ? [] : [{ ...call, end: call.end }],
  );
  for await (const _event of await stream);
  await e2e.usageOf(userId);
  await eventually(() => calls.every((call) => call.end !== undefined), 10_000);
  return {
    roundTrips: roundTripsOf(beforeUpstream.sort((a, b) => a.start - b.start)),
    guess: sessionGuessOf(e2e.stack.metrics.slice(metricsBefore)),
  };
}

describe('the time before the first byte of a known conversation', () => {
  it('reaches the upstream after one round trip, and after two when another instance moved the session, and its metric lines say so', async () => {
    // Prepare
    const { secret, userId, groupId, accountIds, attempts } = await seedAccountPool(e2e, 2);
    const client = e2e.client(secret, { headers: { 'session-id': SESSION } });
    const first = await turn(client, userId);
    const second = await turn(client, userId);
    const sticky = new DynamoStickyStore(e2e.stack.client, e2e.stack.settings.tables.state);
    const hash = sessionHashOf({ 'session-id': SESSION }, {}) as string;

    // Act
    const repeat = await turn(client, userId);
    await sticky.bind(groupId, hash, accountIds[1] as string, Math.floor(Date.now() / 1000) + 3600);
    const moved = await turn(client, userId);
    const afterMove = await turn(client, userId);

    // Assess: round trips, and the metric line's guess as [hit, moved, none] (one of them 1): the
    // first turn had nothing to guess, a moved binding contradicted the guess.
    assert.deepEqual(
      [repeat, moved, afterMove].map((cost) => cost.roundTrips),
      [1, 2, 1],
    );
    assert.deepEqual(
      [first, second, repeat, moved, afterMove].map((cost) => cost.guess),
      [
        [0, 0, 1],
        [1, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
        [1, 0, 0],
      ],
    );
    assert.deepEqual(attempts(), [0, 0, 0, 1, 1]);
  });
});
