import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountSelectionRequest, HeldSlot } from '#shared/concurrency/contracts.ts';
import type { ConcurrencySettings } from '#shared/concurrency/create-concurrency.ts';
import type { Account, Group } from '#shared/domain/types.ts';
import { answerOf } from '#shared/error-answers.ts';
import { GatewayError } from '#shared/errors.ts';
import { DynamoSlotStore } from '#shared/store/dynamo/slot-store.ts';
import { keys } from '#shared/tables/keys.ts';
import { storedAccount } from '../support/account-fixture.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import { eventually } from '../support/gateway-calls.ts';
import { concurrencyOn } from '../support/test-concurrency.ts';

const dynamo = dynaliteForSuite('scheduler');
const { tables } = dynamo;
/** Shorter waits than the shared test settings: an account wait and a sticky wait run out here. */
const SETTINGS: Partial<ConcurrencySettings> = { accountWaitSeconds: 5, stickyWaitSeconds: 0.3 };
let groupCount = 0;

/** Each test gets its own group and accounts, so no two tests share a slot partition. */
function scenario(specs: Record<string, Partial<Account>>, settings: Partial<ConcurrencySettings> = {}) {
  const tag = `t${++groupCount}`;
  const group: Group = {
    id: `g_${tag}`,
    name: tag,
    rateMultiplier: 1,
    billingMode: 'balance',
    createdAt: '',
  };
  const accounts = Object.entries(specs).map(
    ([name, spec]): Account =>
      storedAccount({ id: `${tag}_${name}`, name, concurrency: 2, groupIds: [group.id], ...spec }),
  );
  const concurrency = concurrencyOn(dynamo, {
    settings: { ...SETTINGS, ...settings },
    listAccounts: async () => accounts,
  });
  const id = (name: string) => `${tag}_${name}`;
  const request = (overrides: Partial<AccountSelectionRequest> = {}): AccountSelectionRequest => ({
    group,
    model: 'gpt-5',
    excluded: new Set(),
    requestId: `req_${Math.random().toString(36).slice(2)}`,
    ...overrides,
  });
  /** Fills `count` slots of an account as other requests would. */
  const occupy = async (name: string, count: number) => {
    const store = new DynamoSlotStore(dynamo.requester, tables.state);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const pool = { kind: 'slot', scope: 'acct', id: id(name) } as const;
    for (let index = 0; index < count; index++) {
      assert.ok(await store.take(pool, index, `other_${index}`, nowSeconds + 60, nowSeconds));
    }
    return () =>
      Promise.all(Array.from({ length: count }, (_, index) => store.release(pool, index, `other_${index}`)));
  };
  return { group, accounts, concurrency, id, request, occupy };
}

async function stickyAccountOf(groupId: string, sessionHash: string) {
  const { Item } = await dynamo.client.send(
    new GetCommand({ TableName: tables.state, Key: keys.sticky(groupId, sessionHash), ConsistentRead: true }),
  );
  return Item?.accountId as string | undefined;
}

async function rejectionOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  // The concurrency layer throws a domain error, never an HTTP one; the client reads its answer.
  assert.ok(!(error instanceof GatewayError), `expected a domain error, got ${String(error)}`);
  const answer = answerOf(error);
  assert.ok(answer, `expected a known refusal, got ${String(error)}`);
  return answer;
}

