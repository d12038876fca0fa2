/**
 * A world for the `admin-api-*.test.ts` files: dynalite with the three tables and the local
 * admin server (the deployed Lambda handler behind a bearer token) on ephemeral ports. `call`
 * sends one request with the token; `snapshot()` reads every item of every table, so a test can
 * show that a refused request changed nothing.
 */
import { type RunningAdminServer, startAdminServer } from '#local/admin-server.ts';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { type TableNames, tableNamesForStage } from '#shared/tables/definitions.ts';
import { snapshotTables } from '../support/table-snapshot.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface AdminCall {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}

export interface AdminWorld {
  db: RunningDynalite;
  tables: TableNames;
  client: ReturnType<typeof createDocumentClient>;
  server: RunningAdminServer;
  /** The admin store on the same tables, for arranging what the API cannot (health, usage). */
  store: DynamoConfigAdmin;
  /** Lines the admin logger wrote (`info` and `error`), for log assertions. */
  logs: { level: string; message: string; attributes: Record<string, unknown> }[];
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<AdminCall>;
  /** Like {@link call}, asserting a 2xx answer, returning its JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  ok(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any>;
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

/** `now` pins the admin API's clock (see test/support/pinned-clock.ts); the default is the wall clock. */
export async function startAdminWorld(options: { now?: () => number } = {}): Promise<AdminWorld> {
  const db = await startDynalite({ port: 0 });
  const tables = tableNamesForStage('local');
  await ensureTables(db.endpoint, tables);
  const client = createDocumentClient(db.endpoint);
  const logs: AdminWorld['logs'] = [];
  const record =
    (level: string) =>
    (message: string, attributes: Record<string, unknown> = {}) => {
      logs.push({ level, message, attributes });
    };
  const server = await startAdminServer({
    client,
    tables,
    token: ADMIN_TOKEN,
    logger: { info: record('info'), error: record('error') } as never,
    ...(options.now ? { now: options.now } : {}),
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  return {
    db,
    tables,
    client,
    server,
    store: new DynamoConfigAdmin(client, tables.config),
    logs,
    call,
    async ok(method, path, body, headers) {
      const result = await call(method, path, body, headers);
      if (result.status >= 300)
        throw new Error(`${method} ${path} answered ${result.status}: ${result.text}`);
      return result.json;
    },
    snapshot: () => snapshotTables(client, tables),
    async close() {
      await server.close();
      client.destroy();
      await db.close();
    },
  };
}
