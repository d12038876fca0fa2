/**
 * A process killed mid-request must not keep its slots: this file spawns itself as a child that
 * takes a user slot and an account slot with a 2 s lease, SIGKILLs it, and checks that the slots
 * become free within one lease period of the kill, and not before their lease ran out.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { HeldSlot } from '#shared/concurrency/contracts.ts';
import type { Concurrency } from '#shared/concurrency/create-concurrency.ts';
import type { Group, User } from '#shared/domain/types.ts';
import { answerOf } from '#shared/error-answers.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { createDynamoJsonClient, type DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { keys } from '#shared/tables/keys.ts';
import { storedAccount } from '../support/account-fixture.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import { concurrencyOn } from '../support/test-concurrency.ts';

const LEASE_SECONDS = 2;
const tables = tableNamesForStage('crash');
const USER: User = {
  id: 'u_crash',
  email: 'crash@example.test',
  status: 'active',
  concurrency: 1,
  balanceNano: 0,
  createdAt: '',
};
const GROUP: Group = {
  id: 'g_crash',
  name: 'crash',
  rateMultiplier: 1,
  billingMode: 'balance',
  createdAt: '',
};
const ACCOUNT = storedAccount({ id: 'acct_crash', name: 'crash', groupIds: [GROUP.id] });

function concurrencyFor(
  client: SdkDocumentClient,
  requester: DynamoJsonClient,
  waitSeconds: number,
): Concurrency {
  return concurrencyOn(
    { client, requester, tables },
    {
      settings: {
        leaseSeconds: LEASE_SECONDS,
        userWaitSeconds: waitSeconds,
        accountWaitSeconds: waitSeconds,
        accountMaxWaiting: 5,
      },
      listAccounts: async () => [ACCOUNT],
    },
  );
}

/** The child: holds both slots, renewing them, until it is killed. */
async function holdUntilKilled(endpoint: string): Promise<void> {
  const concurrency = concurrencyFor(createDocumentClient(endpoint), createDynamoJsonClient(endpoint), 0);
  await concurrency.acquireUserSlot({ user: USER, requestId: 'doomed' });
  await concurrency.selectAccount({ group: GROUP, model: 'gpt-5', excluded: new Set(), requestId: 'doomed' });
  process.stdout.write('held\n');
  setInterval(() => {}, 60_000);
}

if (process.env.QG_CRASH_CHILD_ENDPOINT) {
  await holdUntilKilled(process.env.QG_CRASH_CHILD_ENDPOINT);
} else {
  const dynamo = dynaliteForSuite('crash');
  let child: ChildProcess | undefined;

  const leaseOf = async (pk: string) => {
    const Items = await dynamo.stateItems(pk);
    assert.equal(Items.length, 1);
    return { holder: Items[0]?.holder, expiresAt: Number(Items[0]?.expiresAt) };
  };

  /**
   * Tries every 50 ms without waiting in the queue; returns the slot and when it was won. Gives up
   * after three lease periods, so a slot that never frees fails the test instead of hanging it.
   */
  const firstSuccess = async (attempt: () => Promise<HeldSlot>) => {
    const giveUpAt = Date.now() + 3 * LEASE_SECONDS * 1000;
    let lastError: unknown;
    while (Date.now() < giveUpAt) {
      const slot = await attempt().catch((error: unknown) => {
        lastError = error;
        return undefined;
      });
      if (slot) return { slot, at: Date.now() };
      await sleep(50);
    }
    throw new Error(`slot still taken ${3 * LEASE_SECONDS} s after the kill: ${String(lastError)}`);
  };

  after(() => {
    child?.kill('SIGKILL');
  });

  describe('slots of a killed process', () => {
    it('free themselves within one lease period of a SIGKILL, and not before the lease ends', async () => {
      // Prepare
      const holder = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, QG_CRASH_CHILD_ENDPOINT: dynamo.db.endpoint },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child = holder;
      const [line] = (await Promise.race([once(holder.stdout, 'data'), once(holder, 'exit')])) as [Buffer];
      assert.equal(String(line).trim(), 'held');
      await sleep(LEASE_SECONDS * 1000 + 500); // the child renews: its leases outlive their first period
      const concurrency = concurrencyFor(dynamo.client, dynamo.requester, 0);
      const selection = { group: GROUP, model: 'gpt-5', excluded: new Set<string>() };
      const userWhileAlive = await concurrency
        .acquireUserSlot({ user: USER, requestId: 'early' })
        .catch((e) => e);

      // Act
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      const killedAt = Date.now();
      const userLease = await leaseOf(keys.slotPartition('user', USER.id));
      const accountLease = await leaseOf(keys.slotPartition('acct', ACCOUNT.id));
      const userRightAfter = await concurrency
        .acquireUserSlot({ user: USER, requestId: 'eager' })
        .catch((e) => e);
      const [user, account] = await Promise.all([
        firstSuccess(() => concurrency.acquireUserSlot({ user: USER, requestId: 'next' })),
        firstSuccess(async () => (await concurrency.selectAccount({ ...selection, requestId: 'next' })).slot),
      ]);

      // Assess
      assert.equal(
        answerOf(userWhileAlive)?.status,
        429,
        'the live child kept its slot past one lease period',
      );
      assert.equal(answerOf(userRightAfter)?.status, 429, 'the slot stays held until its lease ends');
      for (const [lease, won] of [
        [userLease, user],
        [accountLease, account],
      ] as const) {
        const freeFrom = (lease.expiresAt + 1) * 1000;
        assert.equal(lease.holder, 'doomed');
        assert.ok(
          freeFrom - killedAt <= LEASE_SECONDS * 1000,
          `free ${freeFrom - killedAt} ms after the kill`,
        );
        assert.ok(won.at >= freeFrom, `won ${freeFrom - won.at} ms before the lease ended`);
        assert.ok(won.at - freeFrom < 1_000, `won ${won.at - freeFrom} ms after the lease ended`);
      }
      await Promise.all([user.slot.release(), account.slot.release()]);
    });
  });
}
