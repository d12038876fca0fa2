/**
 * Reads of the Usage table for people: a subject's daily aggregates (GET /v1/usage, the admin's
 * usage by day) and the records of one day page by page (the export).
 *
 * Aggregates: a key's are its day items; a user's are the sum of its keys'; a model's are the
 * sum of its {@link USAGE_SHARDS} shards (one item per shard, day and account); an account's are
 * the same items listed through the `listing` index. Account and model day items written before
 * that fold (`AGG#account#…`, `AGG#model#…` / `<day>`) are added in, so old days read as they did.
 *
 * Records are found through the `listing` index: every shard of the day (`REQS#<day>#<shard>`)
 * plus the unsharded `REQS#<day>` older records sit in, merged by `<startedAt>#<requestId>`, so an
 * export reads exactly the days it covers, in time order, without a Scan. The index names the
 * items and copies only {@link USAGE_LISTING_ATTRIBUTES} (a record's user and key): the user and
 * key filters are FilterExpressions on the index, the matching entries are read whole
 * ({@link readListedItems}, one consistent BatchGetItem per merged page of 100), and the account
 * filter applies to those items.
 *
 * @example
 * ```ts
 * const reader = new DynamoUsageReader(documentClient(), settings.tables);
 * for await (const page of reader.recordPages('2026-11-27', from, to, { userId: 'usr_1' })) …
 * ```
 */

import type { UsageRecord } from '../../recorder/usage-record.ts';
import { type TableNames, USAGE_LIST_INDEX, USAGE_LISTING_ATTRIBUTES } from '../../tables/definitions.ts';
import { keys, LIST, USAGE_LIST, USAGE_SHARDS } from '../../tables/keys.ts';
import { sumByDay } from '../../usage/report.ts';
import type {
  AggregateDimension,
  DailyAggregate,
  RecordFilter,
  UsageAggregateReader,
  UsageRecordSource,
} from '../usage-reader.ts';
import { listingQuery } from './config-items.ts';
import type { DocumentClient } from './document-client.ts';
import type { StoredItem } from './item-forms.ts';
import { readListedItems } from './listed-items.ts';
import { queryAll, queryPages } from './query-pages.ts';
import { mergeSortedPages } from './sorted-merge.ts';
import { usageRecordOf } from './usage-record-item.ts';

/** After every character of a model name, account id or shard in a sort key. */
const AFTER = '#\uffff';

export class DynamoUsageReader implements UsageAggregateReader, UsageRecordSource {
  readonly #client: DocumentClient;
  readonly #tables: Pick<TableNames, 'config' | 'usage'>;

  /** The Config table is read for a user's usage: the keys whose aggregates add up to it. */
  constructor(client: DocumentClient, tables: Pick<TableNames, 'config' | 'usage'>) {
    this.#client = client;
    this.#tables = tables;
  }

  async dailyAggregates(
    dimension: AggregateDimension,
    subjectId: string,
    fromDay: string,
    toDay: string,
  ): Promise<DailyAggregate[]> {
    // Every aggregate item names its day.
    const dayOf = (item: StoredItem) => String(item.day);
    switch (dimension) {
      case 'key':
        return sumByDay(await this.#legacy('key', subjectId, fromDay, toDay), dayOf);
      case 'user': {
        // Every request is counted under its key, and a key is never deleted (only revoked), so
        // the user's keys add up to the user, days before the fold of aggregates included.
        const keyIds = await this.#keysOf(subjectId);
        const perKey = await Promise.all(keyIds.map((id) => this.#legacy('key', id, fromDay, toDay)));
        return sumByDay(perKey.flat(), dayOf);
      }
      case 'model': {
        const shards = await Promise.all(
          Array.from({ length: USAGE_SHARDS }, (_, shard) =>
            this.#query({
              KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: {
                ':pk': keys.modelAccountAggregate(subjectId, shard, fromDay, '').pk,
                ':from': fromDay,
                ':to': `${toDay}${AFTER}`,
              },
            }),
          ),
        );
        return sumByDay(
          [...shards.flat(), ...(await this.#legacy('model', subjectId, fromDay, toDay))],
          dayOf,
        );
      }
      case 'account': {
        const entries = await this.#query({
          IndexName: USAGE_LIST_INDEX,
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': USAGE_LIST.modelAggregatesOfAccount(subjectId),
            ':from': fromDay,
            ':to': `${toDay}${AFTER}`,
          },
        });
        const listed = await readListedItems(this.#client, this.#tables.usage, entries);
        return sumByDay([...listed, ...(await this.#legacy('account', subjectId, fromDay, toDay))], dayOf);
      }
    }
  }

  /**
   * Day items `AGG#<dimension>#<id>` / `<day>`: the key aggregates the recorder keeps, and the
   * account and model ones deployments wrote before those were folded into one item per shard.
   */
  #legacy(dimension: AggregateDimension, subjectId: string, fromDay: string, toDay: string) {
    return this.#query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.aggregate(dimension, subjectId, fromDay).pk,
        ':from': fromDay,
        ':to': toDay,
      },
    });
  }

  #query(input: Omit<Parameters<typeof queryAll>[1], 'TableName'>): Promise<StoredItem[]> {
    return queryAll(this.#client, { ...input, TableName: this.#tables.usage });
  }

  async #keysOf(userId: string): Promise<string[]> {
    const items = await queryAll(this.#client, {
      TableName: this.#tables.config,
      ...listingQuery(LIST.keysOf(userId), { projection: 'gsi1sk' }),
    });
    return items.map((item) => item.gsi1sk as string);
  }

  async *recordPages(
    day: string,
    fromKey: string,
    toKey: string,
    filter: RecordFilter,
  ): AsyncGenerator<UsageRecord[]> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':from': fromKey, ':to': toKey };
    const conditions: string[] = [];
    // Fields the index copies filter the index; the others, the records read whole.
    const onItems: [string, unknown][] = [];
    for (const [field, value] of Object.entries(filter)) {
      if (value === undefined) continue;
      if (!(USAGE_LISTING_ATTRIBUTES as readonly string[]).includes(field)) {
        onItems.push([field, value]);
        continue;
      }
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      conditions.push(`#${field} = :${field}`);
    }
    const listing = (partition: string) =>
      queryPages(this.#client, {
        TableName: this.#tables.usage,
        IndexName: USAGE_LIST_INDEX,
        KeyConditionExpression: 'gsi1pk = :day AND gsi1sk BETWEEN :from AND :to',
        ...(conditions.length > 0
          ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names }
          : {}),
        ExpressionAttributeValues: { ...values, ':day': partition },
      });
    // Every shard of the day, and the one listing records written before sharding sit in.
    const partitions = [
      ...Array.from({ length: USAGE_SHARDS }, (_, shard) => USAGE_LIST.recordsOfDay(day, shard)),
      USAGE_LIST.legacyRecordsOfDay(day),
    ];
    const pages = mergeSortedPages(partitions.map(listing), (item) => item.gsi1sk as string);
    for await (const entries of pages) {
      const items = await readListedItems(this.#client, this.#tables.usage, entries);
      const records = items.filter((item) => onItems.every(([field, value]) => item[field] === value));
      if (records.length > 0) yield records.map(usageRecordOf);
    }
  }
}