describe('sticky sessions', () => {
  it('keeps a conversation on one account across its requests', async () => {
    // Prepare
    const { concurrency, request, group } = scenario({ a: {}, b: {}, c: {}, d: {} });
    const used: string[] = [];

    // Act
    for (let turn = 0; turn < 6; turn++) {
      const { account, slot } = await concurrency.selectAccount(request({ sessionHash: 'conversation-1' }));
      used.push(account.id);
      await slot.release();
    }

    // Assess
    assert.equal(new Set(used).size, 1);
    assert.equal(await stickyAccountOf(group.id, 'conversation-1'), used[0]);
  });

  it('moves a session off its sticky account when that account stays full past the sticky wait, and rebinds it', async () => {
    // Prepare
    const { concurrency, request, group, id, occupy } = scenario({ a: { concurrency: 1 }, b: {} });
    await concurrency.bindSticky(group.id, 'busy-session', id('a'));
    const free = await occupy('a', 1);
    const startedAt = Date.now();

    // Act
    const { account, slot } = await concurrency.selectAccount(request({ sessionHash: 'busy-session' }));
    const waitedMs = Date.now() - startedAt;
    await slot.release();

    // Assess
    assert.equal(account.id, id('b'));
    assert.ok(waitedMs >= 300, `moved after ${waitedMs} ms, before the 0.3 s sticky wait was over`);
    assert.equal(await stickyAccountOf(group.id, 'busy-session'), id('b'));
    await free();
  });

  it('waits for a full sticky account and keeps the session there when a slot frees in time', async () => {
    // Prepare
    const { concurrency, request, group, id, occupy } = scenario(
      { a: { concurrency: 1 }, b: {} },
      { stickyWaitSeconds: 5 },
    );
    await concurrency.bindSticky(group.id, 'patient-session', id('a'));
    const free = await occupy('a', 1);
    setTimeout(() => void free(), 300);

    // Act
    const { account, slot } = await concurrency.selectAccount(request({ sessionHash: 'patient-session' }));
    await slot.release();

    // Assess
    assert.equal(account.id, id('a'));
    assert.equal(await stickyAccountOf(group.id, 'patient-session'), id('a'));
  });

  it('moves a session at once when enough requests already wait for its sticky account', async () => {
    // Prepare
    const { concurrency, request, group, id, occupy } = scenario(
      { a: { concurrency: 1 }, b: {} },
      { stickyWaitSeconds: 5, stickyMaxWaiting: 1 },
    );
    await concurrency.bindSticky(group.id, 'crowded-session', id('a'));
    const free = await occupy('a', 1);
    const first = concurrency.selectAccount(request({ sessionHash: 'crowded-session' }));
    const tickets = new DynamoSlotStore(dynamo.requester, tables.state);
    const waitPool = { kind: 'wait', scope: 'acct', id: id('a') } as const;
    await eventually(
      async () => (await tickets.live(waitPool, Math.floor(Date.now() / 1000))).length > 0,
    ).catch(() => assert.fail('the first request never queued for the sticky account'));
    const startedAt = Date.now();

    // Act
    const second = await concurrency.selectAccount(request({ sessionHash: 'crowded-session' }));
    const secondMs = Date.now() - startedAt;
    await free();
    const firstSelected = await first;

    // Assess
    assert.equal(second.account.id, id('b'));
    // Well under the 5 s sticky wait, with room for a loaded machine's slow writes.
    assert.ok(secondMs < 4_000, `the second request waited ${secondMs} ms`);
    assert.equal(firstSelected.account.id, id('a'));
    await Promise.all([second.slot.release(), firstSelected.slot.release()]);
  });

  it('moves a session off a sticky account that failed earlier in the request', async () => {
    // Prepare
    const { concurrency, request, group, id } = scenario({ a: {}, b: {} });
    await concurrency.bindSticky(group.id, 'failed-session', id('a'));

    // Act
    const { account, slot } = await concurrency.selectAccount(
      request({ sessionHash: 'failed-session', excluded: new Set([id('a')]) }),
    );
    await slot.release();

    // Assess
    assert.equal(account.id, id('b'));
  });

  it('moves a session off a sticky account that can no longer be scheduled', async () => {
    // Prepare
    const { concurrency, request, group, id, accounts } = scenario({ a: {}, b: {} });
    await concurrency.bindSticky(group.id, 'stale-session', id('a'));
    (accounts[0] as Account).health = { state: 'rate_limited', until: Date.now() + 60_000 };

    // Act
    const { account, slot } = await concurrency.selectAccount(request({ sessionHash: 'stale-session' }));
    await slot.release();

    // Assess
    assert.equal(account.id, id('b'));
  });

  it('keeps the sticky account when it has room even though another is less loaded', async () => {
    // Prepare
    const { concurrency, request, group, id, occupy } = scenario({
      a: { concurrency: 4 },
      b: { concurrency: 4 },
    });
    await concurrency.bindSticky(group.id, 'warm-session', id('a'));
    const free = await occupy('a', 3);

    // Act
    const { account, slot } = await concurrency.selectAccount(request({ sessionHash: 'warm-session' }));
    await slot.release();

    // Assess
    assert.equal(account.id, id('a'));
    await free();
  });
});

