/**
 * The whole quotagate stack on this machine, no AWS: dynalite with the three tables, the gateway
 * Lambda handler behind a local streaming Function URL, and the in-process event bus that
 * carries usage events to the recorder. The end-to-end tests start one per file, everything in
 * their own process on ephemeral ports; `npm start` asks for `separateProcesses`, so dynalite and
 * the recorder each run in a child process and the stack uses more than one core.
 *
 * @example
 * ```ts
 * const stack = await startLocalStack({ port: 0, dataDir: null });
 * // … call stack.url with the openai SDK …
 * await stack.close();
 * ```
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import { EventBridgeAlertPublisher } from '#shared/alerts/alert-publisher.ts';
import { USAGE_EVENT_DETAIL_TYPE, USAGE_EVENT_SOURCE } from '#shared/events/usage-event.ts';
import { createGatewayDeps } from '#shared/gateway/create-deps.ts';
import type { GatewayDeps } from '#shared/gateway/deps.ts';
import { createTokenRefresh } from '#shared/oauth/create-token-refresh.ts';
import { useSdkCredentialChain } from '#shared/secrets/sdk-credential-chain.ts';
import { type GatewaySettings, loadSettings } from '#shared/settings.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { createDynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { DynamoParkedUsageEvents } from '#shared/store/dynamo/usage-parked-events.ts';
import { withAccessLog } from './access-log.ts';
import { type RunningAdminServer, startAdminServer } from './admin-server.ts';
import { installAwsLambdaShim } from './awslambda-shim.ts';
import { BusUsagePublisher, createBusEventBridgeClient } from './bus-publisher.ts';
import { ensureTables, type RunningDynalite, startDynalite, startDynaliteProcess } from './dynalite.ts';
import { type BusTarget, InProcessEventBus, type InProcessEventBusOptions } from './event-bus.ts';
import { FirstByteGate } from './first-byte-gate.ts';
import { startFunctionUrlServer } from './function-url-server.ts';
import { inProcessRecorder, type RecorderHost, startRecorderProcess } from './recorder-host.ts';

/** Metric documents and bus events kept for inspection; a long `npm start` must not grow forever. */
const HISTORY_LIMIT = 10_000;

/** As the stack's EventBridge schedules: every five minutes. */
const SCHEDULE_INTERVAL_MS = 5 * 60 * 1000;

