/**
 * {@link OpsErrorLog} in the State table. A record is one item under
 * `OPS#<day>#<shard>` / `<iso time>#<requestId>` with `expiresAt` 30 days on, so DynamoDB's TTL
 * removes it (lazily; reads filter nothing on it, an expired record is still a true record).
 *
 * The shard (0–3, from the request id) spreads an error storm over four partitions; a query
 * reads every shard of every day in its range, newest day first, in parallel per day, and
 * merges. Filters are FilterExpressions, so a narrow filter over a busy day reads the day's
 * records; ops queries are rare and by hand, which makes that the right trade against indexes.
 *
 * @example
 * ```ts
 * const log = new DynamoOpsErrorLog(documentClient(), settings.tables.state);
 * await log.write(toStoredOpsRecord(record));
 * ```
 */

import type { StoredOpsRecord } from '../../ops/ops-record.ts';
import { keys, OPS_SHARDS, opsRecordSortKey, shardOf } from '../../tables/keys.ts';
import { daysBetween } from '../../usage/export.ts';
import type { OpsErrorLog, OpsPage, OpsQuery } from '../ops-log.ts';
import { PutCommand } from './commands.ts';
import { conditionHeld } from './condition-failure.ts';
import { queryPages } from './query-pages.ts';
import { DynamoTableStore } from './table-store.ts';

const STORAGE_ATTRIBUTES = ['pk', 'sk', 'kind'] as const;

/** The shard of a request's ops record. */
export function opsShardOf(requestId: string): number {
  return shardOf(requestId, OPS_SHARDS);
}

function recordOf(item: Record<string, unknown>): StoredOpsRecord {
  const record: Record<string, unknown> = { ...item };
  for (const attribute of STORAGE_ATTRIBUTES) delete record[attribute];
  return record as unknown as StoredOpsRecord;
}

interface Filter {
  expression?: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

function filterOf(query: OpsQuery): Filter {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (query.status) {
    names['#status'] = 'status';
    values[':statusMin'] = query.status.min;
    values[':statusMax'] = query.status.max;
    conditions.push('#status BETWEEN :statusMin AND :statusMax');
  }
  for (const field of ['errorType', 'userId', 'apiKeyId', 'accountId'] as const) {
    const value = query[field];
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    conditions.push(`#${field} = :${field}`);
  }
  return conditions.length === 0
    ? { names, values }
    : { expression: conditions.join(' AND '), names, values };
}

export class DynamoOpsErrorLog extends DynamoTableStore implements OpsErrorLog {
  async write(record: StoredOpsRecord): Promise<void> {
    await conditionHeld(() =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keys.opsRecord(record.day, opsShardOf(record.requestId), record.time, record.requestId),
            kind: 'ops',
            ...record,
          },
          // A retried write of the same record keeps the first; nothing else can have this key.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async query(query: OpsQuery): Promise<OpsPage> {
    const fromKey = new Date(query.fromMs).toISOString();
    // Exclusive upper bound: `~` sorts after every character of a request id.
    const rangeEnd = `${new Date(query.toMs - 1).toISOString()}#~`;
    const toKey = query.cursor !== undefined && query.cursor < rangeEnd ? query.cursor : rangeEnd;
    if (toKey <= fromKey) return { records: [] };
    // Days after the cursor's hold nothing older than it.
    const lastMs = Math.min(query.toMs, Date.parse(toKey.slice(0, 24)) + 1);
    const filter = filterOf(query);
    const records: StoredOpsRecord[] = [];
    for (const day of daysBetween(query.fromMs, lastMs).reverse()) {
      const wanted = query.limit - records.length;
      const shards = await Promise.all(
        Array.from({ length: OPS_SHARDS }, (_, shard) =>
          this.#newestOfShard(keys.opsPartition(day, shard), fromKey, toKey, filter, wanted),
        ),
      );
      const merged = shards
        .flat()
        .filter((record) => opsRecordSortKey(record.time, record.requestId) < toKey)
        .sort((a, b) =>
          opsRecordSortKey(b.time, b.requestId).localeCompare(opsRecordSortKey(a.time, a.requestId)),
        );
      records.push(...merged.slice(0, wanted));
      if (merged.length > wanted || records.length >= query.limit) {
        const last = records[records.length - 1] as StoredOpsRecord;
        return { records, nextCursor: opsRecordSortKey(last.time, last.requestId) };
      }
    }
    return { records };
  }

  /** Up to `wanted` matching records of one shard, newest first (more may remain). */
  async #newestOfShard(
    partition: string,
    fromKey: string,
    toKey: string,
    filter: Filter,
    wanted: number,
  ): Promise<StoredOpsRecord[]> {
    const found: StoredOpsRecord[] = [];
    const pages = queryPages(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ...(filter.expression
        ? { FilterExpression: filter.expression, ExpressionAttributeNames: filter.names }
        : {}),
      ExpressionAttributeValues: { ':pk': partition, ':from': fromKey, ':to': toKey, ...filter.values },
      ScanIndexForward: false,
    });
    for await (const items of pages) {
      for (const item of items) found.push(recordOf(item));
      if (found.length > wanted) break;
    }
    return found;
  }
}