describe('load-aware selection', () => {
  it('prefers the lowest priority value, then the least loaded, then the least recently used', async () => {
    // Prepare
    const { concurrency, request, id, occupy } = scenario({
      idle_low_priority: { priority: 2 },
      half: { concurrency: 4 },
      quarter_recent: { concurrency: 4, lastUsedAt: Date.now() },
      quarter_old: { concurrency: 4, lastUsedAt: Date.now() - 60_000 },
    });
    await occupy('half', 2);
    await occupy('quarter_recent', 1);
    await occupy('quarter_old', 1);
    const picks: string[] = [];
    const held: HeldSlot[] = [];

    // Act
    for (let i = 0; i < 3; i++) {
      const { account, slot } = await concurrency.selectAccount(request());
      picks.push(account.id);
      held.push(slot);
    }

    // Assess
    assert.deepEqual(picks, [id('quarter_old'), id('quarter_recent'), id('half')]);
    await Promise.all(held.map((slot) => slot.release()));
  });

  it('falls to the next priority tier before waiting when the best tier is full', async () => {
    // Prepare
    const { concurrency, request, id, occupy } = scenario({ a: {}, b: {}, backup: { priority: 5 } });
    const freeA = await occupy('a', 2);
    const freeB = await occupy('b', 2);

    // Act
    const { account, slot } = await concurrency.selectAccount(request());
    await slot.release();

    // Assess
    assert.equal(account.id, id('backup'));
    await Promise.all([freeA(), freeB()]);
  });

  it('answers 503 No available accounts when no account serves the model in the group', async () => {
    // Prepare
    const { concurrency, request } = scenario({ mapped: { modelMapping: { 'gpt-4.1': 'gpt-4.1' } } });

    // Act
    const error = await rejectionOf(concurrency.selectAccount(request()));

    // Assess
    assert.deepEqual(
      [error.status, error.type, error.message],
      [503, 'api_error', 'No available accounts: none serves model gpt-5'],
    );
  });

  it('leaves out accounts found gone since the listing, and says why the rest cannot serve', async () => {
    // Prepare: the listing still names `deleted`, which the request found gone; `off` is disabled.
    const { concurrency, request, id } = scenario({ deleted: {}, off: { status: 'disabled' } });

    // Act
    const error = await rejectionOf(concurrency.selectAccount(request({ gone: new Set([id('deleted')]) })));

    // Assess: docs/operations.md's wording for a pool whose only remaining account is disabled.
    assert.deepEqual(
      [error.status, error.type, error.message],
      [503, 'api_error', 'No available accounts: every account for this model is disabled'],
    );
  });
});

describe('account wait plan', () => {
  it('waits for the best account when every candidate is full and takes the slot it frees', async () => {
    // Prepare
    const { concurrency, request, id, occupy } = scenario(
      { a: { concurrency: 1 }, b: { concurrency: 1, priority: 2 } },
      { pingIntervalSeconds: 1 },
    );
    const freeA = await occupy('a', 1);
    await occupy('b', 1);
    let waited = false;

    // Act
    const selection = concurrency.selectAccount(
      request({
        onWaiting: () => {
          waited = true;
          setTimeout(() => void freeA(), 200);
        },
      }),
    );
    const { account, slot } = await selection;
    await slot.release();

    // Assess
    assert.ok(waited);
    assert.equal(account.id, id('a'));
  });

  it('answers 429 Too many pending requests when the account wait queue is full', async () => {
    // Prepare
    const { concurrency, request, occupy } = scenario(
      { a: { concurrency: 1 } },
      { accountMaxWaiting: 1, pingIntervalSeconds: 1 },
    );
    await occupy('a', 1);
    const abort = new AbortController();
    const { promise: queued, resolve: onWaiting } = Promise.withResolvers<void>();
    const first = concurrency
      .selectAccount(request({ signal: abort.signal, onWaiting }))
      .catch((e: unknown) => e);
    await queued;

    // Act
    const error = await rejectionOf(concurrency.selectAccount(request()));

    // Assess
    assert.deepEqual(
      [error.status, error.type, error.message],
      [429, 'rate_limit_error', 'Too many pending requests, please retry later'],
    );
    abort.abort(new Error('test over'));
    assert.equal(((await first) as Error).message, 'test over');
  });

  it('answers 429 Concurrency limit exceeded for account when the wait times out', async () => {
    // Prepare
    const { concurrency, request, occupy } = scenario({ a: { concurrency: 1 } }, { accountWaitSeconds: 0.4 });
    await occupy('a', 1);

    // Act
    const error = await rejectionOf(concurrency.selectAccount(request()));

    // Assess
    assert.deepEqual(
      [error.status, error.type, error.message],
      [429, 'rate_limit_error', 'Concurrency limit exceeded for account, please retry later'],
    );
  });
});