export interface LocalStackOptions {
  /** Gateway port; 0 picks a free one. */
  port?: number;
  /** dynalite port; 0 picks a free one. */
  dynamoPort?: number;
  /**
   * Attach to a DynamoDB endpoint someone else runs (its tables are ensured, never deleted)
   * instead of starting dynalite; a test that kills a gateway process keeps its tables this way.
   */
  dynamoEndpoint?: string;
  /** Folder for dynalite's data; null keeps everything in memory. */
  dataDir?: string | null;
  /**
   * Run dynalite and the recorder each in a child process (they leave when the stack closes or
   * its process ends, however it ends), so the database and the recorder's writes do not share
   * the gateway's core. `npm start` does; the default keeps everything in this process, which
   * starts faster and lets `wrapRecorder` and `logger` reach the recorder.
   */
  separateProcesses?: boolean;
  /** Environment overrides for the gateway's settings (QG_* variables). */
  env?: Record<string, string>;
  /** Powertools log level of the gateway (DEBUG, INFO, WARN, ERROR, SILENT); default INFO. */
  logLevel?: string;
  /** The stack's logger (gateway, recorder, admin API), instead of one at `logLevel` on stdout. */
  logger?: Logger;
  /** The gateway function's timeout, as the stack sets it; default 900 s (the Function URL maximum). */
  functionTimeoutMs?: number;
  /**
   * Period of the stack's schedules (token refresh, parked drain, pending sweep); default 5 minutes,
   * as on AWS. A test that drains and counts parked events itself passes 0 to turn them off.
   */
  scheduleIntervalMs?: number;
  /**
   * Also serve the admin API on its own port behind a bearer token (QG_ADMIN_TOKEN, else a
   * generated one: print `stack.admin.token` when `stack.admin.generatedToken`).
   */
  admin?: { port?: number; token?: string };
  /** Options of the in-process bus, e.g. `duplicateEvery` or `failEntry` to inject faults. */
  busOptions?: InProcessEventBusOptions;
  /**
   * Wraps the recorder's bus target, for tests that inject faults into deliveries (throw before
   * or after recording, or record through a failing DynamoDB client); default: the target as is.
   */
  wrapRecorder?: (target: BusTarget) => BusTarget;
  /** Receives one access-log line per gateway request (`npm start` prints them). */
  accessLog?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  dynamo: RunningDynalite;
  client: SdkDocumentClient;
  settings: GatewaySettings;
  deps: GatewayDeps;
  bus: InProcessEventBus;
  /** The EMF metric documents the gateway and the recorder produced, newest last. */
  metrics: EmfOutput[];
  /** The admin API, when `options.admin` asked for it. */
  admin?: RunningAdminServer;
  close(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = { ...process.env, ...options.env };
  const settings = loadSettings(env);
  const logLevel = options.logLevel ?? 'INFO';
  const metrics: EmfOutput[] = [];
  // EMF lines only make sense to CloudWatch; locally they are kept for whoever asks.
  const keepMetric = (emf: EmfOutput) => {
    metrics.push(emf);
    if (metrics.length > HISTORY_LIMIT) metrics.shift();
  };
  const bus = new InProcessEventBus({ historyLimit: HISTORY_LIMIT, ...options.busOptions });
  const logger =
    options.logger ?? new Logger({ serviceName: 'quotagate-gateway', logLevel: logLevel as 'INFO' });
  // A child that dies takes its part of the stack with it (all DynamoDB, or all recording):
  // say so loudly rather than let every request or delivery fail with a connection error.
  const childDied = (part: string) => (code: number | null, signal: string | null) =>
    logger.error(`the ${part} process exited unexpectedly; restart the stack`, { code, signal });
  const dynalite = { port: options.dynamoPort ?? 0, ...(options.dataDir ? { path: options.dataDir } : {}) };
  // The two children start side by side; the recorder learns the endpoint once dynalite has one.
  const [dynamoStart, recorderStart] = await Promise.allSettled([
    options.dynamoEndpoint
      ? attachedDynamo(options.dynamoEndpoint)
      : options.separateProcesses
        ? startDynaliteProcess(dynalite, childDied('dynalite'))
        : startDynalite(dynalite),
    options.separateProcesses
      ? startRecorderProcess({
          env: definedOnly(env),
          logLevel,
          keepMetric,
          bus,
          onUnexpectedExit: childDied('recorder'),
        })
      : undefined,
  ]);
  if (dynamoStart.status === 'rejected' || recorderStart.status === 'rejected') {
    if (dynamoStart.status === 'fulfilled') await dynamoStart.value.close();
    if (recorderStart.status === 'fulfilled') await recorderStart.value?.close();
    throw dynamoStart.status === 'rejected'
      ? dynamoStart.reason
      : (recorderStart as PromiseRejectedResult).reason;
  }
  const dynamo = dynamoStart.value;
  const recorderProcess = recorderStart.value;
  await ensureTables(dynamo.endpoint, settings.tables);
  // A stack given a KMS key (QG_SECRETS_KEY_ID) seals with the developer's AWS credentials.
  useSdkCredentialChain();
  // The SDK's client for the admin server and the callers of the stack (tests, tools).
  const client = createDocumentClient(dynamo.endpoint);
  const requester = createDynamoJsonClient(dynamo.endpoint);
  // The gateway's and the token refresh's, as their Lambdas build them: the JSON client.
  const functionClient = new JsonDocumentClient(requester);
  const gatewayDeps = createGatewayDeps({
    settings,
    client: functionClient,
    requester,
    logger,
    publisher: new BusUsagePublisher(bus, settings.eventBusName, {
      parking: new DynamoParkedUsageEvents(functionClient, settings.tables.usage),
      logger,
    }),
    metricsSink: keepMetric,
  });
  const deps: GatewayDeps = options.accessLog
    ? { ...gatewayDeps, observer: withAccessLog(gatewayDeps.observer, options.accessLog) }
    : gatewayDeps;
  await recorderProcess?.connect(dynamo.endpoint);
  const recorder: RecorderHost =
    recorderProcess ??
    inProcessRecorder({
      tables: settings.tables,
      // The recorder Lambda's client (functions/recorder/handler.ts), over the stack's JSON client.
      client: functionClient,
      logger,
      keepMetric,
      // Alerts go on the same bus, as on AWS (where a rule sends them to the SNS topic).
      alerts: new EventBridgeAlertPublisher(createBusEventBridgeClient(bus), settings.eventBusName),
    });
  // The recorder's writes wait while a request is before its first byte: they share dynalite.
  const firstBytes = new FirstByteGate();
  // The stack's rule: exactly the gateway's usage events go to the recorder, retried on failure.
  bus.subscribe(
    { source: [USAGE_EVENT_SOURCE], 'detail-type': [USAGE_EVENT_DETAIL_TYPE] },
    options.wrapRecorder ? options.wrapRecorder(recorder.target) : recorder.target,
    { name: 'recorder', maxConcurrency: recorder.maxConcurrentDeliveries, hold: () => firstBytes.quiet() },
  );
  // The stack's 5-minute schedules: OAuth tokens due soon, usage events parked by the gateway and
  // records whose event was lost (the bus dies with the process) left pending. One sweep runs at
  // start too, so a restarted stack finishes what the previous process left; close() awaits it.
  const tokens = createTokenRefresh({ client: functionClient, tables: settings.tables, settings, logger });
  const logFailure = (what: string) => (error: unknown) => logger.error(what, { error: String(error) });
  let recorderRun = recorder.sweepPending().catch(logFailure('pending sweep failed'));
  const scheduleIntervalMs = options.scheduleIntervalMs ?? SCHEDULE_INTERVAL_MS;
  const schedules = setInterval(() => {
    tokens.refreshExpiringTokens().catch(logFailure('token refresh failed'));
    recorderRun = recorder.runScheduled().catch(logFailure('scheduled recorder run failed'));
  }, scheduleIntervalMs || SCHEDULE_INTERVAL_MS).unref();
  if (scheduleIntervalMs === 0) clearInterval(schedules);
  installAwsLambdaShim();
  // middy reads the global `awslambda` when the handler is created, so import after the shim.
  const { createGatewayHandler } = await import('../functions/gateway/create-handler.ts');
  const server = await startFunctionUrlServer({
    handler: createGatewayHandler(() => deps),
    port: options.port ?? 0,
    onArrival: () => firstBytes.enter(),
    ...(options.functionTimeoutMs ? { functionTimeoutMs: options.functionTimeoutMs } : {}),
    logger: {
      info: (message, attributes = {}) => logger.info(message, attributes as never),
      warn: (message, attributes = {}) => logger.warn(message, attributes as never),
      error: (message, attributes = {}) => logger.error(message, attributes as never),
    },
  });
  const admin = options.admin
    ? await startAdminServer({
        client,
        tables: settings.tables,
        port: options.admin.port ?? 0,
        ...(options.admin.token ? { token: options.admin.token } : {}),
        logger: logger.createChild({ serviceName: 'quotagate-admin' }),
      })
    : undefined;
  return {
    url: server.url,
    dynamo,
    client,
    settings,
    deps,
    bus,
    metrics,
    ...(admin ? { admin } : {}),
    async close() {
      clearInterval(schedules);
      await recorderRun;
      await admin?.close();
      await server.close();
      await bus.drain();
      await recorder.close();
      client.destroy();
      requester.destroy();
      await dynamo.close();
    },
  };
}

/** The environment without its unset entries, as a child process gets it. */
function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** An endpoint this stack does not own: closing the stack leaves it running. */
function attachedDynamo(endpoint: string): RunningDynalite {
  return { endpoint, port: Number(new URL(endpoint).port), close: async () => {} };
}
