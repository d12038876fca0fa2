/**
 * The local stack's recorder in a child process (see `startRecorderProcess`): the runtime the
 * recorder Lambda uses, over its own DynamoDB client (the JSON client, as on Lambda), answering the parent's `record`,
 * `sweepPending` and `runScheduled` calls once `connect` has told it the endpoint. The stack's
 * settings come from its environment; metric documents go back to the parent as notices, and
 * alerts onto the parent's bus.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import { EventBridgeAlertPublisher } from '#shared/alerts/alert-publisher.ts';
import { createRecorderMetrics } from '#shared/observability/recorder-metrics.ts';
import { createRecorderRuntime, type RecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { loadSettings } from '#shared/settings.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { createDynamoJsonClient, type DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { createBusEventBridgeClient } from './bus-publisher.ts';
import { serveParent } from './child-process.ts';
import { RECORDER_DEADLINE_MS } from './recorder-host.ts';

const settings = loadSettings(process.env);
const logger = new Logger({
  serviceName: 'quotagate-recorder',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') as 'INFO',
});
let requester: DynamoJsonClient | undefined;
let recorder: RecorderRuntime | undefined;
const connected = () => {
  if (!recorder) throw new Error('the recorder has no DynamoDB endpoint yet');
  return recorder;
};

const parent = serveParent(
  {
    connect(endpoint) {
      requester = createDynamoJsonClient(String(endpoint));
      recorder = createRecorderRuntime({
        tables: settings.tables,
        client: new JsonDocumentClient(requester),
        logger,
        onRecorded: createRecorderMetrics({
          sink: (emf: EmfOutput) => parent.notify({ type: 'metric', payload: emf }),
        }).recorded,
        // Alerts go on the stack's bus, in the parent, as PutEvents the bus answers.
        alerts: {
          publisher: new EventBridgeAlertPublisher(
            createBusEventBridgeClient({ putEvents: (entries) => parent.ask('putEvents', entries) }),
            settings.eventBusName,
          ),
          stateTable: settings.tables.state,
        },
      });
    },
    async record(envelope) {
      await connected().record(envelope, Date.now() + RECORDER_DEADLINE_MS);
    },
    async sweepPending() {
      await connected().sweepPending();
    },
    async runScheduled() {
      await connected().runScheduled();
    },
  },
  {},
  async () => requester?.destroy(),
);
