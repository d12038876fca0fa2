/**
 * A gateway process killed with SIGKILL mid-stream releases nothing: its user and account slots
 * stay held in the State table until their leases lapse. A second gateway over the same tables
 * must then refuse (after its short user wait) while the leases live, and serve once they lapsed,
 * without anyone cleaning up. Leases are 3 s here, renewed every second by the live process.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LocalStack, startLocalStack } from '#local/local-stack.ts';
import { createAccount } from '#shared/admin/account-create.ts';
import { createApiKey } from '#shared/admin/api-keys.ts';
import { createGroup } from '#shared/admin/groups.ts';
import { createUser } from '#shared/admin/users.ts';
import { loadSettings } from '#shared/settings.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { dynaliteForSuite } from '../support/dynalite-suite.ts';
import {
  call,
  eventually,
  isCleanStream,
  liveLeases,
  type RunningCall,
  startCall,
} from '../support/gateway-calls.ts';
import { spawnGatewayProcess } from '../support/gateway-process.ts';
import { mockUpstreamForSuite } from '../support/mock-upstream.ts';
import { testLogger } from '../support/test-logs.ts';

const ENV = {
  QG_STAGE: 'crash',
  // Long enough that the refusal below comes while the dead holder's lease lives, on a loaded machine too.
  QG_LEASE_SECONDS: '8',
  QG_USER_WAIT_SECONDS: '1',
  QG_ACCOUNT_WAIT_SECONDS: '5',
  QG_CONFIG_CACHE_SECONDS: '0',
};
const settings = loadSettings(ENV);

let child: ChildProcess | undefined;
let survivor: LocalStack | undefined;

async function seed() {
  const admin = new DynamoConfigAdmin(dynamo.client, settings.tables.config);
  const user = await createUser(admin, { email: 'crash@example.com', concurrency: 1, balanceUsd: '10' });
  const group = await createGroup(admin, { name: 'crash' });
  const account = await createAccount(admin, {
    type: 'apikey',
    name: 'mock',
    baseUrl: mock.url,
    apiKey: 'sk-upstream-crash-0001',
    concurrency: 1,
    groupIds: [group.id],
  });
  const key = await createApiKey(admin, { userId: user.id, groupId: group.id });
  return { userId: user.id, accountId: account.id, secret: key.secret };
}

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await survivor?.close();
});
// Declared after the hook above: after hooks run in order, so the gateways stop before these close.
const dynamo = dynaliteForSuite(ENV.QG_STAGE);
const mock = mockUpstreamForSuite();

describe('a gateway process killed mid-stream', () => {
  it('leaves its slots held until the lease lapses, then a new gateway serves the user again', async () => {
    const { userId, accountId, secret } = await seed();
    const userSlots = () => liveLeases(dynamo.client, settings.tables.state, { scope: 'user', id: userId });
    const accountSlots = () =>
      liveLeases(dynamo.client, settings.tables.state, { scope: 'acct', id: accountId });
    const spawned = await spawnGatewayProcess(dynamo.db.endpoint, ENV);
    child = spawned.process;
    survivor = await startLocalStack({
      port: 0,
      dynamoEndpoint: dynamo.db.endpoint,
      dataDir: null,
      env: ENV,
      logger: testLogger('quotagate-gateway'),
    });
    mock.enqueue({ kind: 'stall', afterEvents: 2 });
    const doomed: RunningCall = startCall(spawned.url, secret, {
      model: 'gpt-5.1',
      input: 'hi',
      stream: true,
    });
    await doomed.until((text) => text.includes('event: response.in_progress'));
    const [held] = await userSlots();
    assert.ok(held, 'the streaming request holds a user slot');
    assert.equal((await accountSlots()).length, 1);
    // Kill right after a renewal, so the lease has (nearly) its whole period left.
    await eventually(async () => ((await userSlots())[0]?.expiresAt ?? 0) > held.expiresAt);

    child.kill('SIGKILL');
    await once(child, 'exit');
    await doomed.finished.then(
      () => undefined,
      () => undefined,
    );

    await eventually(() => mock.inFlight === 0);
    const [orphan] = await userSlots();
    assert.ok(orphan, 'nobody released the dead process slot');
    assert.equal(orphan.holder, held.holder);
    assert.equal((await accountSlots()).length, 1);
    const lapsesAt = (orphan.expiresAt + 1) * 1000;

    const refused = await call(survivor.url, secret, { model: 'gpt-5.1', input: 'hi' });
    const refusedAt = Date.now();
    assert.ok(refusedAt < lapsesAt, 'the refusal came while the lease still lived');
    assert.equal(refused.status, 429);
    assert.deepEqual(JSON.parse(refused.text), {
      error: { type: 'rate_limit_error', message: 'Concurrency limit exceeded for user, please retry later' },
    });
    assert.equal(mock.requests.length, 1);

    await sleep(lapsesAt - Date.now());
    const served = await call(survivor.url, secret, { model: 'gpt-5.1', input: 'hi', stream: true });

    assert.equal(served.status, 200);
    assert.ok(isCleanStream(served.text));
    assert.equal(mock.requests.length, 2);
    assert.deepEqual(await userSlots(), []);
    assert.deepEqual(await accountSlots(), []);
  });
});
