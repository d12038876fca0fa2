/**
 * The recorder's Lambda handler: an EventBridge rule target. Thin by design: a usage event goes
 * to `recordUsage`; a scheduled event drains the parked events, then sweeps the records lost
 * events left pending (both bounded by the invocation's deadline); anything thrown makes Lambda
 * retry the event and finally park it in the dead-letter queue, which is safe because the
 * recorder is exactly-once.
 *
 * The invocation's deadline bounds the recorder's writes (its claim outlives it), so a duplicate
 * delivery can take over a record this invocation left pending only once it can no longer write.
 *
 * Every record applied here, drained parked events and swept records included, emits one
 * `RecorderLag` EMF line. A scheduled run returns the drain's summary; the sweep logs its own.
 * Charges are watched for alerts (low balance, key quota and budget), which go on the same bus.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { EventBridgeAlertPublisher } from '#shared/alerts/alert-publisher.ts';
import { lazyEventBridgeClient } from '#shared/events/eventbridge-client.ts';
import { createRecorderMetrics } from '#shared/observability/recorder-metrics.ts';
import { createRecorderRuntime, type RecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { deadlineFrom } from '#shared/runtime/deadline.ts';
import { loadSettings, loadUsageRecordTtlDays } from '#shared/settings.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { dynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { installLazySourceMaps } from '../lazy-source-maps.ts';

// The bundle's traces name the TypeScript sources, the map read at the first trace only.
installLazySourceMaps(import.meta.url);

const logger = new Logger({ serviceName: 'recorder' });
// Namespace and service dimension from the POWERTOOLS_* variables the stack sets.
const metrics = createRecorderMetrics();
let runtime: RecorderRuntime | undefined;

/** Writes stop this long before Lambda's own timeout, so no write is in flight when it strikes. */
const SAFETY_MS = 3000;

function recorder(): RecorderRuntime {
  if (runtime) return runtime;
  const settings = loadSettings();
  runtime = createRecorderRuntime({
    tables: settings.tables,
    usageRecordTtlDays: loadUsageRecordTtlDays(),
    // About ten writes a request: through the JSON client, not the SDK's middleware (document-client.ts).
    client: new JsonDocumentClient(dynamoJsonClient()),
    logger,
    onRecorded: metrics.recorded,
    alerts: {
      publisher: new EventBridgeAlertPublisher(lazyEventBridgeClient(), settings.eventBusName),
      stateTable: settings.tables.state,
    },
  });
  return runtime;
}

export const handler = middy<EventBridgeEvent<string, unknown>, unknown, Error, Context>()
  .use(injectLambdaContext(logger))
  .handler(async (event, context) => {
    const deadlineMs = deadlineFrom(context, SAFETY_MS);
    if (event['detail-type'] === 'Scheduled Event') return recorder().runScheduled(deadlineMs);
    const { outcome, record } = await recorder().record(event, deadlineMs);
    logger.info('Usage recorded', { requestId: record.requestId, outcome, billedNano: record.billedNano });
    return { outcome, requestId: record.requestId };
  });
