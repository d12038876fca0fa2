/**
 * The recorder wired to DynamoDB, built once per process: the Lambda handler, the local stack's
 * bus subscriber, `quotagate usage replay-parked` and `quotagate usage sweep-pending` all use it. The price book caches overrides
 * for a minute and the ledger remembers key items, so a warm process reads little config.
 *
 * @example
 * ```ts
 * const runtime = createRecorderRuntime({ tables: loadSettings().tables, client: new JsonDocumentClient(dynamoJsonClient()), logger });
 * await runtime.record(envelope, Date.now() + 25_000);
 * await runtime.sweepPending({ deadlineMs: Date.now() + 25_000 }); // records a lost event left pending
 * ```
 */
import { type AlertWatchDeps, republishAlerts, watchCharge } from '../alerts/alert-watch.ts';
import { PriceBook } from '../billing/price-book.ts';
import type { UsageEventDetail, UsageEventEnvelope } from '../events/usage-event.ts';
import type { AlertPublisher } from '../store/alert-store.ts';
import { DynamoAlertStore } from '../store/dynamo/alert-store.ts';
import { DynamoPriceOverrides } from '../store/dynamo/billing-prices.ts';
import type { DocumentClient } from '../store/dynamo/document-client.ts';
import { DynamoUsageLedger } from '../store/dynamo/usage-ledger.ts';
import { DynamoStrandedUsageRecords } from '../store/dynamo/usage-ledger-stranded.ts';
import { DynamoParkedUsageEvents } from '../store/dynamo/usage-parked-events.ts';
import type { ParkedUsageEvents } from '../store/parked-events.ts';
import type { StrandedUsageRecords } from '../store/stranded-records.ts';
import type { TableNames } from '../tables/definitions.ts';
import { type DrainSummary, drainParkedEvents } from './parked-events.ts';
import { type SweepOptions, type SweepSummary, sweepPendingRecords } from './pending-sweep.ts';
import { type RecorderDeps, type RecorderLogger, type RecordOutcome, recordUsage } from './record-usage.ts';

export interface RecorderRuntimeOptions {
  tables: Pick<TableNames, 'config' | 'usage'>;
  /**
   * The JSON client (`JsonDocumentClient`) on Lambda and in the local stack; the CLI's commands
   * give the SDK's, with its credential chain.
   */
  client: DocumentClient;
  logger: RecorderLogger;
  now?: () => number;
  /**
   * Told every result, drained parked events included; the Lambda emits `RecorderLag` from it.
   * Must not throw: the record is already written when it runs.
   */
  onRecorded?: (result: RecordOutcome) => void;
  /** Days after which applied records expire from the table; `undefined` keeps them. */
  usageRecordTtlDays?: number;
  /**
   * Where alerts go (`shared/alerts/`): with it (and the State table, which keeps the alert
   * records) every charge is watched for balance, quota and budget crossings.
   */
  alerts?: { publisher: AlertPublisher; stateTable: string };
}

export interface RecorderRuntime {
  deps: RecorderDeps;
  parked: ParkedUsageEvents;
  /** Records one event (envelope or detail); `deadlineMs` bounds this delivery's writes. */
  record(event: UsageEventEnvelope | UsageEventDetail | unknown, deadlineMs?: number): Promise<RecordOutcome>;
  /** Records parked events until the parking is empty, the batch ends or the deadline nears. */
  drainParked(deadlineMs?: number): Promise<DrainSummary>;
  /**
   * Finishes the records lost events left pending (see `pending-sweep.ts`), never waiting for a
   * record a live delivery holds; `deadlineMs` bounds the sweep and each record's writes.
   */
  sweepPending(options?: Pick<SweepOptions, 'legacyDays' | 'deadlineMs'>): Promise<SweepSummary>;
  /**
   * The scheduled run, the same on Lambda and in the local stack: parked events first (recording
   * them may finish records the sweep would otherwise take), alerts the bus never accepted, then
   * the sweep of every record still pending. Returns the drain's summary; the sweep logs its own.
   */
  runScheduled(deadlineMs?: number): Promise<DrainSummary>;
}

export function createRecorderRuntime(options: RecorderRuntimeOptions): RecorderRuntime {
  const now = options.now ?? Date.now;
  const deps: RecorderDeps = {
    ledger: new DynamoUsageLedger(options.client, options.tables, {
      ...(options.usageRecordTtlDays !== undefined ? { recordTtlDays: options.usageRecordTtlDays } : {}),
    }),
    prices: new PriceBook(new DynamoPriceOverrides(options.client, options.tables.config), { now }),
    logger: options.logger,
    now,
  };
  const alertWatch: AlertWatchDeps | undefined = options.alerts && {
    store: new DynamoAlertStore(
      options.client,
      { ...options.tables, state: options.alerts.stateTable },
      { now },
    ),
    publisher: options.alerts.publisher,
    logger: options.logger,
    now,
  };
  if (alertWatch) {
    deps.watchCharge = (record, apiKeyHash, charged) => watchCharge(record, apiKeyHash, alertWatch, charged);
  }
  const parked = new DynamoParkedUsageEvents(options.client, options.tables.usage, now);
  const stranded: StrandedUsageRecords = new DynamoStrandedUsageRecords(options.client, options.tables.usage);
  const record = async (event: unknown, deadlineMs?: number, overrides: Partial<RecorderDeps> = {}) => {
    const result = await recordUsage(event, {
      ...deps,
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
      ...overrides,
    });
    options.onRecorded?.(result);
    return result;
  };
  const drainParked = (deadlineMs?: number) =>
    drainParkedEvents(parked, (detail) => record(detail, deadlineMs), options.logger, {
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
      now,
    });
  const sweepPending: RecorderRuntime['sweepPending'] = (sweep = {}) =>
    // maxWaitMs 0: a record held by a live delivery is that delivery's to finish.
    sweepPendingRecords(
      stranded,
      (detail) => record(detail, sweep.deadlineMs, { maxWaitMs: 0 }),
      options.logger,
      {
        ...sweep,
        now,
      },
    );
  return {
    deps,
    parked,
    record,
    drainParked,
    sweepPending,
    async runScheduled(deadlineMs) {
      const drained = await drainParked(deadlineMs);
      // A failed republish waits for the next run; it must not hold up the sweep.
      if (alertWatch) {
        await republishAlerts(alertWatch).catch((error: unknown) =>
          options.logger.error('Alert republish failed', { error: String(error) }),
        );
      }
      await sweepPending(deadlineMs === undefined ? {} : { deadlineMs });
      return drained;
    },
  };
}
