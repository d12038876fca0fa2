/**
 * Every item of every table as one text, a JSON object a line (with its table), sorted: what a
 * test compares before and after a refused change to show that it changed nothing.
 *
 * @example
 * ```ts
 * const before = await snapshotTables(client, tables);
 * // … a request that must be refused …
 * assert.equal(await snapshotTables(client, tables), before);
 * ```
 */

import { scanAll } from '#shared/store/dynamo/query-pages.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import type { TableNames } from '#shared/tables/definitions.ts';

export async function snapshotTables(client: SdkDocumentClient, tables: TableNames): Promise<string> {
  const lines: string[] = [];
  for (const table of Object.values(tables)) {
    const items = await scanAll(client, { TableName: table, ConsistentRead: true });
    lines.push(...items.map((item) => JSON.stringify({ table, ...item })));
  }
  return lines.sort().join('\n');
}
