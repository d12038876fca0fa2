/**
 * The DynamoDB budget of one gateway request, warm and uncontended: at most 3 sequential round
 * trips before the upstream request starts and at most 8 requests in all (user slot, sticky read
 * and bind, account selection, both releases). Requests are counted by the process-wide
 * counter of both clients; round trips as the waves of requests in flight, completed before
 * selection resolves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Account, Group, User } from '#shared/domain/types.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { storedAccount } from '../support/account-fixture.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import { type RequestWaves, stopWatchingRequestWaves, watchRequestWaves } from '../support/request-waves.ts';
import { concurrencyOn } from '../support/test-concurrency.ts';

const dynamo = dynaliteForSuite('budget');
const USER: User = {
  id: 'u_budget',
  email: 'b@example.test',
  status: 'active',
  concurrency: 4,
  balanceNano: 0,
  createdAt: '',
};
const GROUP: Group = {
  id: 'g_budget',
  name: 'budget',
  rateMultiplier: 1,
  billingMode: 'balance',
  createdAt: '',
};
let waves: RequestWaves;

function accounts(count: number): Account[] {
  return Array.from({ length: count }, (_, i) =>
    storedAccount({
      id: `acct_budget_${count}_${i}`,
      name: `budget ${i}`,
      concurrency: 3,
      groupIds: [GROUP.id],
    }),
  );
}

/** One request as the gateway makes it on an instance of its own (nothing remembered): sticky read prefetched beside the user slot. */
async function serve(pool: Account[], sessionHash?: string) {
  const concurrency = concurrencyOn(dynamo, { listAccounts: async () => pool });
  const requestId = `req_${Math.random().toString(36).slice(2)}`;
  dynamoRequestCounter.reset();
  const startWaves = waves.completed;
  const sticky = sessionHash ? concurrency.lookupSticky(GROUP.id, sessionHash) : undefined;
  const userSlot = await concurrency.acquireUserSlot({ user: USER, requestId });
  const { slot } = await concurrency.selectAccount({
    group: GROUP,
    model: 'gpt-5',
    excluded: new Set(),
    requestId,
    sessionHash,
    sticky,
  });
  const sequential = waves.completed - startWaves;
  await Promise.all([slot.release(), userSlot.release()]);
  return { sequential, total: dynamoRequestCounter.total };
}

before(async () => {
  waves = watchRequestWaves();
});

after(async () => {
  stopWatchingRequestWaves();
});

describe('DynamoDB requests per gateway request', () => {
  it('serves a new session among three accounts in 3 round trips and 8 requests', async () => {
    // Act
    const cost = await serve(accounts(3), 'budget-new-session');

    // Assess
    assert.deepEqual(cost, { sequential: 3, total: 8 });
  });

  it('serves a session another instance bound on its sticky account in 2 round trips and 5 requests', async () => {
    // Prepare
    const pool = accounts(4);
    await serve(pool, 'budget-known-session');

    // Act
    const cost = await serve(pool, 'budget-known-session');

    // Assess
    assert.deepEqual(cost, { sequential: 2, total: 5 });
  });

  it('serves a request without a session among four accounts in 3 round trips and 8 requests', async () => {
    // Act
    const cost = await serve(accounts(4));

    // Assess
    assert.deepEqual(cost, { sequential: 3, total: 8 });
  });

  it('skips the load read when there is a single candidate', async () => {
    // Act
    const cost = await serve(accounts(1));

    // Assess
    assert.deepEqual(cost, { sequential: 2, total: 4 });
  });

  it('stays within budget when a tier is larger than the load probes', async () => {
    // Act
    const withSession = await serve(accounts(10), 'budget-large-tier');
    const without = await serve(accounts(10));

    // Assess
    assert.ok(withSession.sequential <= 3 && withSession.total <= 8, JSON.stringify(withSession));
    assert.ok(without.sequential <= 3 && without.total <= 8, JSON.stringify(without));
  });
});
