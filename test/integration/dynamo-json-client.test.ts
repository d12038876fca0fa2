import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { AwsServiceError } from '#shared/aws/json-client-errors.ts';
import { isConditionFailure } from '#shared/store/dynamo/condition-failure.ts';
import { createDynamoJsonClient, DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { type DynamoFaultFront, startDynamoFaultFront } from '../support/dynamo-fault-front.ts';
import { assertSignedByLambdaRole, lambdaEnvironment, sdkAuthorizationOf } from '../support/sdk-signature.ts';

const tables = tableNamesForStage('json-client');
const CREDENTIALS = {
  accessKeyId: 'AKIDJSONCLIENTTEST',
  secretAccessKey: 'json-client-secret-key-0123456789',
  sessionToken: 'json-client-session-token-abcdef',
};
let db: RunningDynalite;
let front: DynamoFaultFront;
let client: DynamoJsonClient;
let n = 0;

/** A fresh slot-like item key per test, so tests never see each other's items. */
function freshKey() {
  n += 1;
  return { pk: { S: `JSONTEST#${n}` }, sk: { S: '000' } };
}

const conditionalPut = (key: ReturnType<typeof freshKey>, holder: string) =>
  client.request('PutItem', {
    TableName: tables.state,
    Item: { ...key, holder: { S: holder } },
    ConditionExpression: 'attribute_not_exists(pk)',
  });

async function holderOf(key: ReturnType<typeof freshKey>) {
  const { Item } = await client.request('GetItem', {
    TableName: tables.state,
    Key: key,
    ConsistentRead: true,
  });
  return Item?.holder;
}

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  front = await startDynamoFaultFront(db.endpoint);
  // No jitter: every backoff is 0 ms, so retry tests take no time; backoff has its own test.
  client = new DynamoJsonClient({
    endpoint: front.url,
    region: 'eu-west-1',
    credentials: CREDENTIALS,
    random: () => 0,
  });
});

after(async () => {
  client.destroy();
  await front.close();
  await db.close();
});

beforeEach(() => {
  front.requests.splice(0);
  assert.equal(front.pending, 0, 'a test left injected faults unused');
});

