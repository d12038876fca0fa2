/**
 * Where the local stack's recorder runs: in the stack's own process (tests: quick to start, and
 * their fault hooks reach it) or in a child process of its own (`npm start`: its DynamoDB writes,
 * about ten per request, then cost the gateway's event loop nothing). Either way the bus
 * delivers to {@link RecorderHost.target} with its retries and dead letters, and the schedules call
 * the same runtime (`createRecorderRuntime`) the recorder Lambda uses. The child runs at the lowest
 * OS priority (`RECORDER_PRIORITY`), so that its work waits for the gateway's rather than slow it.
 *
 * @example
 * ```ts
 * const recorder = await startRecorderProcess({ endpoint, env, logLevel: 'WARN', keepMetric });
 * bus.subscribe(pattern, recorder.target, { name: 'recorder' });
 * await recorder.close();
 * ```
 */
import { constants, setPriority } from 'node:os';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import type { PutEventsEntry } from '#shared/events/eventbridge-client.ts';
import { createRecorderMetrics } from '#shared/observability/recorder-metrics.ts';
import type { RecorderLogger } from '#shared/recorder/record-usage.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import type { AlertPublisher } from '#shared/store/alert-store.ts';
import type { DocumentClient } from '#shared/store/dynamo/document-client.ts';
import type { TableNames } from '#shared/tables/definitions.ts';
import { forkChild } from './child-process.ts';
import type { BusTarget, InProcessEventBus } from './event-bus.ts';

/** The recorder Lambda's timeout in the stack, less its safety margin. */
export const RECORDER_DEADLINE_MS = 25_000;

/**
 * The OS scheduling priority of the recorder's child process: the lowest. On AWS the recorder is
 * another function on other machines, and EventBridge invokes it asynchronously, after the
 * gateway has answered; here it shares the cores with the gateway, dynalite, and whatever else
 * the machine runs. Its work is never what a client waits for (an event may be recorded late,
 * never lost: the bus keeps it until the recorder answers, and the pending sweep finishes a
 * record whose event died with the stack), so it gets a core only when the rest leave one free,
 * and the DynamoDB writes it sends queue in dynalite only as fast as it runs.
 */
export const RECORDER_PRIORITY = constants.priority.PRIORITY_LOW;

/**
 * Events the recorder's child process records at once; the bus keeps the rest until one ends.
 * A delivery's deadline (`RECORDER_DEADLINE_MS`) starts when the child receives it, as a
 * Lambda invocation's does when it starts, and the child shares its cores with everything else:
 * given the whole backlog of a burst at once (hundreds of events, at the lowest priority) it
 * would work on all of them together, past their deadlines, into retries and dead letters. Eight
 * keep the child and dynalite busy (a record is a chain of about ten writes, each waiting for its
 * answer).
 */
export const RECORDER_CONCURRENCY = 8;

export interface RecorderHost {
  /** The bus target of the stack's rule: records one usage event, throws to be retried. */
  target: BusTarget;
  /** Finishes records left pending by events that were lost (the start-up sweep). */
  sweepPending(): Promise<void>;
  /** The five-minute schedule: parked events, then the sweep of the last hour. */
  runScheduled(): Promise<void>;
  close(): Promise<void>;
  /** Deliveries the bus may run at once (`SubscribeOptions.maxConcurrency`); none: unbounded. */
  maxConcurrentDeliveries?: number;
}

export function inProcessRecorder(options: {
  tables: TableNames;
  client: DocumentClient;
  logger: RecorderLogger;
  keepMetric: (emf: EmfOutput) => void;
  /** Where the recorder's alerts go: the stack's bus. */
  alerts: AlertPublisher;
}): RecorderHost {
  const recorder = createRecorderRuntime({
    tables: options.tables,
    client: options.client,
    logger: options.logger,
    onRecorded: createRecorderMetrics({ sink: options.keepMetric }).recorded,
    alerts: { publisher: options.alerts, stateTable: options.tables.state },
  });
  return {
    target: async (envelope) => {
      await recorder.record(envelope, Date.now() + RECORDER_DEADLINE_MS);
    },
    sweepPending: () => recorder.sweepPending().then(() => {}),
    runScheduled: () => recorder.runScheduled().then(() => {}),
    close: async () => {},
  };
}

/**
 * The recorder in recorder-process.ts. It gets the stack's settings through `env` and its
 * DynamoDB endpoint once known (`connect`), so the process can start beside dynalite; its metric
 * documents come back to `keepMetric` as the in-process recorder's do, and the alerts it puts on
 * the bus reach `bus` (its PutEvents answered here, refusals included).
 */
export async function startRecorderProcess(options: {
  env: Record<string, string>;
  logLevel: string;
  keepMetric: (emf: EmfOutput) => void;
  bus: Pick<InProcessEventBus, 'putEvents'>;
  onUnexpectedExit?: (code: number | null, signal: string | null) => void;
}): Promise<RecorderHost & { connect(endpoint: string): Promise<void> }> {
  const child = await forkChild('recorder', new URL('./recorder-process.ts', import.meta.url), {
    env: { ...options.env, POWERTOOLS_LOG_LEVEL: options.logLevel },
    ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
    answers: { putEvents: (entries) => options.bus.putEvents(entries as PutEventsEntry[]) },
  });
  try {
    setPriority(child.process.pid as number, RECORDER_PRIORITY);
  } catch {
    // A system that refuses leaves the recorder at the stack's priority: slower answers under
    // load, the same records.
  }
  child.onNotice((notice) => {
    if (notice.type === 'metric') options.keepMetric(notice.payload as EmfOutput);
  });
  return {
    connect: (endpoint) => child.call('connect', endpoint),
    target: (envelope) => child.call('record', envelope),
    sweepPending: () => child.call('sweepPending'),
    runScheduled: () => child.call('runScheduled'),
    close: () => child.stop(),
    maxConcurrentDeliveries: RECORDER_CONCURRENCY,
  };
}
