/**
 * Reads of the Usage table for people: a subject's daily aggregates (GET /v1/usage, the admin's
 * usage by day) and one day's usage records page by page (exports, listings and summaries). The
 * DynamoDB implementation is `shared/store/dynamo/usage-reader.ts`.
 *
 * @example
 * ```ts
 * const days = await reader.dailyAggregates('key', 'key_1', '2026-12-01', '2026-12-03');
 * for await (const page of reader.recordPages('2026-12-03', fromKey, toKey, { userId: 'usr_1' })) page.length;
 * ```
 */
import type { AggregateCounters, UsageRecord } from '../recorder/usage-record.ts';

/** Narrows records to a user, a key or an account. */
export interface RecordFilter {
  userId?: string;
  apiKeyId?: string;
  accountId?: string;
}

/** Where the records come from: one day's records between two listing sort keys (`gsi1sk`), in pages. */
export interface UsageRecordSource {
  recordPages(
    day: string,
    fromKey: string,
    toKey: string,
    filter: RecordFilter,
  ): AsyncIterable<UsageRecord[]>;
}

/** What a daily aggregate is kept per. */
export type AggregateDimension = 'user' | 'key' | 'account' | 'model';

/** One subject's counters of one UTC day (`yyyy-mm-dd`). */
export interface DailyAggregate extends AggregateCounters {
  day: string;
}

/** The daily aggregates the recorder keeps, read back per subject. */
export interface UsageAggregateReader {
  /** The subject's daily aggregates with `fromDay <= day <= toDay` (days as `yyyy-mm-dd`). */
  dailyAggregates(
    dimension: AggregateDimension,
    subjectId: string,
    fromDay: string,
    toDay: string,
  ): Promise<DailyAggregate[]>;
}
