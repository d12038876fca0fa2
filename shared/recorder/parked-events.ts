/**
 * Usage events the gateway could not hand to EventBridge, even after its retries. They are
 * parked durably (a `PARKED#<requestId>` item in the Usage table) so that no served request goes
 * unrecorded, and drained later by recording them directly: the recorder is exactly-once, so a
 * parked event that EventBridge also delivered in the end is simply found already recorded.
 *
 * Draining runs on the recorder's schedule (an EventBridge Scheduler/rule "Scheduled Event")
 * and from `quotagate usage replay-parked`.
 *
 * @example
 * ```ts
 * const summary = await drainParkedEvents(parked, (detail) => recordUsage(detail, deps), logger);
 * summary.recorded; // events recorded and removed from the parking
 * ```
 */
import { InvalidUsageEventError, type UsageEventDetail } from '../events/usage-event.ts';
import type { ParkedUsageEvents } from '../store/parked-events.ts';
import type { RecorderLogger } from './record-usage.ts';

export interface DrainSummary {
  recorded: number;
  failed: number;
  /** True when the batch limit or the deadline stopped the drain before the parking was empty. */
  more: boolean;
}

export interface DrainOptions {
  /** Events read per drain; default 100. */
  limit?: number;
  /** Epoch ms after which no further event is started. */
  deadlineMs?: number;
  now?: () => number;
}

/** Records parked events one by one and removes each once it is recorded. */
export async function drainParkedEvents(
  parked: ParkedUsageEvents,
  record: (detail: UsageEventDetail) => Promise<unknown>,
  logger: RecorderLogger,
  options: DrainOptions = {},
): Promise<DrainSummary> {
  const limit = options.limit ?? 100;
  const now = options.now ?? Date.now;
  const events = await parked.list(limit);
  const summary: DrainSummary = { recorded: 0, failed: 0, more: events.length >= limit };
  for (const event of events) {
    if (options.deadlineMs !== undefined && now() >= options.deadlineMs) {
      summary.more = true;
      break;
    }
    try {
      await record(event.detail);
      await parked.remove(event.requestId);
      summary.recorded += 1;
    } catch (error) {
      summary.failed += 1;
      // An invalid event stays parked for a person to look at; anything else is retried next time.
      const log = error instanceof InvalidUsageEventError ? logger.error : logger.warn;
      log.call(logger, 'Parked usage event could not be recorded', {
        requestId: event.requestId,
        parkedAt: event.parkedAt,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (summary.recorded > 0 || summary.failed > 0) logger.info('Drained parked usage events', { ...summary });
  return summary;
}
