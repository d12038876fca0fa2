/**
 * A session this instance already knows takes its account's slot in the same wave as the
 * binding's read and the user's slot (account-selector.ts, recent-sessions.ts), and a wrong guess
 * changes nothing but two requests. Each request runs as the gateway runs it: the sticky read
 * prefetched, `takeSlots` taking the user's slot beside the selection. Round trips are the waves
 * of overlapping DynamoDB requests completed before the selection resolves; requests are all of
 * them, releases included. The expected counts are worked out by hand in each test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Concurrency } from '#shared/concurrency/create-concurrency.ts';
import type { Account, Group, User } from '#shared/domain/types.ts';
import { takeSlots } from '#shared/gateway/take-slots.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { DynamoSlotStore } from '#shared/store/dynamo/slot-store.ts';
import { storedAccount } from '../support/account-fixture.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import { eventually } from '../support/gateway-calls.ts';
import { type RequestWaves, stopWatchingRequestWaves, watchRequestWaves } from '../support/request-waves.ts';
import { concurrencyOn } from '../support/test-concurrency.ts';

const dynamo = dynaliteForSuite('stickywave');
const { tables } = dynamo;
let waves: RequestWaves;
let worlds = 0;

/** A fresh group, user and accounts; `instance()` is one gateway instance (its own memory). */
function world(names: string[], userConcurrency = 4) {
  const tag = `w${++worlds}`;
  const group = (suffix = ''): Group => ({
    id: `g_${tag}${suffix}`,
    name: tag,
    rateMultiplier: 1,
    billingMode: 'balance',
    createdAt: '',
  });
  const user: User = {
    id: `u_${tag}`,
    email: `${tag}@example.test`,
    status: 'active',
    concurrency: userConcurrency,
    balanceNano: 0,
    createdAt: '',
  };
  const accounts: Account[] = names.map((name) =>
    storedAccount({ id: `${tag}_${name}`, name, concurrency: 2, groupIds: [group().id] }),
  );
  const account = (name: string) => accounts.find((candidate) => candidate.name === name) as Account;
  const instance = (listed: readonly Account[] = accounts) =>
    concurrencyOn(dynamo, { listAccounts: async () => listed });
  return { group, user, accounts, account, instance };
}

const liveLeases = (kind: 'slot' | 'wait', scope: 'acct' | 'user', id: string) =>
  slotStore().live({ kind, scope, id }, Math.floor(Date.now() / 1000));

/** One request as the gateway makes it; resolves once every slot it held is released. */
async function serve(
  concurrency: Concurrency,
  request: { group: Group; user: User; sessionHash?: string },
  whileHeld: () => Promise<void> = async () => {},
) {
  const requestId = `req_${Math.random().toString(36).slice(2)}`;
  dynamoRequestCounter.reset();
  const startWaves = waves.completed;
  const { group, user, sessionHash } = request;
  const sticky = sessionHash ? concurrency.lookupSticky(group.id, sessionHash) : undefined;
  const { user: userSlot, first } = await takeSlots(concurrency, { user, requestId }, (userLost) =>
    concurrency.selectAccount({
      group,
      model: 'gpt-5',
      excluded: new Set(),
      requestId,
      sessionHash,
      sticky,
      signal: userLost,
    }),
  );
  const sequential = waves.completed - startWaves;
  assert.ok(first?.ok, 'the selection was made beside the user slot');
  // The test's own look at the table is not the request's.
  const beforeLook = dynamoRequestCounter.total;
  await whileHeld();
  const looks = dynamoRequestCounter.total - beforeLook;
  await Promise.all([first.selected.slot.release(), userSlot.release()]);
  return { accountId: first.selected.account.id, sequential, total: dynamoRequestCounter.total - looks };
}

/** Made on use: root-level before hooks run concurrently, so none may wait for dynalite's. */
const slotStore = () => new DynamoSlotStore(dynamo.requester, tables.state);

before(async () => {
  waves = watchRequestWaves();
});

after(async () => {
  stopWatchingRequestWaves();
});

