/**
 * The sweep: finishes usage records left `pending` whose event is gone, and closes as `lost`
 * the `started` records of requests the gateway never finished (see `request-start.ts`). A record normally
 * reaches `applied` through its own event or a redelivery of it; but when the event itself is
 * lost (the local bus died with its process, or on AWS it went to the dead-letter queue and was
 * never redriven) the record would stay pending, its request served and never charged.
 *
 * The sweep lists the records not yet applied whose claim has ended — from a listing that holds
 * only those (the Usage table's sparse `pending` index), so a run costs O(records in flight),
 * whatever the traffic and however old a stranded record is — rebuilds each pending one's usage
 * event from the record (`usageEventOfRecord`; every field the event carries is on the record,
 * the Codex headers in its pending context) and hands it to the normal `recordUsage` path.
 * Exactly-once therefore rests on the same construction as any redelivery: the sweep takes the
 * record over only with a conditional write on an ended claim, the markers make effects that
 * already landed no-ops, and a record a live delivery holds is skipped (the sweep never waits).
 * The stored amounts are applied as they are; nothing is priced again.
 *
 * Records written before that listing existed are swept from their day listings when asked
 * (`legacyDays`, `quotagate usage sweep-pending --days n`).
 *
 * It runs on the recorder's 5-minute schedule, in the local stack (at start and on its schedule)
 * and from `quotagate usage sweep-pending`.
 *
 * @example
 * ```ts
 * const summary = await sweepPendingRecords(stranded, (detail) => recordUsage(detail, deps), logger);
 * summary.completed; // records this sweep finished
 * ```
 */
import type { UsageEventDetail } from '../events/usage-event.ts';
import { usageEventOfRecord } from '../events/usage-event-builders.ts';
import type { StrandedUsageRecords } from '../store/stranded-records.ts';
import type { StoredUsageRecord } from '../store/usage-ledger.ts';
import {
  ClaimExpiredError,
  RecordBusyError,
  type RecorderLogger,
  type RecordOutcome,
} from './record-usage.ts';

export interface SweepSummary {
  /** Stranded records found. */
  found: number;
  /** Finished by this sweep. */
  completed: number;
  /** Applied or taken over by a live delivery since they were listed: left to it. */
  skipped: number;
  /** Could not be finished (logged); the next sweep tries again. */
  failed: number;
  /** `started` records whose request never ended (the gateway died), closed as `lost`. */
  lost: number;
  /** True when the deadline stopped the sweep before it went through every day. */
  more: boolean;
}

export interface SweepOptions {
  /**
   * Also sweep the day listings of today and this many days before it, for records written
   * before the pending listing existed; default 0 (none).
   */
  legacyDays?: number;
  /** Epoch ms after which no further record is started. */
  deadlineMs?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;

/** The UTC days to sweep, oldest first. */
export function sweepDays(nowMs: number, days: number): string[] {
  if (!Number.isSafeInteger(days) || days < 0) throw new RangeError(`days must be 0 or more, got ${days}`);
  const listed: string[] = [];
  for (let back = days; back >= 0; back -= 1) {
    listed.push(new Date(nowMs - back * DAY_MS).toISOString().slice(0, 10));
  }
  return listed;
}

/**
 * Finishes every stranded record of the swept days through `record`, which must be the normal
 * recorder path and should not wait for a record another delivery holds (`maxWaitMs: 0`).
 */
export async function sweepPendingRecords(
  stranded: StrandedUsageRecords,
  record: (detail: UsageEventDetail) => Promise<RecordOutcome>,
  logger: RecorderLogger,
  options: SweepOptions = {},
): Promise<SweepSummary> {
  const now = options.now ?? Date.now;
  const summary: SweepSummary = { found: 0, completed: 0, skipped: 0, failed: 0, lost: 0, more: false };
  const pastDeadline = () => options.deadlineMs !== undefined && now() >= options.deadlineMs;
  const startedAt = now();
  const listings: AsyncIterable<StoredUsageRecord[]>[] = [
    ...(options.legacyDays === undefined
      ? []
      : sweepDays(startedAt, options.legacyDays).map((day) => stranded.legacyStrandedOn(day, startedAt))),
    stranded.stranded(startedAt),
  ];
  sweep: for (const listing of listings) {
    for await (const page of listing) {
      for (const stored of page) {
        if (pastDeadline()) {
          summary.more = true;
          break sweep;
        }
        summary.found += 1;
        const outcome =
          stored.record.state === 'started'
            ? await close(stored, stranded, now(), logger)
            : await finish(stored, record, logger);
        if (outcome === 'deadline') {
          summary.more = true;
          break sweep;
        }
        summary[outcome] += 1;
      }
    }
  }
  if (summary.found > 0) logger.info('Swept stranded usage records', { ...summary });
  return summary;
}

/** A request the gateway never finished: recorded as `lost`, with what its start told. */
async function close(
  stored: StoredUsageRecord,
  stranded: StrandedUsageRecords,
  nowMs: number,
  logger: RecorderLogger,
): Promise<'lost' | 'skipped' | 'failed'> {
  const { requestId, userId, apiKeyId, startedAt, modelRequested } = stored.record;
  try {
    if (!(await stranded.markLost(requestId, stored.claim?.until ?? 0, nowMs))) return 'skipped';
    logger.warn('Recorded a lost request: the gateway stopped before it ended, nothing billed', {
      requestId,
      userId,
      apiKeyId,
      modelRequested,
      startedAt,
    });
    return 'lost';
  } catch (error) {
    logger.error('A lost request could not be recorded', {
      requestId,
      error: error instanceof Error ? error.message : String(error),
    });
    return 'failed';
  }
}

async function finish(
  stored: StoredUsageRecord,
  record: (detail: UsageEventDetail) => Promise<RecordOutcome>,
  logger: RecorderLogger,
): Promise<'completed' | 'skipped' | 'failed' | 'deadline'> {
  const { requestId, recordedAt, billedNano } = stored.record;
  try {
    const { outcome } = await record(usageEventOfRecord(stored.record, stored.pendingContext));
    if (outcome === 'duplicate') return 'skipped';
    // Its event was lost: worth a warning, since something upstream of the recorder went wrong.
    logger.warn('Finished a stranded usage record', { requestId, recordedAt, billedNano });
    return 'completed';
  } catch (error) {
    if (error instanceof RecordBusyError) return 'skipped';
    if (error instanceof ClaimExpiredError) return 'deadline';
    logger.error('Stranded usage record could not be finished', {
      requestId,
      recordedAt,
      error: error instanceof Error ? error.message : String(error),
    });
    return 'failed';
  }
}
