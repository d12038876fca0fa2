/**
 * The embedded DynamoDB of the local stack: dynalite, its tables created from the same
 * definitions the CDK stack uses. Tests start one in their own process on an ephemeral port;
 * `npm start` runs it in a child process (`startDynaliteProcess`, so its CPU has a core of its
 * own) and keeps its data under a folder so users, keys and usage survive a restart.
 *
 * @example
 * ```ts
 * const db = await startDynalite({ port: 0 }); // or await startDynaliteProcess({ port: 0, path })
 * await ensureTables(db.endpoint, tableNamesForStage('test'));
 * await db.close();
 * ```
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
// dynalite ships no types; its default export is a factory returning an http.Server.
// @ts-expect-error untyped package
import dynalite from 'dynalite';
import { TABLES, type TableNames } from '#shared/tables/definitions.ts';
import { forkChild } from './child-process.ts';
import { createTableInput } from './create-table-input.ts';
import { hasIndexesOf, rebuildTable, spareTableName, tableDescription } from './table-rebuild.ts';

export interface RunningDynalite {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** LevelDB folder for the data; none keeps it in memory. */
  path?: string;
}

export async function startDynalite(options: DynaliteOptions = {}): Promise<RunningDynalite> {
  const server = dynalite({
    ...(options.path ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  }) as import('node:http').Server;
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * dynalite in a child process (dynalite-process.ts); `close` stops the process, and
 * `onUnexpectedExit` hears of it if it ends otherwise.
 */
export async function startDynaliteProcess(
  options: DynaliteOptions = {},
  onUnexpectedExit?: (code: number | null, signal: string | null) => void,
): Promise<RunningDynalite> {
  const child = await forkChild('dynalite', new URL('./dynalite-process.ts', import.meta.url), {
    args: [JSON.stringify(options)],
    ...(onUnexpectedExit ? { onUnexpectedExit } : {}),
  });
  return { endpoint: String(child.info.endpoint), port: Number(child.info.port), close: () => child.stop() };
}

/**
 * Creates any of the three tables that does not exist yet. An existing table is left alone, but
 * one that lacks an index of its definition (made by an older version: dynalite cannot add an
 * index to a table) is rebuilt with its items (`table-rebuild.ts`), as is one whose rebuild an
 * earlier start left unfinished.
 */
export async function ensureTables(endpoint: string, names: TableNames): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const definition of Object.values(TABLES)) {
      const tableName = names[definition.id];
      const table = await tableDescription(client, tableName);
      const unfinished = await tableDescription(client, spareTableName(tableName));
      if (unfinished || (table && !hasIndexesOf(table, definition)))
        await rebuildTable(client, definition, tableName);
      else if (!table) await client.send(new CreateTableCommand(createTableInput(definition, tableName)));
    }
  } finally {
    client.destroy();
  }
}
