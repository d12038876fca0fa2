/**
 * The usage records of one user, read the way the admin API and the export read them (every
 * shard of a day, through the listing index), for tests that count what a run recorded.
 *
 * @example
 * ```ts
 * const since = Date.now();
 * … requests …
 * const records = await recordsOfUserSince(client, tables, userId, since);
 * ```
 */

import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import type { TableNames } from '#shared/tables/definitions.ts';
import { utcDaysSince } from './utc-days.ts';

/**
 * Every record of `userId` on each UTC day from the day of `sinceMs` to today: a run that
 * crossed midnight has records on both days.
 */
export async function recordsOfUserSince(
  client: SdkDocumentClient,
  tables: TableNames,
  userId: string,
  sinceMs: number,
): Promise<UsageRecord[]> {
  const reader = new DynamoUsageReader(client, tables);
  const records: UsageRecord[] = [];
  for (const day of utcDaysSince(sinceMs)) {
    for await (const page of reader.recordPages(day, day, `${day}~`, { userId })) records.push(...page);
  }
  return records;
}
