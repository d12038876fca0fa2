/**
 * The gateway under benchmark, alone in its process: the same handler the local stack runs
 * (`createGatewayHandler` over `createGatewayDeps`) behind the local Function URL server, with
 * usage events published as on AWS: the Lambda's publisher and EventBridge client, sending
 * PutEvents to the bench's local endpoint (eventbridge-process.ts). Unlike `startLocalStack`,
 * dynalite runs in another process (dynamo-process.ts) and no recorder subscribes here: on AWS
 * both are other services, and sharing this process would count their CPU and DynamoDB requests
 * as the gateway's.
 *
 * Environment: `BENCH_DYNAMO_ENDPOINT`, `BENCH_EVENTS_ENDPOINT`, the QG_* settings,
 * `POWERTOOLS_LOG_LEVEL` (default WARN).
 * Calls: `reset` (forget traces), `traces` (take the DynamoDB summary), `heapAfterGc`,
 * `coldConfig` (on: every request finds the config cache expired, as on Lambda), `newInstance`
 * (the next request is a new instance's first: every cache empty), `recordEvents` (run the
 * recorder over the usage events given and count its DynamoDB writes), `captureNext` and
 * `capturedPlan` (the AWS calls of one request, for the floor: exchange-capture.ts).
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  installAwsLambdaShim,
  type LambdaResponseStream,
  type StreamifiedHandler,
} from '#local/awslambda-shim.ts';
import type { EventEnvelope } from '#local/event-bus.ts';
import { startFunctionUrlServer } from '#local/function-url-server.ts';
import { EventBridgeAlertPublisher } from '#shared/alerts/alert-publisher.ts';
import { createEventBridgeClient } from '#shared/events/eventbridge-client.ts';
import { EventBridgeUsagePublisher } from '#shared/events/eventbridge-publisher.ts';
import { createGatewayDeps } from '#shared/gateway/create-deps.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { loadSettings } from '#shared/settings.ts';
import { CachedConfigDirectory } from '#shared/store/cached-directory.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { createDynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { DynamoParkedUsageEvents } from '#shared/store/dynamo/usage-parked-events.ts';
import { type ExchangePlan, startCapture } from './exchange-capture.ts';
import { answerParent } from './ipc.ts';
import { RequestTraces } from './request-trace.ts';

const endpoint = process.env.BENCH_DYNAMO_ENDPOINT;
if (!endpoint) throw new Error('BENCH_DYNAMO_ENDPOINT is not set');
const eventsEndpoint = process.env.BENCH_EVENTS_ENDPOINT;
if (!eventsEndpoint) throw new Error('BENCH_EVENTS_ENDPOINT is not set');
const settings = loadSettings(process.env);
const requester = createDynamoJsonClient(endpoint);
// As the gateway Lambda builds them (functions/gateway/handler.ts).
const client = new JsonDocumentClient(requester);
const events = createEventBridgeClient({ endpoint: eventsEndpoint, maxAttempts: 1 });
const logger = new Logger({
  serviceName: 'quotagate-gateway',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN') as 'WARN',
});
/**
 * The gateway's dependencies as an instance builds them at its first request: `newInstance`
 * replaces them, so the next request finds every cache empty (config and credentials). The
 * DynamoDB connections are kept: the bench counts requests and round trips, not connection set-up.
 */
function instanceDeps() {
  const built = createGatewayDeps({
    settings,
    client,
    requester,
    logger,
    publisher: new EventBridgeUsagePublisher({
      client: events,
      eventBusName: settings.eventBusName,
      parking: new DynamoParkedUsageEvents(client, settings.tables.usage),
      logger,
    }),
  });
  if (!(built.directory instanceof CachedConfigDirectory))
    throw new Error('the gateway no longer caches config');
  return { deps: built, directory: built.directory };
}
let { deps, directory } = instanceDeps();
const traces = new RequestTraces(settings.tables);
let coldConfig = false;
let capture: ReturnType<typeof startCapture> | undefined;
let profiler: Session | undefined;
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

installAwsLambdaShim();
// middy reads the global `awslambda` when the handler is created, so import after the shim.
const { createGatewayHandler } = await import('../functions/gateway/create-handler.ts');
const gateway = createGatewayHandler(() => deps) as unknown as StreamifiedHandler;
// middy sets no highWaterMark on its handler, so the wrapper needs none either.
const traced = awslambda.streamifyResponse((event: APIGatewayProxyEventV2, responseStream, context) => {
  if (coldConfig) directory.clear();
  return traces.run(event.headers['x-client-request-id'], () =>
    gateway(event, responseStream as unknown as LambdaResponseStream, context),
  );
});

const server = await startFunctionUrlServer({
  handler: traced,
  port: 0,
  logger: {
    info: (message, attributes = {}) => logger.info(message, attributes as never),
    warn: (message, attributes = {}) => logger.warn(message, attributes as never),
    error: (message, attributes = {}) => logger.error(message, attributes as never),
  },
});

answerParent(
  {
    reset() {
      traces.take();
    },
    traces: () => traces.take(),
    coldConfig(on: unknown) {
      coldConfig = on === true;
    },
    /** Captures the AWS calls of the requests until `capturedPlan` (floor-process.ts replays them). */
    captureNext() {
      capture = startCapture();
    },
    capturedPlan(): ExchangePlan | undefined {
      const plan = capture?.finish();
      capture = undefined;
      return plan;
    },
    /** Starts sampling this process's CPU every 100 µs, until `profileStop`. */
    async profileStart() {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
      await profiler.post('Profiler.start');
    },
    /** Stops the profile `profileStart` began and writes it, as a `.cpuprofile`, to the path given. */
    async profileStop(path: unknown) {
      if (!profiler) throw new Error('no profile started');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      await writeFile(String(path), JSON.stringify(profile));
    },
    /** The next request is the first of a new instance. */
    newInstance() {
      ({ deps, directory } = instanceDeps());
    },
    /**
     * Records the usage events given (as the bench's EventBridge kept them), one at a time as the
     * recorder Lambda would, and answers its DynamoDB requests per event (writes, reads).
     */
    async recordEvents(payload: unknown) {
      // Wired as the recorder Lambda is (its JSON client, alerts on), so the figures include the alert watch.
      const runtime = createRecorderRuntime({
        tables: settings.tables,
        client: new JsonDocumentClient(requester),
        logger,
        alerts: {
          publisher: new EventBridgeAlertPublisher(events, settings.eventBusName),
          stateTable: settings.tables.state,
        },
      });
      const envelopes = payload as EventEnvelope[];
      const before = new Map(dynamoRequestCounter.byCommand);
      for (const envelope of envelopes) await runtime.record(envelope);
      let writes = 0;
      let reads = 0;
      for (const [command, count] of dynamoRequestCounter.byCommand) {
        const sent = count - (before.get(command) ?? 0);
        if (WRITES.has(command)) writes += sent;
        else reads += sent;
      }
      traces.take();
      return {
        events: envelopes.length,
        writesPerEvent: writes / Math.max(1, envelopes.length),
        readsPerEvent: reads / Math.max(1, envelopes.length),
      };
    },
    /** Live heap after a full collection (needs --expose-gc): growth across phases means a leak. */
    heapAfterGc() {
      globalThis.gc?.();
      return process.memoryUsage().heapUsed;
    },
  },
  { url: server.url },
  async () => {
    await server.close();
    requester.destroy();
    events.destroy();
  },
);
