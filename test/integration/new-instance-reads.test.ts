/**
 * The DynamoDB budget of the first request a new gateway instance serves (docs/architecture.md,
 * "Budgets"): its config cache and its credentials are both empty, and still it makes at most 3
 * round trips before the upstream request and 8 requests in all, because the credentials of the
 * key's group are read in the round trip of the caller's records. Counted by the bench's own
 * request traces (bench/request-trace.ts) around the gateway core, on dynalite and the mock
 * upstream; each "instance" is a fresh `createGatewayDeps`, as a cold start builds it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BusUsagePublisher } from '#local/bus-publisher.ts';
import { InProcessEventBus } from '#local/event-bus.ts';
import { createGatewayDeps } from '#shared/gateway/create-deps.ts';
import type { GatewayDeps } from '#shared/gateway/deps.ts';
import type { GatewayRequest } from '#shared/gateway/http.ts';
import { handleGatewayRequest } from '#shared/gateway/router.ts';
import { CachedConfigDirectory } from '#shared/store/cached-directory.ts';
import { createDynamoJsonClient, type DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { DynamoParkedUsageEvents } from '#shared/store/dynamo/usage-parked-events.ts';
import { type DynamoSummary, RequestTraces } from '../../bench/request-trace.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { startConnectProxy } from '../support/connect-proxy.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { testLogger } from '../support/test-logs.ts';

let e2e: E2E;
let traces: RequestTraces;
const requesters: DynamoJsonClient[] = [];

before(async () => {
  e2e = await startE2E();
  traces = new RequestTraces(e2e.stack.settings.tables);
});
after(async () => {
  dynamoRequestCounter.observer = undefined;
  for (const requester of requesters) requester.destroy();
  await e2e.close();
});

/**
 * A gateway instance as a cold start builds one: new caches (the config cache at its production
 * 5 s), a new DynamoDB client. Its usage events go to a bus of its own with no recorder, as in
 * the bench: the stack's recorder runs in this process and its requests would count as the
 * request's.
 */
function newInstance(): GatewayDeps {
  const requester = createDynamoJsonClient(e2e.stack.dynamo.endpoint);
  requesters.push(requester);
  const { settings, client } = e2e.stack;
  const logger = testLogger('quotagate-gateway');
  const publisher = new BusUsagePublisher(new InProcessEventBus(), settings.eventBusName, {
    parking: new DynamoParkedUsageEvents(client, settings.tables.usage),
    logger,
  });
  return createGatewayDeps({
    settings: { ...settings, configCacheSeconds: 5 },
    client,
    requester,
    publisher,
    logger,
    metricsSink: 'none',
  });
}

/**
 * The DynamoDB requests of one traced request by command, with the table, except for
 * BatchGetItem, which reads several tables and is named after whichever was asked first.
 */
function commandsOf(summary: DynamoSummary): Record<string, number> {
  assert.equal(summary.requests, 1);
  const commands: Record<string, number> = {};
  for (const [name, count] of Object.entries(summary.perRequest)) {
    const command = name.startsWith('BatchGetItem:') ? 'BatchGetItem' : name;
    commands[command] = (commands[command] ?? 0) + count;
  }
  return commands;
}

/** Serves one turn of `session` and answers the trace of its DynamoDB requests. */
async function tracedTurn(deps: GatewayDeps, secret: string, session: string) {
  const id = `trace-${randomUUID()}`;
  const receivedAt = Date.now();
  const request: GatewayRequest = {
    method: 'POST',
    path: '/v1/responses',
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      'session-id': session,
      'x-client-request-id': id,
    },
    body: Buffer.from(JSON.stringify({ model: 'gpt-5.1', input: 'hi', stream: true })),
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    receivedAt,
    deadlineAt: receivedAt + 60_000,
  };
  await traces.run(id, async () => {
    const response = await handleGatewayRequest(request, deps);
    assert.equal(response.status, 200);
    for await (const _ of response.body);
  });
  return traces.take();
}

describe('the first request of a new gateway instance', { timeout: 60_000 }, () => {
  it('reads the group’s credentials with the caller’s records: 3 round trips and 8 requests, as a cold request', async () => {
    // Prepare: three accounts in the group, and a conversation a first instance started (its
    // first turn probes the accounts' loads and binds the session, a budget of its own).
    const pool = await seedAccountPool(e2e, 3);
    traces.take();
    await tracedTurn(newInstance(), pool.secret, 'new-instance-conversation');
    const instance = newInstance();

    // Act: the next turn on a new instance, then one more on the same instance once its config
    // cache has run out (as the bench's cold phase does it; its credentials stay).
    const first = await tracedTurn(instance, pool.secret, 'new-instance-conversation');
    assert.ok(instance.directory instanceof CachedConfigDirectory);
    instance.directory.clear();
    const second = await tracedTurn(instance, pool.secret, 'new-instance-conversation');

    // Assess: the key and the account list; the caller's records, the sticky session and the
    // three accounts' credentials in one request; the two slots and the `started` record; then
    // the two releases (docs/architecture.md, "Budgets").
    const expected = {
      reachedUpstream: 1,
      roundTrips: 3,
      total: 8,
      commands: {
        'GetItem:config': 1,
        'Query:config': 1,
        BatchGetItem: 1,
        'PutItem:state': 2,
        'PutItem:usage': 1,
        'DeleteItem:state': 2,
      },
    };
    for (const [name, summary] of [
      ['first request of the instance', first],
      ['a cold request after it', second],
    ] as const) {
      assert.deepEqual(
        {
          reachedUpstream: summary.reachedUpstream,
          roundTrips: summary.roundTripsBeforeUpstream.max,
          total: summary.total.max,
          commands: commandsOf(summary),
        },
        expected,
        name,
      );
    }
    assert.ok(pool.attempts().length >= 3, 'every turn reached an account of the pool');
  });

  it('still reads credentials written after the read ahead, when the listing shows their new version', async () => {
    // Prepare: an instance that read its group's credentials ahead and served with them.
    const pool = await seedAccountPool(e2e, 1);
    const instance = newInstance();
    await tracedTurn(instance, pool.secret, 'rotated-conversation');
    const [accountId] = pool.accountIds;
    assert.ok(accountId);
    const proxy = await startConnectProxy();
    try {
      // Act: an admin gives the account an outbound proxy, sealed in its credentials (the
      // credentials version moves on), and the conversation's next turn comes.
      await e2e.admin.setAccountProxy(accountId, proxy.url);
      assert.ok(instance.directory instanceof CachedConfigDirectory);
      instance.directory.clear();
      const after = await tracedTurn(instance, pool.secret, 'rotated-conversation');

      // Assess: the turn went through the proxy the new credentials name, read by key as the slot
      // was taken: one request more than a cold request, a second BatchGetItem.
      assert.equal(proxy.tunnels.length, 1);
      assert.deepEqual(commandsOf(after), {
        'GetItem:config': 1,
        'Query:config': 1,
        BatchGetItem: 2,
        'PutItem:state': 2,
        'PutItem:usage': 1,
        'DeleteItem:state': 2,
      });
    } finally {
      await proxy.close();
    }
  });
});
