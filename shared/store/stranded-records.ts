/**
 * Where the pending sweep (`shared/recorder/pending-sweep.ts`) finds the usage records a lost
 * event left `pending` and the `started` records of requests that never ended, and closes the
 * latter as `lost`. The DynamoDB implementation is `shared/store/dynamo/usage-ledger-stranded.ts`.
 *
 * @example
 * ```ts
 * for await (const page of stranded.stranded(Date.now())) page.length;
 * ```
 */
import type { StoredUsageRecord } from './usage-ledger.ts';

/** Where the sweep finds records a lost event left pending, and requests that never ended. */
export interface StrandedUsageRecords {
  /** Records `started` or `pending` whose claim ended by `nowMs` (or that hold none), by page. */
  stranded(nowMs: number): AsyncIterable<StoredUsageRecord[]>;
  /** The same among the records of `day` written before the pending listing existed. */
  legacyStrandedOn(day: string, nowMs: number): AsyncIterable<StoredUsageRecord[]>;
  /**
   * Closes a `started` record as `lost` (see `shared/recorder/request-start.ts`), if it is still
   * the one listed (state `started`, claim `expectedUntil`); false when its event replaced it
   * meanwhile.
   */
  markLost(requestId: string, expectedUntil: number, nowMs: number): Promise<boolean>;
}
