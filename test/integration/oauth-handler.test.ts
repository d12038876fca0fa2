import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { credentialsOf, MINUTE, type OAuthWorld, startOAuthWorld } from './oauth-harness.ts';

const scheduledEvent: ScheduledEvent = {
  version: '0',
  id: 'e1b1f7d2-0000-4000-8000-000000000000',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/quotagate-oauth-token-refresh'],
  detail: {},
};

function lambdaContext(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'quotagate-oauth-token-refresh',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:quotagate-oauth-token-refresh',
    memoryLimitInMB: '256',
    awsRequestId: 'c0ffee00-0000-4000-8000-000000000000',
    logGroupName: '/aws/lambda/quotagate-oauth-token-refresh',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

describe('token-refresh Lambda handler', () => {
  let world: OAuthWorld;
  let handler: (event: ScheduledEvent, context: Context) => Promise<unknown>;
  before(async () => {
    world = await startOAuthWorld();
    // What the stack sets on the function; the handler reads it on its first invocation.
    Object.assign(process.env, {
      DYNAMODB_ENDPOINT: world.db.endpoint,
      AWS_REGION: 'local',
      QG_STAGE: 'oauth',
      QG_CONFIG_TABLE: world.tables.config,
      QG_STATE_TABLE: world.tables.state,
      QG_OAUTH_TOKEN_URL: world.endpoint.url,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    ({ handler } = await import('../../functions/token-refresh/handler.ts'));
  });
  after(() => world.close());

  it('refreshes the tokens due on a scheduled event and returns the pass summary', async () => {
    // Prepare
    const due = await world.addAccount(10 * MINUTE);
    const later = await world.addAccount(24 * 60 * MINUTE);

    // Act
    const summary = await handler(scheduledEvent, lambdaContext(120_000));

    // Assess
    assert.deepEqual(summary, {
      checked: 2,
      due: 1,
      outcomes: { refreshed: 1, 'already-fresh': 0, 'skipped-lease-held': 0, failed: 0 },
      deferred: 0,
      errors: 0,
    });
    assert.equal(
      credentialsOf(await world.read(due.id)).accessToken,
      world.endpoint.issued.at(-1)?.accessToken,
    );
    assert.deepEqual((await world.read(later.id)).credentials, later.credentials);
  });

  it('starts no refresh that could outlast the invocation', async () => {
    // Prepare
    const account = await world.addAccount(MINUTE);

    // Act: 15 s of endpoint timeout and the margins do not fit in 10 s
    const summary = (await handler(scheduledEvent, lambdaContext(10_000))) as { deferred: number };

    // Assess
    assert.equal(summary.deferred, 1);
    assert.deepEqual((await world.read(account.id)).credentials, account.credentials);
  });
});
