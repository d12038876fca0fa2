/**
 * {@link StrandedUsageRecords} on DynamoDB: the records still `started` or `pending` whose claim
 * has ended, read through the Usage table's sparse `pending` index. Only records not yet applied
 * carry its keys (`pendingPk` / `pendingSk`, removed when a record is applied or lost), in
 * {@link USAGE_SHARDS} shards, and it projects just `state` and `leaseUntil`: a sweep reads one
 * small entry per record in flight (O(pending), not O(traffic)), filters on the claim there, and
 * re-reads only the records it will finish, strongly consistently, from the table (BatchGetItem,
 * 100 a request).
 *
 * Records written before the index existed are not in it; {@link legacyStrandedOn} reads them
 * the old way, from one day's unsharded day listing (`REQS#<day>` in the `listing` index), whose
 * entries hold no state: every record it names is read whole, strongly consistently, and kept if
 * stranded (an operator's one-off, `sweep-pending --days`: one read unit per record of the day).
 *
 * The index is eventually consistent, so a record it shows as stranded may have been finished or
 * taken over meanwhile; that is harmless, since the re-read drops what is no longer stranded and
 * the sweep goes through `recordUsage`, which only ever takes a record over with a conditional
 * claim.
 *
 * @example
 * ```ts
 * const stranded = new DynamoStrandedUsageRecords(documentClient(), settings.tables.usage);
 * for await (const page of stranded.stranded(Date.now())) …
 * ```
 */

import { lostRecordFields } from '../../recorder/request-start.ts';
import { USAGE_LIST_INDEX } from '../../tables/definitions.ts';
import { keys, PENDING_INDEX_KEYS, USAGE_LIST, USAGE_SHARDS } from '../../tables/keys.ts';
import type { StrandedUsageRecords } from '../stranded-records.ts';
import type { StoredUsageRecord } from '../usage-ledger.ts';
import { UpdateCommand } from './commands.ts';
import { conditionHeld } from './condition-failure.ts';
import { readListedItems } from './listed-items.ts';
import { queryPages } from './query-pages.ts';
import { DynamoTableStore } from './table-store.ts';
import { storedUsageRecordOf } from './usage-record-item.ts';

// A pending record without a claim was given up after an error: nobody holds it.
const STRANDED =
  '(#state = :pending OR #state = :started) AND (attribute_not_exists(#until) OR #until <= :now)';

function isStranded(stored: StoredUsageRecord, nowMs: number): boolean {
  const { state } = stored.record;
  return (state === 'pending' || state === 'started') && (stored.claim?.until ?? 0) <= nowMs;
}

export class DynamoStrandedUsageRecords extends DynamoTableStore implements StrandedUsageRecords {
  async *stranded(nowMs: number): AsyncGenerator<StoredUsageRecord[]> {
    for (let shard = 0; shard < USAGE_SHARDS; shard += 1) {
      const pages = queryPages(this.client, {
        TableName: this.table,
        IndexName: 'pending',
        KeyConditionExpression: '#pk = :shard',
        FilterExpression: STRANDED,
        ExpressionAttributeNames: { '#pk': PENDING_INDEX_KEYS[0], '#state': 'state', '#until': 'leaseUntil' },
        ExpressionAttributeValues: {
          ':shard': USAGE_LIST.pending(shard),
          ':pending': 'pending',
          ':started': 'started',
          ':now': nowMs,
        },
      });
      for await (const entries of pages) {
        const page = await this.#strandedOf(entries, nowMs);
        if (page.length > 0) yield page;
      }
    }
  }

  async *legacyStrandedOn(day: string, nowMs: number): AsyncGenerator<StoredUsageRecord[]> {
    const pages = queryPages(this.client, {
      TableName: this.table,
      IndexName: USAGE_LIST_INDEX,
      KeyConditionExpression: 'gsi1pk = :day',
      ExpressionAttributeValues: { ':day': USAGE_LIST.legacyRecordsOfDay(day) },
    });
    for await (const entries of pages) {
      const page = await this.#strandedOf(entries, nowMs);
      if (page.length > 0) yield page;
    }
  }

  /** The listed records read whole (strongly consistent) that are still stranded now. */
  async #strandedOf(entries: Record<string, unknown>[], nowMs: number): Promise<StoredUsageRecord[]> {
    const items = await readListedItems(this.client, this.table, entries);
    return items.map(storedUsageRecordOf).filter((stored) => isStranded(stored, nowMs));
  }

  async markLost(requestId: string, expectedUntil: number, nowMs: number): Promise<boolean> {
    const { state, ...fields } = lostRecordFields(nowMs);
    const names: Record<string, string> = {
      '#state': 'state',
      '#until': 'leaseUntil',
      '#owner': 'leaseOwner',
      '#pendingPk': PENDING_INDEX_KEYS[0],
      '#pendingSk': PENDING_INDEX_KEYS[1],
    };
    const values: Record<string, unknown> = {
      ':started': 'started',
      ':expected': expectedUntil,
      ':lost': state,
    };
    const sets = Object.entries(fields).map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    return conditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.usageRecord(requestId),
          UpdateExpression: `SET #state = :lost, ${sets.join(', ')} REMOVE #until, #owner, #pendingPk, #pendingSk`,
          // Only the started record the sweep listed: not one its event replaced meanwhile.
          ConditionExpression: '#state = :started AND #until = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
