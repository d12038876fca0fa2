/**
 * Reads of the Usage table for people: a subject's daily aggregates (GET /v1/usage) and the
 * records of one day page by page (the export). Records are found through `gsi1`
 * (`REQS#<day>` / `<startedAt>#<requestId>`), so an export reads exactly the days it covers, in
 * time order, without a Scan; the user/key/account filters are FilterExpressions on those pages.
 *
 * @example
 * ```ts
 * const reader = new DynamoUsageReader(documentClient(), settings.tables.usage);
 * for await (const page of reader.recordPages('2026-11-27', from, to, { userId: 'usr_1' })) …
 * ```
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UsageRecord } from '../../recorder/usage-record.ts';
import { keys, USAGE_LIST } from '../../tables/keys.ts';
import type {
  AggregateDimension,
  DailyAggregate,
  RecordFilter,
  UsageAggregateReader,
  UsageRecordSource,
} from '../usage-reader.ts';
import { queryAll, queryPages } from './query-pages.ts';
import { usageRecordOf } from './usage-ledger.ts';

const AGGREGATE_STORAGE = ['pk', 'sk', 'kind', 'dimension', 'subjectId', 'usageMarks'] as const;

export class DynamoUsageReader implements UsageAggregateReader, UsageRecordSource {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(client: DynamoDBDocumentClient, usageTableName: string) {
    this.#client = client;
    this.#tableName = usageTableName;
  }

  async dailyAggregates(
    dimension: AggregateDimension,
    subjectId: string,
    fromDay: string,
    toDay: string,
  ): Promise<DailyAggregate[]> {
    const { pk } = keys.aggregate(dimension, subjectId, fromDay);
    const items = await queryAll(this.#client, {
      TableName: this.#tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': fromDay, ':to': toDay },
    });
    return items.map((item) => {
      const aggregate: Record<string, unknown> = { ...item };
      for (const attribute of AGGREGATE_STORAGE) delete aggregate[attribute];
      return aggregate as unknown as DailyAggregate;
    });
  }

  async *recordPages(
    day: string,
    fromKey: string,
    toKey: string,
    filter: RecordFilter,
  ): AsyncGenerator<UsageRecord[]> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ':day': USAGE_LIST.recordsOfDay(day),
      ':from': fromKey,
      ':to': toKey,
    };
    const conditions: string[] = [];
    for (const [field, value] of Object.entries(filter)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      conditions.push(`#${field} = :${field}`);
    }
    const pages = queryPages(this.#client, {
      TableName: this.#tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :day AND gsi1sk BETWEEN :from AND :to',
      ...(conditions.length > 0
        ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names }
        : {}),
      ExpressionAttributeValues: values,
    });
    for await (const items of pages) {
      const records = items.map(usageRecordOf);
      if (records.length > 0) yield records;
    }
  }
}
