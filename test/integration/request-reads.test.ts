/**
 * The reads and slot takes that keep a request's critical path short when the config cache has
 * expired (docs/architecture.md, request steps): the caller's records in one batch read, and the
 * user's and account's slots taken together — with the account slot given back while a busy user
 * waits for its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createApiKey } from '#shared/admin/api-keys.ts';
import { createGroup } from '#shared/admin/groups.ts';
import { assignSubscription } from '#shared/admin/subscriptions.ts';
import { createUser } from '#shared/admin/users.ts';
import type { Account, User } from '#shared/domain/types.ts';
import { takeSlots } from '#shared/gateway/take-slots.ts';
import { CachedConfigDirectory } from '#shared/store/cached-directory.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { DynamoConfigDirectory } from '#shared/store/dynamo/config-directory.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { DynamoStickyStore } from '#shared/store/dynamo/sticky-store.ts';
import { keys } from '#shared/tables/keys.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import { eventually } from '../support/gateway-calls.ts';
import { concurrencyOn } from '../support/test-concurrency.ts';

const dynamo = dynaliteForSuite('request-reads');
const { tables } = dynamo;

const leasesIn = (pk: string) => dynamo.stateItems(pk);

describe('caller records', () => {
  it('reads user, group, subscription and request defaults in one request, then serves them from the cache', async () => {
    // Prepare
    const admin = new DynamoConfigAdmin(dynamo.client, tables.config);
    const group = await createGroup(admin, { name: 'Pro', billingMode: 'subscription', dailyLimitUsd: '5' });
    const user = await createUser(admin, { email: 'batch@example.test', concurrency: 2 });
    await createApiKey(admin, { userId: user.id, groupId: group.id });
    await assignSubscription(admin, { userId: user.id, groupId: group.id, until: '2099-01-01' });
    await dynamo.client.send(
      new PutCommand({
        TableName: tables.config,
        Item: { ...keys.requestDefaults(), defaultInstructions: 'Be brief.' },
      }),
    );
    const directory = new CachedConfigDirectory(
      new DynamoConfigDirectory(dynamo.client, tables.config),
      60_000,
    );
    const sent = dynamoRequestCounter.total;
    const batches = dynamoRequestCounter.byCommand.get('BatchGetItemCommand') ?? 0;

    // Act
    const records = await directory.getCallerRecords(user.id, group.id);
    const again = await Promise.all([
      directory.getUser(user.id),
      directory.getGroup(group.id),
      directory.getSubscription(user.id, group.id),
      directory.getRequestDefaults(),
      directory.getCallerRecords(user.id, group.id),
    ]);

    // Assess
    assert.equal(dynamoRequestCounter.total - sent, 1);
    assert.equal((dynamoRequestCounter.byCommand.get('BatchGetItemCommand') ?? 0) - batches, 1);
    assert.deepEqual(
      [records.user?.email, records.group?.name, records.subscription?.groupId, records.requestDefaults],
      ['batch@example.test', 'Pro', group.id, { defaultInstructions: 'Be brief.' }],
    );
    assert.deepEqual(again.slice(0, 4), [
      records.user,
      records.group,
      records.subscription,
      records.requestDefaults,
    ]);
  });

  it('reads a sticky session asked for in the same run in the same request, on the other table', async () => {
    // Prepare
    const sticky = new DynamoStickyStore(dynamo.client, tables.state);
    await sticky.bind('g_same_run', 'hash-1', 'acct_sticky', 4_000_000_000);
    const directory = new DynamoConfigDirectory(dynamo.client, tables.config);
    const sent = dynamoRequestCounter.total;

    // Act
    const [binding, records] = await Promise.all([
      sticky.find('g_same_run', 'hash-1', 1_000),
      directory.getCallerRecords('u_missing', 'g_same_run'),
    ]);

    // Assess
    assert.equal(dynamoRequestCounter.total - sent, 1);
    assert.deepEqual(binding, { accountId: 'acct_sticky', expiresAt: 4_000_000_000 });
    assert.equal(records.user, undefined);
  });

  it('answers absent items as undefined', async () => {
    const records = await new DynamoConfigDirectory(dynamo.client, tables.config).getCallerRecords(
      'u_missing',
      'g_missing',
    );
    assert.deepEqual(records, {
      user: undefined,
      group: undefined,
      subscription: undefined,
      requestDefaults: { defaultInstructions: 'Be brief.' },
    });
  });
});

describe('taking the user and account slots together', () => {
  const account: Account = {
    id: 'acct_together',
    name: 'together',
    type: 'apikey',
    credentials: { apiKey: 'sk-test' } as Account['credentials'],
    status: 'active',
    priority: 1,
    concurrency: 4,
    modelMapping: {},
    groupIds: ['g_together'],
    health: { state: 'ok' },
    createdAt: '',
  };
  const user = (concurrency: number): User => ({
    id: `u_together_${concurrency}`,
    email: 'together@example.test',
    status: 'active',
    concurrency,
    balanceNano: 0,
    createdAt: '',
  });
  const concurrency = () =>
    concurrencyOn(dynamo, {
      settings: { userWaitSeconds: 10, accountWaitSeconds: 10 },
      listAccounts: async () => [account],
    });
  /**
   * Resolves (bounded) once `requestId` holds a ticket in the user's wait queue: takeSlots queues
   * there only after its first attempts settled, so what the account holds is then final.
   */
  const waitingForUserSlot = (requestId: string) =>
    eventually(async () =>
      (await leasesIn(keys.waitPartition('user', 'u_together_1'))).some(
        (ticket) => ticket.holder === requestId,
      ),
    );
  const select = (deps: ReturnType<typeof concurrency>, requestId: string) => (signal?: AbortSignal) =>
    deps.selectAccount({
      group: { id: 'g_together' } as never,
      model: 'gpt-5',
      excluded: new Set(),
      requestId,
      signal,
    });

  it('holds both slots after one attempt each when neither is busy', async () => {
    const deps = concurrency();
    const { user: userSlot, first } = await takeSlots(
      deps,
      { user: user(2), requestId: 'r_free' },
      select(deps, 'r_free'),
    );
    assert.ok(first?.ok);
    assert.deepEqual(
      [
        (await leasesIn(keys.slotPartition('user', 'u_together_2'))).map((lease) => lease.holder),
        (await leasesIn(keys.slotPartition('acct', account.id))).map((lease) => lease.holder),
      ],
      [['r_free'], ['r_free']],
    );
    await Promise.all([userSlot.release(), first.selected.slot.release()]);
  });

  it('gives the account slot back while a user at its limit waits, then lets the caller select again', async () => {
    // Prepare: the user's only slot is held by another request.
    const deps = concurrency();
    const busy = await deps.acquireUserSlot({ user: user(1), requestId: 'r_holder' });

    // Act
    const taking = takeSlots(deps, { user: user(1), requestId: 'r_waiter' }, select(deps, 'r_waiter'));
    await waitingForUserSlot('r_waiter');
    const accountLeasesWhileWaiting = await leasesIn(keys.slotPartition('acct', account.id));
    await busy.release();
    const { user: userSlot, first } = await taking;

    // Assess
    assert.deepEqual(accountLeasesWhileWaiting, []);
    assert.equal(first, undefined);
    assert.deepEqual(
      (await leasesIn(keys.slotPartition('user', 'u_together_1'))).map((lease) => lease.holder),
      ['r_waiter'],
    );
    await userSlot.release();
  });

  it("leaves no ticket in a full account's wait queue while a user at its limit waits for its own slot", async () => {
    // Prepare: the user's only slot and every slot of the account are held by other requests.
    const deps = concurrency();
    const busy = await deps.acquireUserSlot({ user: user(1), requestId: 'r_user_holder' });
    const accountHolders = [];
    for (let i = 0; i < account.concurrency; i += 1) accountHolders.push(await select(deps, `r_acct_${i}`)());

    // Act: the first selection would queue for the account; the user's attempt loses at once.
    const taking = takeSlots(deps, { user: user(1), requestId: 'r_queued' }, select(deps, 'r_queued'));
    await waitingForUserSlot('r_queued');
    const accountTicketsWhileWaiting = await leasesIn(keys.waitPartition('acct', account.id));
    await busy.release();
    const { user: userSlot, first } = await taking;

    // Assess
    assert.deepEqual(accountTicketsWhileWaiting, []);
    assert.equal(first, undefined);
    await Promise.all([userSlot.release(), ...accountHolders.map((held) => held.slot.release())]);
  });
});
