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
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageRecord } from '../../recorder/usage-record.ts';
import { keys, USAGE_LIST } from '../../tables/keys.ts';
import type { RecordFilter, UsageRecordSource } from '../../usage/export.ts';
import type { AggregateDimension, DailyAggregate, UsageAggregateReader } from '../../usage/report.ts';
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
    const aggregates: DailyAggregate[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': fromDay, ':to': toDay },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const aggregate: Record<string, unknown> = { ...item };
        for (const attribute of AGGREGATE_STORAGE) delete aggregate[attribute];
        aggregates.push(aggregate as unknown as DailyAggregate);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return aggregates;
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
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :day AND gsi1sk BETWEEN :from AND :to',
          ...(conditions.length > 0
            ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names }
            : {}),
          ExpressionAttributeValues: values,
          ExclusiveStartKey: startKey,
        }),
      );
      const records = (page.Items ?? []).map(usageRecordOf);
      if (records.length > 0) yield records;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}
