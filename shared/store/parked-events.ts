/**
 * Usage events the gateway could not hand to EventBridge, even after its retries, kept durably
 * until the recorder drains them (`shared/recorder/parked-events.ts`), so that no served request
 * goes unrecorded. The DynamoDB implementation is `shared/store/dynamo/usage-parked-events.ts`.
 *
 * @example
 * ```ts
 * await parked.park(detail, 'ThrottlingException');
 * for (const event of await parked.list(100)) await parked.remove(event.requestId);
 * ```
 */
import type { UsageEventDetail } from '../events/usage-event.ts';

export interface ParkedUsageEvent {
  requestId: string;
  /** ISO time it was parked. */
  parkedAt: string;
  /** Why publishing failed (error name or EventBridge error code); never a secret. */
  reason: string;
  detail: UsageEventDetail;
}

export interface ParkedUsageEvents {
  /** Stores the event durably; parking the same request again replaces the earlier copy. */
  park(detail: UsageEventDetail, reason: string): Promise<void>;
  /** Oldest first, at most `limit`. */
  list(limit: number): Promise<ParkedUsageEvent[]>;
  remove(requestId: string): Promise<void>;
}
