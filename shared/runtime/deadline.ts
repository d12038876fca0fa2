/**
 * The one place that turns Lambda's remaining time into a deadline. Every scheduled or
 * event-driven handler stops its own work `marginMs` before Lambda's timeout, so no write is in
 * flight when the runtime freezes or kills the instance.
 *
 * @example
 * ```ts
 * const deadlineMs = deadlineFrom(context, RECORDER_MARGIN_MS);
 * await recorder.runScheduled(deadlineMs);
 * ```
 */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/** Epoch ms at which work must stop: Lambda's own deadline less `marginMs` (never negative time). */
export function deadlineFrom(context: RemainingTime, marginMs = 0, now: number = Date.now()): number {
  return now + Math.max(0, context.getRemainingTimeInMillis() - marginMs);
}
