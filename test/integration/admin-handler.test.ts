/**
 * The admin API's Lambda handler as the stack runs it: its stores on the JSON clients
 * (`functions/admin/handler.ts`), not the SDK's, against dynalite. The other admin API tests
 * drive the same router through the local admin server, which keeps the SDK's client; this one
 * shows the deployed wiring writes, reads and lists slots as that one does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { sdkRequester } from '#shared/store/dynamo/sdk-requester.ts';
import { DynamoSlotStore } from '#shared/store/dynamo/slot-store.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';

const tables = tableNamesForStage('admin-handler');
let db: RunningDynalite;
let dir: string;
let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** A Function URL event as Lambda hands it to the admin function (IAM-authenticated). */
function event(method: string, path: string, body?: unknown): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: `req-${method}-${path}`,
      authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/admin' } },
    } as unknown as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

async function call(method: string, path: string, body?: unknown) {
  const result = await handler(event(method, path, body), {} as Context);
  return { status: result.statusCode, json: JSON.parse(result.body ?? 'null') };
}

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  dir = await mkdtemp(join(tmpdir(), 'quotagate-admin-handler-'));
  // What the stack sets on the function; the handler reads it on its first invocation.
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: db.endpoint,
    AWS_REGION: 'local',
    QG_STAGE: 'admin-handler',
    QG_CONFIG_TABLE: tables.config,
    QG_STATE_TABLE: tables.state,
    QG_USAGE_TABLE: tables.usage,
    QG_SECRETS_KEY_FILE: join(dir, 'secrets.key'),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  ({ handler } = await import('../../functions/admin/handler.ts'));
});

after(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('admin Lambda handler', { timeout: 60_000 }, () => {
  it('creates and reads a user, and reports an account’s live slots, through the JSON clients', async () => {
    // Prepare: two live slots and one lapsed, written by the SDK's client as the gateway's store writes them.
    const user = await call('POST', '/admin/v1/users', { email: 'lambda@example.com', concurrency: 4 });
    const account = await call('POST', '/admin/v1/accounts', {
      type: 'apikey',
      name: 'platform',
      apiKey: 'sk-admin-handler-0123456789',
      concurrency: 3,
    });
    const sdk = createDocumentClient(db.endpoint);
    const slots = new DynamoSlotStore(sdkRequester(sdk), tables.state);
    const pool = { kind: 'slot', scope: 'acct', id: account.json.id } as const;
    const nowSeconds = Math.floor(Date.now() / 1000);
    await slots.take(pool, 0, 'req_a', nowSeconds + 90, nowSeconds);
    await slots.take(pool, 1, 'req_b', nowSeconds + 90, nowSeconds);
    await slots.take(pool, 2, 'req_dead', nowSeconds - 5, nowSeconds - 100);
    sdk.destroy();

    // Act
    const read = await call('GET', `/admin/v1/users/${user.json.id}`);
    const health = await call('GET', `/admin/v1/accounts/${account.json.id}/health`);

    // Assess
    assert.equal(user.status, 201);
    assert.equal(account.status, 201);
    assert.equal(read.status, 200);
    assert.equal(read.json.user.email, 'lambda@example.com');
    assert.equal(read.json.user.concurrency, 4);
    assert.equal(health.status, 200);
    assert.equal(health.json.inFlight, 2);
    assert.equal(health.json.concurrency, 3);
    // The API key never comes back.
    assert.doesNotMatch(JSON.stringify([account.json, health.json]), /sk-admin-handler/);
  });
});