describe('a session the instance already knows', () => {
  it('takes its account in one round trip: user slot, binding read and account slot together', async () => {
    // Prepare
    const { group, user, instance } = world(['a', 'b', 'c', 'd']);
    const gateway = instance();
    const firstTurn = await serve(gateway, { group: group(), user, sessionHash: 'known' });

    // Act
    const turns = [];
    for (let turn = 0; turn < 3; turn++)
      turns.push(await serve(gateway, { group: group(), user, sessionHash: 'known' }));

    // Assess: user Put + binding read + account Put, then the two releases; no bind (still fresh).
    for (const cost of turns)
      assert.deepEqual(cost, { accountId: firstTurn.accountId, sequential: 1, total: 5 });
  });

  it('takes two round trips on an instance that has not seen the session, as before', async () => {
    // Prepare
    const { group, user, instance } = world(['a', 'b', 'c']);
    const bound = await serve(instance(), { group: group(), user, sessionHash: 'elsewhere' });

    // Act
    const cost = await serve(instance(), { group: group(), user, sessionHash: 'elsewhere' });

    // Assess: user Put + read, then the account Put; two releases.
    assert.deepEqual(cost, { accountId: bound.accountId, sequential: 2, total: 5 });
  });

  it('follows a binding another instance moved, and gives the guessed slot back', async () => {
    // Prepare
    const { group, user, account, instance } = world(['a', 'b']);
    const gateway = instance();
    const before = await serve(gateway, { group: group(), user, sessionHash: 'moved' });
    const moved = before.accountId === account('a').id ? account('b') : account('a');
    await instance().bindSticky(group().id, 'moved', moved.id);

    // Act
    let guessedHeld: unknown[] = [];
    const cost = await serve(gateway, { group: group(), user, sessionHash: 'moved' }, async () => {
      guessedHeld = await liveLeases('slot', 'acct', before.accountId);
    });
    const next = await serve(gateway, { group: group(), user, sessionHash: 'moved' });

    // Assess: wave 1 user Put + read + guessed Put, wave 2 the bound account's Put beside the
    // guess's Delete; then two releases. The turn after guesses the new account.
    assert.deepEqual(cost, { accountId: moved.id, sequential: 2, total: 7 });
    assert.deepEqual(guessedHeld, []);
    assert.deepEqual(next, { accountId: moved.id, sequential: 1, total: 5 });
  });

  it('moves off a full sticky account one round trip sooner, holding nothing of it', async () => {
    // Prepare
    const { group, user, account, instance } = world(['a', 'b']);
    const gateway = instance();
    const before = await serve(gateway, { group: group(), user, sessionHash: 'full' });
    const full = account(before.accountId === account('a').id ? 'a' : 'b');
    const other = full === account('a') ? account('b') : account('a');
    const nowSeconds = Math.floor(Date.now() / 1000);
    const pool = { kind: 'slot', scope: 'acct', id: full.id } as const;
    for (let index = 0; index < full.concurrency; index++)
      assert.ok(await slotStore().take(pool, index, `other_${index}`, nowSeconds + 60, nowSeconds));

    // Act
    let fullHeld: unknown[] = [];
    const cost = await serve(gateway, { group: group(), user, sessionHash: 'full' }, async () => {
      fullHeld = await liveLeases('slot', 'acct', full.id);
    });

    // Assess: wave 1 user Put + read + guessed Put (lost), wave 2 the load reads of both, wave 3
    // the other's Put; the new binding and two releases. Without the guess the lost Put was a wave.
    assert.deepEqual(cost, { accountId: other.id, sequential: 3, total: 9 });
    assert.deepEqual(fullHeld.map((lease) => (lease as { holder: string }).holder).sort(), [
      'other_0',
      'other_1',
    ]);
  });

  it('never guesses an account disabled since the instance saw the session', async () => {
    // Prepare
    const { group, user, account, instance } = world(['a', 'b']);
    const gateway = instance();
    const before = await serve(gateway, { group: group(), user, sessionHash: 'disabled' });
    const disabled = account(before.accountId === account('a').id ? 'a' : 'b');
    const other = disabled === account('a') ? account('b') : account('a');
    disabled.status = 'disabled';

    // Act
    const cost = await serve(gateway, { group: group(), user, sessionHash: 'disabled' });

    // Assess: wave 1 user Put + read, wave 2 the single candidate's Put; the new binding and two
    // releases. A guess of the disabled account would have added its Put and Delete.
    assert.deepEqual(cost, { accountId: other.id, sequential: 2, total: 6 });
  });

  it('does not carry a session id from one group into another that shares the account', async () => {
    // Prepare
    const { group, user, account, instance } = world(['a']);
    const z = world(['z']).account('z');
    z.groupIds = [group('-other').id];
    account('a').groupIds.push(group('-other').id);
    const crossing = instance([account('a'), z]);
    await serve(crossing, { group: group(), user, sessionHash: 'shared-id' });

    // Act
    const cost = await serve(crossing, { group: group('-other'), user, sessionHash: 'shared-id' });

    // Assess: wave 1 user Put + read (no binding in this group, so no guess), wave 2 the load
    // reads of both, wave 3 the Put; the new binding and two releases.
    assert.equal(cost.sequential, 3);
    assert.equal(cost.total, 8);
  });
});

describe('a known session of a user at its limit', () => {
  it('holds no account slot while the user waits for its own', async () => {
    // Prepare
    const { group, user, account, instance } = world(['a'], 1);
    const gateway = instance();
    await serve(gateway, { group: group(), user, sessionHash: 'queued' });
    const nowSeconds = Math.floor(Date.now() / 1000);
    const userPool = { kind: 'slot', scope: 'user', id: user.id } as const;
    assert.ok(await slotStore().take(userPool, 0, 'busy', nowSeconds + 60, nowSeconds));

    // Act
    const requestId = 'req_queued';
    const taking = takeSlots(gateway, { user, requestId }, (userLost) =>
      gateway.selectAccount({
        group: group(),
        model: 'gpt-5',
        excluded: new Set(),
        requestId,
        sessionHash: 'queued',
        sticky: gateway.lookupSticky(group().id, 'queued'),
        signal: userLost,
      }),
    );
    await eventually(async () => (await liveLeases('wait', 'user', user.id)).length === 1, 10_000);
    const heldWhileQueued = await liveLeases('slot', 'acct', account('a').id);
    await slotStore().release(userPool, 0, 'busy');
    const { user: userSlot, first } = await taking;
    await userSlot.release();

    // Assess
    assert.deepEqual(heldWhileQueued, []);
    assert.equal(first, undefined);
  });
});
