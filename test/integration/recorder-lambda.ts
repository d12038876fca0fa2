/**
 * The recorder's Lambda handler as Lambda runs it, for the tests that go through it: loaded
 * with the environment the stack sets (pointed at a recorder world's tables), called with a
 * Lambda context and EventBridge rule-target events.
 *
 * @example
 * ```ts
 * const handler = await loadRecorderHandler(world);
 * await handler(ruleEvent(USAGE_EVENT_DETAIL_TYPE, USAGE_EVENT_SOURCE, detail), lambdaContext());
 * ```
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import type { RecorderWorld } from './recorder-harness.ts';

export type RecorderHandler = (
  event: EventBridgeEvent<string, unknown>,
  context: Context,
) => Promise<unknown>;

/** Sets the handler's environment to `world` (plus `env`), then imports it, as a cold start does. */
export async function loadRecorderHandler(
  world: RecorderWorld,
  env: Record<string, string> = {},
): Promise<RecorderHandler> {
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: world.db.endpoint,
    AWS_REGION: 'local',
    QG_CONFIG_TABLE: world.tables.config,
    QG_USAGE_TABLE: world.tables.usage,
    QG_STATE_TABLE: world.tables.state,
    QG_EVENT_BUS_NAME: 'quotagate-rec',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...env,
  });
  const { handler } = (await import('../../functions/recorder/handler.ts')) as { handler: RecorderHandler };
  return handler;
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'quotagate-test-recorder',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:quotagate-test-recorder',
    memoryLimitInMB: '256',
    awsRequestId: 'invocation-1',
    logGroupName: '/aws/lambda/quotagate-test-recorder',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** An event as an EventBridge rule hands it to its Lambda target. */
export function ruleEvent(
  detailType: string,
  source: string,
  detail: unknown,
  id = 'evt-1',
): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: '2026-11-27T12:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}