describe('DynamoJsonClient', { timeout: 60_000 }, () => {
  it('writes and reads an item in DynamoDB form through dynalite', async () => {
    const key = freshKey();
    await client.request('PutItem', {
      TableName: tables.state,
      Item: {
        ...key,
        holder: { S: 'r1' },
        expiresAt: { N: '1900000000' },
        tags: { L: [{ BOOL: true }, { NULL: true }] },
      },
    });

    const { Item } = await client.request('GetItem', {
      TableName: tables.state,
      Key: key,
      ConsistentRead: true,
    });

    assert.deepEqual(Item, {
      ...key,
      holder: { S: 'r1' },
      expiresAt: { N: '1900000000' },
      tags: { L: [{ BOOL: true }, { NULL: true }] },
    });
    assert.deepEqual(
      front.requests.map((request) => request.operation),
      ['PutItem', 'GetItem'],
    );
  });

  it('signs each request with SigV4 as the AWS SDK signer would, session token included', async () => {
    const key = freshKey();
    await client.request('DeleteItem', { TableName: tables.state, Key: key });
    const [seen] = front.requests;
    assert.ok(seen);
    const signedHeaders =
      /SignedHeaders=([^,]+)/.exec(String(seen.headers.authorization))?.[1]?.split(';') ?? [];

    // The SDK's signer, given the same request, time and credentials, must produce the same header.
    const expected = await sdkAuthorizationOf(seen, {
      service: 'dynamodb',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
    });

    assert.equal(seen.headers.authorization, expected);
    assert.match(
      String(seen.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIDJSONCLIENTTEST\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, /,
    );
    assert.ok(signedHeaders.includes('x-amz-security-token'), `signed: ${signedHeaders.join(';')}`);
    assert.ok(signedHeaders.includes('x-amz-target'));
    assert.equal(seen.headers['x-amz-security-token'], CREDENTIALS.sessionToken);
    assert.equal(seen.headers.connection, 'keep-alive');
  });

  it('answers a refused condition with ConditionalCheckFailedException, sent once and never retried', async () => {
    const key = freshKey();
    await conditionalPut(key, 'first');
    front.requests.splice(0);

    const error = await conditionalPut(key, 'second').then(
      () => undefined,
      (caught: unknown) => caught,
    );

    assert.ok(error instanceof AwsServiceError);
    assert.equal(error.name, 'ConditionalCheckFailedException');
    assert.ok(isConditionFailure(error));
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.equal(front.requests.length, 1);
    assert.deepEqual(await holderOf(key), { S: 'first' });
  });

  it('does not retry a validation error', async () => {
    const error = await client
      .request('UpdateItem', {
        TableName: tables.state,
        Key: freshKey(),
        UpdateExpression: 'SET #missing = :v',
      })
      .catch((caught: unknown) => caught);

    assert.ok(error instanceof AwsServiceError);
    assert.equal(error.name, 'ValidationException');
    assert.equal(front.requests.length, 1);
  });

  for (const [what, fault] of [
    ['an injected 500', { kind: 'answer', status: 500, type: 'InternalServerError' }],
    [
      'an injected 503 without a JSON body type',
      { kind: 'answer', status: 503, type: 'ServiceUnavailable', headerOnly: true },
    ],
    ['throttling', { kind: 'answer', status: 400, type: 'ProvisionedThroughputExceededException' }],
    ['a request-rate 429', { kind: 'answer', status: 429, type: 'RequestLimitExceeded' }],
    ['a connection dropped before the database saw the request', { kind: 'drop' }],
  ] as const) {
    it(`retries after ${what}, and the write lands once`, async () => {
      const key = freshKey();
      front.inject(fault);

      await conditionalPut(key, 'r1');

      assert.equal(front.requests.length, 2);
      assert.deepEqual(await holderOf(key), { S: 'r1' });
    });
  }

  it('gives up after three attempts with the last error, and counts the request once', async () => {
    const before = dynamoRequestCounter.byCommand.get('PutItemCommand') ?? 0;
    const observed: string[] = [];
    dynamoRequestCounter.observer = (command, table) => {
      observed.push(`${command} ${table}`);
      return () => {
        observed.push('settled');
      };
    };
    const key = freshKey();
    front.inject(
      { kind: 'answer', status: 500, type: 'InternalServerError' },
      { kind: 'answer', status: 400, type: 'ThrottlingException' },
      { kind: 'answer', status: 503, type: 'ServiceUnavailable' },
    );

    try {
      const error = await conditionalPut(key, 'r1').catch((caught: unknown) => caught);

      assert.ok(error instanceof AwsServiceError);
      assert.equal(error.name, 'ServiceUnavailable');
      assert.deepEqual(error.$metadata, { httpStatusCode: 503, attempts: 3 });
      assert.equal(front.requests.length, 3);
      assert.equal((dynamoRequestCounter.byCommand.get('PutItemCommand') ?? 0) - before, 1);
      assert.deepEqual(observed, [`PutItemCommand ${tables.state}`, 'settled']);
    } finally {
      dynamoRequestCounter.observer = undefined;
    }
    assert.equal(await holderOf(key), undefined);
  });

  it('retries a write whose answer was lost, and the retry meets its own write', async () => {
    // As with the AWS SDK: the first attempt was applied, so a conditional retry is refused.
    // Callers whose writes must be idempotent condition on their own holder (slot-store.ts).
    const key = freshKey();
    front.inject({ kind: 'drop-after' });

    const error = await conditionalPut(key, 'r1').catch((caught: unknown) => caught);

    assert.ok(isConditionFailure(error));
    assert.equal(front.requests.length, 2);
    assert.deepEqual(await holderOf(key), { S: 'r1' });
  });

  it('passes UnprocessedKeys of a BatchGetItem on to its caller', async () => {
    const [first, second] = [freshKey(), freshKey()];
    for (const key of [first, second])
      await client.request('PutItem', { TableName: tables.state, Item: key });
    front.inject({
      kind: 'rewrite',
      rewrite: (answer) => {
        const responses = answer.Responses as Record<string, unknown[]>;
        const kept = (responses[tables.state] ?? []).filter((item) =>
          JSON.stringify(item).includes(first.pk.S),
        );
        return {
          Responses: { [tables.state]: kept },
          UnprocessedKeys: { [tables.state]: { Keys: [second] } },
        };
      },
    });

    const output = await client.request('BatchGetItem', {
      RequestItems: { [tables.state]: { Keys: [first, second] } },
    });

    assert.deepEqual(output.Responses?.[tables.state], [first]);
    assert.deepEqual(output.UnprocessedKeys?.[tables.state]?.Keys, [second]);
  });

  it('never shows credentials or the signature in an error', async () => {
    front.inject(
      { kind: 'drop' },
      { kind: 'drop' },
      { kind: 'drop' },
      { kind: 'answer', status: 400, type: 'AccessDeniedException' },
    );
    const errors = [
      await conditionalPut(freshKey(), 'r1').catch((caught: unknown) => caught),
      await conditionalPut(freshKey(), 'r2').catch((caught: unknown) => caught),
    ];
    const signature = /Signature=([0-9a-f]{64})/.exec(String(front.requests[0]?.headers.authorization))?.[1];
    assert.ok(signature);

    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ECONNRESET');
    assert.equal((errors[1] as Error).name, 'AccessDeniedException');
    for (const error of errors) {
      const shown = `${inspect(error, { depth: 10, showHidden: true })} ${JSON.stringify(error)} ${String(error)}`;
      for (const secret of [
        CREDENTIALS.secretAccessKey,
        CREDENTIALS.sessionToken,
        signature,
        'AWS4-HMAC-SHA256',
      ]) {
        assert.ok(!shown.includes(secret), `the error shows ${secret.slice(0, 12)}…`);
      }
    }
  });

  it('stops retrying once failures have spent its retry quota, and a success refills it', async () => {
    // A client of its own, so the quota is fresh: 500 tokens, 10 per transient retry.
    const lonely = new DynamoJsonClient({
      endpoint: front.url,
      region: 'local',
      credentials: CREDENTIALS,
      random: () => 0,
    });
    try {
      const failure = { kind: 'answer', status: 500, type: 'InternalServerError' } as const;
      // 25 requests of 3 attempts each spend 25 × 2 × 10 = 500 tokens.
      for (let i = 0; i < 25; i += 1) {
        front.inject(failure, failure, failure);
        await lonely
          .request('DeleteItem', { TableName: tables.state, Key: freshKey() })
          .catch(() => undefined);
      }
      assert.equal(front.requests.length, 75);
      front.inject(failure);
      await assert.rejects(lonely.request('DeleteItem', { TableName: tables.state, Key: freshKey() }), {
        name: 'InternalServerError',
      });
      assert.equal(front.requests.length, 76, 'no retry once the quota is spent');

      // Ten successes give back ten tokens: one retry's worth.
      for (let i = 0; i < 10; i += 1)
        await lonely.request('DeleteItem', { TableName: tables.state, Key: freshKey() });
      front.inject(failure);
      await lonely.request('DeleteItem', { TableName: tables.state, Key: freshKey() });
      assert.equal(front.requests.length, 76 + 10 + 2);
    } finally {
      lonely.destroy();
    }
  });

  it('waits between attempts for a random share of a doubling base, longer for throttling', async () => {
    // random() = 1 gives the cap of each pause: 100 ms then 200 ms for a 500, 500 ms for throttling.
    const patient = new DynamoJsonClient({
      endpoint: front.url,
      region: 'local',
      credentials: CREDENTIALS,
      random: () => 1,
    });
    try {
      const msTaken = async (...faults: Parameters<DynamoFaultFront['inject']>) => {
        front.inject(...faults);
        const started = performance.now();
        await patient.request('DeleteItem', { TableName: tables.state, Key: freshKey() });
        return performance.now() - started;
      };
      const transient = await msTaken(
        { kind: 'answer', status: 500, type: 'InternalServerError' },
        { kind: 'answer', status: 500, type: 'InternalServerError' },
      );
      const throttled = await msTaken({ kind: 'answer', status: 400, type: 'ThrottlingException' });

      assert.ok(transient >= 300, `two transient retries waited ${transient} ms`);
      assert.ok(throttled >= 500, `a throttling retry waited ${throttled} ms`);
    } finally {
      patient.destroy();
    }
  });
});

describe('createDynamoJsonClient', () => {
  it('refuses to start without credentials or an endpoint, naming what is missing', () => {
    assert.throws(() => createDynamoJsonClient(undefined, { AWS_REGION: 'eu-west-1' }), /AWS_ACCESS_KEY_ID/);
  });

  it("signs with the function's credentials from a Lambda environment", async () => {
    const lambda = createDynamoJsonClient(
      undefined,
      lambdaEnvironment('AWS_ENDPOINT_URL_DYNAMODB', front.url),
    );
    try {
      await lambda.request('DeleteItem', { TableName: tables.state, Key: freshKey() });
      assertSignedByLambdaRole(front.requests.at(-1)?.headers, 'dynamodb');
    } finally {
      lambda.destroy();
    }
  });

  it('talks to the given endpoint with local credentials', async () => {
    const local = createDynamoJsonClient(front.url, {});
    try {
      await local.request('DeleteItem', { TableName: tables.state, Key: freshKey() });
      assert.match(
        String(front.requests.at(-1)?.headers.authorization),
        /Credential=local\/\d{8}\/local\/dynamodb\//,
      );
    } finally {
      local.destroy();
    }
  });
});
