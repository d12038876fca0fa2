/**
 * The faults the gateway reconciliation test injects around the usage pipeline, each decided
 * once per request id by a seeded generator and counted, so the test can show they happened:
 *
 * - PutEvents entries the bus refuses (`failEntry`): once or twice (the publisher's retry sends
 *   them again) or every time (the publisher parks the event for the recorder's drain);
 * - recorder deliveries that fail (`wrapRecorder`): throwing before recording, throwing after
 *   recording (the redelivery is a duplicate), or recording through their own DynamoDB client
 *   that loses the answer to one write and then works again (`glitch`) or refuses everything
 *   (`dead`, the recorder died mid-record holding its lease).
 *
 * A delivery that keeps failing lands in the bus's dead letters; {@link replayDeadLetters} plays
 * them later, as EventBridge's retries over 24 h (or a DLQ redrive) would.
 *
 * @example
 * ```ts
 * const publisher = publisherFaults(seededRandom(1));
 * const recorder = recorderFaults(seededRandom(2), () => ({ endpoint, tables }));
 * await startE2E({}, { busOptions: { failEntry: publisher.failEntry }, wrapRecorder: recorder.wrap });
 * ```
 */

import type { BusLogger, BusTarget, InProcessEventBus } from '#local/event-bus.ts';
import type { PutEventsEntry } from '#shared/events/eventbridge-client.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import type { TableNames } from '#shared/tables/definitions.ts';
import { type DynamoFault, faultyDocumentClient } from './faulty-dynamo-client.ts';

/** How a recorder's lease outlives its deadline (the recorder's default margin), with room to spare. */
const LEASE_OUTLIVES_DEADLINE_MS = 30_000;
/** Deadline of a delivery that records through a faulty client. */
const FAULTY_DELIVERY_BUDGET_MS = 5_000;
/** The recorder's writes for one record: creation, up to eight effects, applied, marker removals. */
const MAX_WRITES = 16;

export const silentLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** A bus logger that counts instead of printing: injected faults are expected to be logged. */
export function countingBusLogger(): BusLogger & { warnings: number; errors: number } {
  const logger = {
    warnings: 0,
    errors: 0,
    warn: () => {
      logger.warnings += 1;
    },
    error: () => {
      logger.errors += 1;
    },
  };
  return logger;
}

function requestIdOf(detail: unknown): string {
  return String((detail as { requestId?: unknown }).requestId);
}

export function publisherFaults(rand: () => number) {
  const remaining = new Map<string, number>();
  const counts = { refusedEntries: 0, refusedForGood: 0 };
  return {
    counts,
    failEntry(entry: PutEventsEntry): boolean {
      const id = requestIdOf(JSON.parse(entry.Detail ?? '{}'));
      let left = remaining.get(id);
      if (left === undefined) {
        const roll = rand();
        left = roll < 0.015 ? Number.POSITIVE_INFINITY : roll < 0.07 ? 1 + Math.floor(rand() * 2) : 0;
        if (left === Number.POSITIVE_INFINITY) counts.refusedForGood += 1;
      }
      remaining.set(id, left - 1);
      if (left <= 0) return false;
      counts.refusedEntries += 1;
      return true;
    },
  };
}

export interface RecorderWorld {
  endpoint: string;
  tables: Pick<TableNames, 'config' | 'usage'>;
}

export function recorderFaults(rand: () => number, world: () => RecorderWorld) {
  const seen = new Set<string>();
  const counts = { threwBefore: 0, threwAfter: 0, glitch: 0, dead: 0 };

  /** One delivery through its own runtime and faulty client; rethrows what the fault caused. */
  const recordThroughFault = async (envelope: Parameters<BusTarget>[0], fault: DynamoFault) => {
    const { endpoint, tables } = world();
    const client = faultyDocumentClient(endpoint, fault);
    try {
      const runtime = createRecorderRuntime({ tables, client, logger: silentLogger });
      await runtime.record(envelope, Date.now() + FAULTY_DELIVERY_BUDGET_MS);
    } catch (error) {
      counts[fault.afterwards] += 1;
      throw error;
    } finally {
      client.destroy();
    }
  };

  const wrap =
    (target: BusTarget): BusTarget =>
    async (envelope) => {
      const id = requestIdOf(envelope.detail);
      // Only the first delivery of a request is faulted: retries and duplicates are healthy.
      if (seen.has(id)) return target(envelope);
      seen.add(id);
      const roll = rand();
      const failAtWrite = 1 + Math.floor(rand() * MAX_WRITES);
      if (roll < 0.04) {
        counts.threwBefore += 1;
        throw new Error('injected: the recorder failed before recording');
      }
      if (roll < 0.08) {
        await target(envelope);
        counts.threwAfter += 1;
        throw new Error('injected: the recorder failed after recording');
      }
      if (roll < 0.13) return recordThroughFault(envelope, { failAtWrite, afterwards: 'glitch' });
      if (roll < 0.16) return recordThroughFault(envelope, { failAtWrite, afterwards: 'dead' });
      return target(envelope);
    };
  return { counts, wrap };
}

/**
 * Records every dead-lettered delivery again, with a clock past the leases the failed
 * deliveries may still hold: as EventBridge's later retries would find them ended.
 * Returns how many were replayed.
 */
export async function replayDeadLetters(
  bus: InProcessEventBus,
  world: Pick<RecorderWorld, 'tables'> & { client: Parameters<typeof createRecorderRuntime>[0]['client'] },
): Promise<number> {
  const later = FAULTY_DELIVERY_BUDGET_MS + LEASE_OUTLIVES_DEADLINE_MS + 60_000;
  const runtime = createRecorderRuntime({
    tables: world.tables,
    client: world.client,
    logger: silentLogger,
    now: () => Date.now() + later,
  });
  const letters = bus.deadLetters.splice(0);
  for (const letter of letters) await runtime.record(letter.envelope);
  return letters.length;
}
