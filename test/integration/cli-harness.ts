/**
 * A dynalite with the three tables and a way to run the admin CLI in-process against it, for
 * the `cli-*.test.ts` files. Output is captured per run; `snapshot()` reads every item of every
 * table, so a test can assert that a refused command changed nothing. A suite gets its world
 * from {@link cliWorldForSuite}, which starts it before the suite's tests and closes it after.
 *
 * @example
 * ```ts
 * describe('quotagate users', () => {
 *   const world = cliWorldForSuite();
 *   it('lists users', async () => assert.deepEqual(await world.ok('users', 'list'), []));
 * });
 * ```
 */
import { type RunningAdminServer, startAdminServer } from '#local/admin-server.ts';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { type TableNames, tableNamesForStage } from '#shared/tables/definitions.ts';
import { runCli } from '../../cli/main.ts';
import { createTargetClient } from '../../cli/target.ts';
import { worldForSuite } from '../support/suite-world.ts';
import { snapshotTables } from '../support/table-snapshot.ts';
import { servedRequestEvent } from '../support/usage-event-fixture.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON; throws if it is anything else. */
  json<T = Record<string, unknown>>(): T;
}

export interface CliWorld {
  db: RunningDynalite;
  tables: TableNames;
  env: Record<string, string>;
  run(...args: string[]): Promise<CliRun>;
  /** Like {@link run}, with `input` on stdin (for `-` secrets). */
  runWithStdin(input: string, ...args: string[]): Promise<CliRun>;
  /** Like {@link run} with `--json`, asserting success, returning the parsed output. */
  ok<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  /**
   * Creates a platform API-key account named `name` (with `flags` added, e.g. `--groups pro`),
   * for tests whose subject is not the create command itself; returns the created account.
   */
  apiKeyAccount(name: string, ...flags: string[]): Promise<{ id: string }>;
  /** The admin store on the same tables, for arranging state the CLI cannot (e.g. health). */
  store: DynamoConfigAdmin;
  /** Every item of the three tables, one JSON object per line, sorted. */
  snapshot(): Promise<string>;
  /** The document client on the tables, for arranging records through the real recorder. */
  client: ReturnType<typeof createTargetClient>;
  /**
   * Starts the local admin server on the same tables (once), so `viaApi(…)` runs the CLI with
   * `--api <its URL> --admin-token … --json`; closed with the world.
   */
  startAdminApi(): Promise<RunningAdminServer>;
  viaApi(...args: string[]): Promise<CliRun>;
  /** The bearer token of that admin server. */
  adminToken: string;
  /**
   * Records one served request through the real recorder: a balance-billed gpt-5.1 answer in the
   * default group, started now, 10 input and 1 output tokens, with `fields` over it.
   */
  recordRequest(fields: RequestFields): Promise<void>;
  close(): Promise<void>;
}

type RequestFields = Pick<UsageEventDetail, 'requestId' | 'userId' | 'apiKeyId' | 'accountId'> &
  Partial<UsageEventDetail>;

const ADMIN_TOKEN = 'cli-world-admin-token-0123456789';

/** Runs the CLI in-process as `quotagate <args>` with `env`, `input` on stdin, capturing its output. */
export async function runCliCaptured(
  args: string[],
  env: Record<string, string>,
  input = '',
  now?: () => number,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    stdin: (async function* () {
      if (input !== '') yield Buffer.from(input);
    })(),
    ...(now ? { now } : {}),
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** Options of a CLI world; `now` pins the admin API's clock both ways (see test/support/pinned-clock.ts). */
export interface CliWorldOptions {
  /** Start the local admin server too, for `viaApi` (suites only). */
  adminApi?: boolean;
  now?: () => number;
}

export async function startCliWorld(options: Pick<CliWorldOptions, 'now'> = {}): Promise<CliWorld> {
  const { now } = options;
  const db = await startDynalite({ port: 0 });
  const tables = tableNamesForStage('local');
  await ensureTables(db.endpoint, tables);
  const env = { DYNAMODB_ENDPOINT: db.endpoint };
  const client = createTargetClient({ endpoint: db.endpoint, region: 'local', tables });

  const runWithStdin = (input: string, ...args: string[]) => runCliCaptured(args, env, input, now);
  const run = (...args: string[]) => runWithStdin('', ...args);
  let admin: RunningAdminServer | undefined;
  const silent = { info: () => {}, warn: () => {}, error: () => {} } as never;
  const recorder = createRecorderRuntime({ tables, client, logger: silent });

  async function ok<T>(...args: string[]): Promise<T> {
    const result = await run(...args, '--json');
    if (result.code !== 0)
      throw new Error(`quotagate ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.json<T>();
  }

  return {
    db,
    tables,
    env,
    run,
    runWithStdin,
    ok,
    apiKeyAccount(name, ...flags) {
      return ok(
        'accounts',
        'create',
        '--type',
        'apikey',
        '--name',
        name,
        '--api-key',
        'sk-live-0123456789',
        ...flags,
      );
    },
    store: new DynamoConfigAdmin(client, tables.config),
    snapshot: () => snapshotTables(client, tables),
    client,
    async startAdminApi() {
      admin ??= await startAdminServer({
        client,
        tables,
        token: ADMIN_TOKEN,
        port: 0,
        logger: silent,
        ...(now ? { now } : {}),
      });
      return admin;
    },
    adminToken: ADMIN_TOKEN,
    viaApi: async (...args: string[]) => {
      const { url } = await (admin ?? Promise.reject(new Error('call startAdminApi() first')));
      return runCliCaptured([...args, '--api', url, '--admin-token', ADMIN_TOKEN], {});
    },
    async recordRequest(fields) {
      await recorder.record(servedRequestEvent({ startedAt: new Date().toISOString(), ...fields }));
    },
    async close() {
      await admin?.close();
      client.destroy();
      await db.close();
    },
  };
}

/**
 * The world of the enclosing `describe`: started in a `before` hook (with the local admin server
 * too when `adminApi` is set, for `viaApi`) and closed in an `after` hook. The object returned
 * stands for the world once started; using it outside a test or hook is a mistake it reports.
 */
export function cliWorldForSuite(options: CliWorldOptions = {}): CliWorld {
  return worldForSuite(
    'CLI world',
    async () => {
      const world = await startCliWorld(options);
      if (options.adminApi) await world.startAdminApi();
      return world;
    },
    (world) => world.close(),
  );
}
