/**
 * The gateway's own EventBridge client against a local PutEvents server: what it signs and sends,
 * which failures it retries (the SDK's standard mode) and what its errors show.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  createEventBridgeClient,
  EventBridgeJsonClient,
  lazyEventBridgeClient,
  type PutEventsEntry,
} from '#shared/events/eventbridge-client.ts';
import { isRetryablePublishError } from '#shared/events/eventbridge-publisher.ts';
import {
  type PutEventsAnswer,
  type PutEventsServer,
  startPutEventsServer,
} from '../support/put-events-server.ts';
import { assertSignedByLambdaRole, lambdaEnvironment, sdkAuthorizationOf } from '../support/sdk-signature.ts';

const CREDENTIALS = {
  accessKeyId: 'AKIDEVENTSCLIENTTEST',
  secretAccessKey: 'events-client-secret-key-0123456789',
  sessionToken: 'events-client-session-token-abcdef',
};
const ENTRY: PutEventsEntry = {
  EventBusName: 'quotagate-test',
  Source: 'quotagate.gateway',
  DetailType: 'quotagate.usage.v1',
  Detail: '{"requestId":"req-1"}',
  Time: new Date('2026-12-03T10:00:01.500Z'),
};
const error =
  (status: number, type: string): PutEventsAnswer =>
  () => ({
    status,
    body: { __type: type, message: `${type} happened` },
  });
const accepted: PutEventsAnswer = (entries) => ({
  status: 200,
  body: { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: 'e-1' })) },
});

let server: PutEventsServer;
let client: EventBridgeJsonClient;

before(async () => {
  server = await startPutEventsServer();
  // No jitter: every backoff is 0 ms, so retry tests take no time.
  client = new EventBridgeJsonClient({
    endpoint: server.url,
    region: 'eu-west-1',
    credentials: CREDENTIALS,
    random: () => 0,
  });
});
after(async () => {
  client.destroy();
  await server.close();
});
beforeEach(() => {
  server.calls.splice(0);
  server.answers = [];
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => assert.fail('the call succeeded'),
    (caught: unknown) => caught as Error & { $metadata?: { httpStatusCode?: number }; code?: string },
  );

describe('EventBridgeJsonClient', { timeout: 60_000 }, () => {
  it('sends the entries as PutEvents, Time in epoch seconds, signed as the AWS SDK signer would', async () => {
    const output = await client.putEvents([ENTRY]);

    assert.deepEqual(output, { FailedEntryCount: 0, Entries: [{ EventId: 'evt-0' }] });
    const [call] = server.calls;
    assert.ok(call);
    assert.deepEqual(call.entries, [{ ...ENTRY, Time: 1796292001.5 }]);
    assert.equal(call.headers['x-amz-target'], 'AWSEvents.PutEvents');
    assert.equal(call.headers['content-type'], 'application/x-amz-json-1.1');
    assert.equal(call.headers['x-amz-security-token'], CREDENTIALS.sessionToken);
    assert.equal(call.headers.connection, 'keep-alive');
    const signedHeaders =
      /SignedHeaders=([^,]+)/.exec(String(call.headers.authorization))?.[1]?.split(';') ?? [];
    const expected = await sdkAuthorizationOf(
      { headers: call.headers, body: JSON.stringify({ Entries: call.entries }) },
      { service: 'events', region: 'eu-west-1', credentials: CREDENTIALS },
    );
    assert.equal(call.headers.authorization, expected);
    assert.match(
      String(call.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIDEVENTSCLIENTTEST\/\d{8}\/eu-west-1\/events\/aws4_request, /,
    );
    assert.ok(signedHeaders.includes('x-amz-security-token') && signedHeaders.includes('x-amz-target'));
  });

  it('retries throttling, a 5xx and a dropped connection, and answers the call that got through', async () => {
    server.answers = [error(400, 'ThrottlingException'), error(500, 'InternalException'), accepted];
    assert.deepEqual(await client.putEvents([ENTRY]), { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    assert.equal(server.calls.length, 3);

    server.calls.splice(0);
    server.answers = [() => 'drop', accepted];
    await client.putEvents([ENTRY]);
    assert.equal(server.calls.length, 2);
  });

  it('gives up after three attempts with the last error, named after its type, which the publisher retries', async () => {
    server.answers = [
      error(400, 'ThrottlingException'),
      error(503, 'ServiceUnavailable'),
      error(400, 'ThrottlingException'),
      accepted,
    ];
    const caught = await failure(client.putEvents([ENTRY]));
    assert.equal(server.calls.length, 3);
    assert.deepEqual(
      [caught.name, caught.message, caught.$metadata?.httpStatusCode],
      ['ThrottlingException', 'ThrottlingException happened', 400],
    );
    assert.equal(isRetryablePublishError(caught), true);
    server.answers = [];
  });

  it('does not retry a refusal retrying cannot fix, and the publisher does not either', async () => {
    server.answers = [error(400, 'ValidationException'), accepted];
    const caught = await failure(client.putEvents([ENTRY]));
    assert.equal(server.calls.length, 1);
    assert.equal(caught.name, 'ValidationException');
    assert.equal(isRetryablePublishError(caught), false);
    server.answers = [];
  });

  it('answers failed entries as the service gave them: a result, not an error', async () => {
    const partly: PutEventsAnswer = () => ({
      status: 200,
      body: { FailedEntryCount: 1, Entries: [{ EventId: 'e-1' }, { ErrorCode: 'InternalFailure' }] },
    });
    server.answers = [partly];
    const output = await client.putEvents([ENTRY, ENTRY]);
    assert.deepEqual(output, {
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e-1' }, { ErrorCode: 'InternalFailure' }],
    });
    assert.equal(server.calls.length, 1);
  });

  it('sends once when built with one attempt, as the gateway builds it; a lost connection is retryable', async () => {
    const once = createEventBridgeClient({ endpoint: server.url, maxAttempts: 1 });
    try {
      server.answers = [() => 'drop', accepted];
      const caught = await failure(once.putEvents([ENTRY]));
      assert.equal(server.calls.length, 1);
      assert.equal(caught.code, 'ECONNRESET');
      assert.equal(isRetryablePublishError(caught), true);
      server.answers = [];
    } finally {
      once.destroy();
    }
  });

  it('never shows credentials or the signature in an error', async () => {
    server.answers = [() => 'drop', () => 'drop', () => 'drop', error(403, 'AccessDeniedException')];
    const errors = [await failure(client.putEvents([ENTRY])), await failure(client.putEvents([ENTRY]))];
    const signature = /Signature=([0-9a-f]{64})/.exec(String(server.calls[0]?.headers.authorization))?.[1];
    assert.ok(signature);
    assert.equal(errors[0]?.code, 'ECONNRESET');
    assert.equal(errors[1]?.name, 'AccessDeniedException');
    for (const caught of errors) {
      const shown = `${inspect(caught, { depth: 10, showHidden: true })} ${JSON.stringify(caught)} ${String(caught)}`;
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
});

describe('createEventBridgeClient', () => {
  it('refuses to start without credentials or an endpoint, naming what is missing', () => {
    assert.throws(() => createEventBridgeClient({}, { AWS_REGION: 'eu-west-1' }), /AWS_ACCESS_KEY_ID/);
  });

  it("signs with the function's credentials from a Lambda environment", async () => {
    const lambda = createEventBridgeClient({}, lambdaEnvironment('AWS_ENDPOINT_URL_EVENTBRIDGE', server.url));
    try {
      await lambda.putEvents([ENTRY]);
      assertSignedByLambdaRole(server.calls.at(-1)?.headers, 'events');
    } finally {
      lambda.destroy();
    }
  });

  it('builds the lazy client at its first call: no credentials needed to start, missing ones fail that call', async () => {
    const env: NodeJS.ProcessEnv = { AWS_REGION: 'eu-west-1' };
    const lazy = lazyEventBridgeClient({}, env);
    await assert.rejects(lazy.putEvents([ENTRY]), /AWS_ACCESS_KEY_ID/);

    Object.assign(env, {
      AWS_ACCESS_KEY_ID: 'AKIDLAZY',
      AWS_SECRET_ACCESS_KEY: 'lazy-secret',
      AWS_ENDPOINT_URL_EVENTBRIDGE: server.url,
    });
    await lazy.putEvents([ENTRY]);
    assert.match(String(server.calls.at(-1)?.headers.authorization), /Credential=AKIDLAZY\//);
  });
});
