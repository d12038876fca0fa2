/**
 * Limits hold under concurrency and with the production config cache: the billing check that
 * admits a request reads the key's spend, the balance and the subscription windows fresh when the
 * request takes its user slot, so a limit is overshot only by requests admitted before the charge
 * that crossed it was recorded (docs/finance.md, "How far a limit can be overshot").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assignSubscription } from '#shared/admin/subscriptions.ts';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { call } from '../support/gateway-calls.ts';
import { recordsOfUserSince } from '../support/usage-records.ts';

/** The upstream takes this long, far longer than the local recorder needs to record a charge. */
const UPSTREAM_MS = 1_500;

let e2e: E2E;

/** Before any request of this file: its records lie on the UTC days from this one to the last. */
const SUITE_STARTED = Date.now();

const recordsOf = (userId: string): Promise<UsageRecord[]> =>
  recordsOfUserSince(e2e.stack.client, e2e.stack.settings.tables, userId, SUITE_STARTED);

describe('limits under concurrency (local stack, dynalite)', { timeout: 120_000 }, () => {
  describe('a key quota of 1 nano-USD, many requests at once', () => {
    before(async () => {
      e2e = await startE2E({ QG_USER_WAIT_SECONDS: '30' });
    });
    after(async () => {
      await e2e.close();
    });

    it('serves at most the requests admitted before the first charge landed: the first wave and those admitted in its recording lag', async (t) => {
      // Prepare: 3 slots, 15 requests; every later one waits for a slot and must be re-checked.
      const concurrency = 3;
      const { secret, userId } = await e2e.seed({
        user: { concurrency },
        key: { quotaUsd: '0.000000001' },
        account: { concurrency: 50 },
      });
      e2e.mock.setDefault({ kind: 'ok', firstByteDelayMs: UPSTREAM_MS });

      // Act
      const results = await Promise.all(
        Array.from({ length: 15 }, () => call(e2e.stack.url, secret, { model: 'gpt-5.1', input: 'hi' })),
      );
      await e2e.stack.bus.drain();

      // Assess
      const served = results.filter((result) => result.status === 200).length;
      t.diagnostic(`served ${served} of 15 at concurrency ${concurrency}`);
      const refused = results.filter((result) => result.status === 429);
      assert.equal(served + refused.length, 15, JSON.stringify(results.map((result) => result.status)));
      for (const result of refused) {
        assert.equal(JSON.parse(result.text).error.code, 'API_KEY_QUOTA_EXHAUSTED');
      }
      // The first wave cannot be refused (nothing was charged yet); the upstream outlasts the
      // recorder's lag, so no request admitted in that lag can finish before the charges land.
      assert.ok(served >= concurrency, `served ${served}`);
      assert.ok(served <= 2 * concurrency, `served ${served}, more than two waves`);
      const records = await recordsOf(userId);
      assert.equal(records.filter((record) => record.state === 'applied').length, served);
      assert.equal(records.length, served, 'refused requests leave no record');
    });
  });

  describe('a tiny daily subscription limit at about one request a second, with the 5 s config cache', () => {
    before(async () => {
      e2e = await startE2E({ QG_CONFIG_CACHE_SECONDS: '5' });
    });
    after(async () => {
      await e2e.close();
    });

    it('admits a request only while the usage recorded before it is under the limit', async (t) => {
      // Prepare: each request costs about 0.000255 USD (the mock's default usage at gpt-5.1).
      const { secret, userId, groupId } = await e2e.seed({
        group: { billingMode: 'subscription', dailyLimitUsd: '0.0005' },
        user: { balanceUsd: '0' },
      });
      await assignSubscription(e2e.admin, { userId, groupId, until: '2099-01-01' });
      const limitNano = 500_000;

      // Act: eight requests a second apart, each after the previous one ended.
      const statuses: number[] = [];
      for (let index = 0; index < 8; index++) {
        const startedAt = Date.now();
        statuses.push((await call(e2e.stack.url, secret, { model: 'gpt-5.1', input: 'hi' })).status);
        await sleep(Math.max(0, 1_000 - (Date.now() - startedAt)));
      }
      await e2e.stack.bus.drain();

      // Assess: one request in flight at a time, so each was admitted on every earlier charge.
      const served = (await recordsOf(userId))
        .filter((record) => record.state === 'applied')
        .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
      const billed = served.map((record) => record.billedNano ?? 0);
      const before = billed.slice(0, -1).reduce((sum, nano) => sum + nano, 0);
      t.diagnostic(`served ${billed.length} of 8, billed ${billed.join(' + ')} nano against ${limitNano}`);
      assert.ok(billed.length >= 1);
      assert.ok(before < limitNano, `requests admitted after ${before} nano of ${limitNano} were used`);
      assert.ok(before + (billed.at(-1) ?? 0) >= limitNano, 'the limit was reached');
      assert.deepEqual(
        statuses,
        [...Array(billed.length).fill(200), ...Array(8 - billed.length).fill(429)],
        'served until the limit, refused from then on',
      );
    });
  });
});
