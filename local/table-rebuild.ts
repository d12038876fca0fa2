/**
 * Brings a local table made by an older quotagate to today's indexes, keeping its items. DynamoDB
 * adds and drops an index in place (the stack does, docs/deploy.md); dynalite cannot (its
 * UpdateTable changes only throughput), so the table is rebuilt: its items are copied to a spare
 * table, the table is made again from its definition, and the items are copied back.
 *
 * Every step can be interrupted (Ctrl-C, a crash) and the next start finishes the job: while the
 * spare table exists it holds every item, so a rebuild that finds it copies it back before it
 * deletes it. Local data only; the deployed roles have no Scan.
 *
 * @example
 * ```ts
 * await rebuildTable(client, TABLES.config, 'quotagate-local-config');
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '#shared/tables/definitions.ts';
import { createTableInput } from './create-table-input.ts';

/** Polls of a table's status before giving up: dynalite settles in milliseconds. */
const STATUS_POLLS = 200;
const POLL_MS = 25;
/** DynamoDB's limit of writes per BatchWriteItem. */
const BATCH_WRITES = 25;

/** The spare table a rebuild of `tableName` keeps the items in. */
export function spareTableName(tableName: string): string {
  return `${tableName}-rebuild`;
}

/** The table's description, or undefined when it does not exist. */
export async function tableDescription(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** True when the table has every index of its definition. */
export function hasIndexesOf(table: TableDescription, definition: TableDefinition): boolean {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  return definition.indexes.every((index) => present.has(index.name));
}

/** Makes `tableName` from `definition` with the items it held, ending any rebuild left half done. */
export async function rebuildTable(
  client: DynamoDBClient,
  definition: TableDefinition,
  tableName: string,
): Promise<void> {
  const spare = spareTableName(tableName);
  const table = await tableDescription(client, tableName);
  const spareTable = await tableDescription(client, spare);
  if (!spareTable || (table && !hasIndexesOf(table, definition))) {
    // A spare beside an old-layout table is a copy that was cut short: the table still has all.
    if (spareTable) await dropTable(client, spare);
    if (!table) throw new Error(`no local table ${tableName} to rebuild`);
    await makeTable(client, definition, spare);
    await copyItems(client, tableName, spare);
    await dropTable(client, tableName);
  }
  if (!(await tableDescription(client, tableName))) await makeTable(client, definition, tableName);
  await copyItems(client, spare, tableName);
  await dropTable(client, spare);
}

async function makeTable(client: DynamoDBClient, definition: TableDefinition, tableName: string) {
  await client.send(new CreateTableCommand(createTableInput(definition, tableName)));
  await untilStatus(client, tableName, (table) => table?.TableStatus === 'ACTIVE');
}

async function dropTable(client: DynamoDBClient, tableName: string) {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  await untilStatus(client, tableName, (table) => table === undefined);
}

async function untilStatus(
  client: DynamoDBClient,
  tableName: string,
  done: (table: TableDescription | undefined) => boolean,
): Promise<void> {
  for (let poll = 0; poll < STATUS_POLLS; poll++) {
    if (done(await tableDescription(client, tableName))) return;
    await sleep(POLL_MS);
  }
  throw new Error(`the local table ${tableName} did not settle`);
}

/** Every item of `from` put into `to` (puts are idempotent, so a copy may be repeated). */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<void> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: from, ExclusiveStartKey: startKey }));
    const items = page.Items ?? [];
    for (let start = 0; start < items.length; start += BATCH_WRITES) {
      let writes = items.slice(start, start + BATCH_WRITES).map((Item) => ({ PutRequest: { Item } }));
      while (writes.length > 0) {
        const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [to]: writes } }));
        writes = (output.UnprocessedItems?.[to] ?? []) as typeof writes;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
