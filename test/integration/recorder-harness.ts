/**
 * A world for the recorder tests: dynalite with the three tables, a seeded Config table (users,
 * groups in both billing modes, keys, subscriptions, accounts), a controllable clock, usage
 * events, and DynamoDB clients that fail the way a recorder fails in production.
 *
 * The recorders run on the recorder Lambda's client (`JsonDocumentClient`), and fault injection
 * hooks the requests it sends (test/support/intercepted-dynamo.ts); no code of ours is replaced.
 * The healthy SDK client seeds and reads the tables. `crashAfterWrites(n)` lets n write requests reach DynamoDB, loses the
 * response of the n-th (the process "died" right after sending it) and refuses every request
 * after it: exactly a recorder stopped after its n-th write.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createBusEventBridgeClient } from '#local/bus-publisher.ts';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import type { InProcessEventBus } from '#local/event-bus.ts';
import { EventBridgeAlertPublisher } from '#shared/alerts/alert-publisher.ts';
import { createRecorderRuntime, type RecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import type { DocumentClient } from '#shared/store/dynamo/document-client.ts';
import { scanAll } from '#shared/store/dynamo/query-pages.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { type TableNames, tableNamesForStage } from '#shared/tables/definitions.ts';
import { keys } from '#shared/tables/keys.ts';
import { type Interceptor, interceptedDocumentClient, isWrite } from '../support/intercepted-dynamo.ts';
import { worldForSuite } from '../support/suite-world.ts';
import { ACCOUNTS, GROUPS, KEYS, SUBSCRIPTIONS, T0, USERS } from './recorder-fixtures.ts';

export { interceptedDocumentClient, isWrite } from '../support/intercepted-dynamo.ts';
export * from './recorder-fixtures.ts';

export class SimulatedCrash extends Error {
  constructor() {
    super('simulated recorder crash');
    this.name = 'SimulatedCrash';
  }
}

/** A clock tests move by hand; `real` adds the real elapsed time (for live waits). */
export class TestClock {
  offset = 0;
  readonly #start = Date.now();
  constructor(readonly real = false) {}
  now = (): number => T0 + this.offset + (this.real ? Date.now() - this.#start : 0);
  advance(ms: number): void {
    this.offset += ms;
  }
}

export const silentLogger = { info: () => {}, warn: () => {}, error: () => {} };

export interface RecorderWorld {
  db: RunningDynalite;
  tables: TableNames;
  /** A healthy SDK client, for seeding and reading the tables. */
  client: SdkDocumentClient;
  clock: TestClock;
  /** A healthy client as the recorder Lambda has (`JsonDocumentClient`). */
  recorderClient: DocumentClient;
  /** The recorder on `client` (default: `recorderClient`), one per client. */
  runtime(client?: DocumentClient): RecorderRuntime;
  /** A recorder client whose every request goes through `intercept` (closed with the world). */
  intercepted(intercept: Interceptor): DocumentClient;
  /** A recorder client that lets `n` writes through and then behaves as a dead process. */
  crashAfterWrites(n: number): DocumentClient;
  /** A recorder client that counts the write requests it sends. */
  countingClient(): { client: DocumentClient; writes: () => number };
  getItem(
    table: keyof TableNames,
    key: { pk: string; sk: string },
  ): Promise<Record<string, unknown> | undefined>;
  scan(table: keyof TableNames): Promise<Record<string, unknown>[]>;
  records(): Promise<UsageRecord[]>;
  /** Config and Usage items that still carry a request's marker (none once records are applied). */
  markedItems(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * dynalite in a child process, so DynamoDB's work and the recorder's run on two cores (the
 * reconciliation test's runtime is mostly theirs).
 */
async function startDynaliteProcess(): Promise<RunningDynalite> {
  const module = new URL('../../local/dynalite.ts', import.meta.url).href;
  const code = `const { startDynalite } = await import(${JSON.stringify(module)});
const db = await startDynalite({ port: 0 });
process.stdout.write(JSON.stringify({ port: db.port }) + '\\n');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      child.kill();
      await once(child, 'exit');
    },
  };
}

export async function startRecorderWorld(
  clock = new TestClock(),
  options: { dynaliteProcess?: boolean } = {},
): Promise<RecorderWorld> {
  const db = options.dynaliteProcess ? await startDynaliteProcess() : await startDynalite({ port: 0 });
  const tables = tableNamesForStage('rec');
  await ensureTables(db.endpoint, tables);
  const client = createDocumentClient(db.endpoint);
  const items = [
    ...USERS.map(configItems.user),
    ...GROUPS.map(configItems.group),
    ...KEYS.map(configItems.apiKey),
    ...SUBSCRIPTIONS.map(configItems.subscription),
    ...ACCOUNTS.map(configItems.account),
  ];
  for (const item of items) await client.send(new PutCommand({ TableName: tables.config, Item: item }));
  const clients: { destroy(): void }[] = [client];
  const runtimes = new Map<DocumentClient, RecorderRuntime>();
  const intercepted = (intercept: Interceptor) => {
    const recorderClient = interceptedDocumentClient(db.endpoint, intercept);
    clients.push(recorderClient);
    return recorderClient;
  };
  const recorderClient = intercepted((_operation, _input, send) => send());

  const scan = (table: keyof TableNames) => scanAll(client, { TableName: tables[table] });

  return {
    db,
    tables,
    client,
    recorderClient,
    clock,
    runtime(runtimeClient = recorderClient) {
      // One runtime per client, as a warm process keeps one (price and key caches included).
      const known = runtimes.get(runtimeClient);
      if (known) return known;
      const runtime = createRecorderRuntime({
        tables,
        client: runtimeClient,
        logger: silentLogger,
        now: clock.now,
      });
      Object.assign(runtime.deps, { pollMs: 10, maxWaitMs: 200 });
      runtimes.set(runtimeClient, runtime);
      return runtime;
    },
    intercepted,
    crashAfterWrites(n: number) {
      let writes = 0;
      let dead = false;
      return intercepted(async (operation, _input, send) => {
        if (dead) throw new SimulatedCrash();
        if (!isWrite(operation)) return send();
        writes += 1;
        if (writes < n) return send();
        dead = true;
        await send().catch(() => undefined);
        throw new SimulatedCrash();
      });
    },
    countingClient() {
      let writes = 0;
      const counting = intercepted((operation, _input, send) => {
        if (isWrite(operation)) writes += 1;
        return send();
      });
      return { client: counting, writes: () => writes };
    },
    async getItem(table, key) {
      const { Item: item } = await client.send(
        new GetCommand({ TableName: tables[table], Key: key, ConsistentRead: true }),
      );
      return item;
    },
    scan,
    async records() {
      const items = await scan('usage');
      return items.filter((item) => item.kind === 'usage') as unknown as UsageRecord[];
    },
    async markedItems() {
      const items = [...(await scan('config')), ...(await scan('usage'))];
      return items.filter((item) => item.usageMarks !== undefined);
    },
    async close() {
      for (const each of clients) each.destroy();
      await db.close();
    },
  };
}

/** The world of the enclosing suite, as {@link startRecorderWorld} makes it (see worldForSuite). */
export function recorderWorldForSuite(...args: Parameters<typeof startRecorderWorld>): RecorderWorld {
  return worldForSuite(
    'recorder world',
    () => startRecorderWorld(...args),
    (world) => world.close(),
  );
}

/**
 * A recorder with the alert watch on, as the Lambda wires it, publishing to `bus`, on `client`
 * (default: the world's healthy recorder client) and the world's clock.
 */
export function alertingRecorder(
  world: RecorderWorld,
  bus: InProcessEventBus,
  client: DocumentClient = world.recorderClient,
): RecorderRuntime {
  const runtime = createRecorderRuntime({
    tables: world.tables,
    client,
    logger: silentLogger,
    now: world.clock.now,
    alerts: {
      publisher: new EventBridgeAlertPublisher(createBusEventBridgeClient(bus), 'quotagate-rec'),
      stateTable: world.tables.state,
    },
  });
  Object.assign(runtime.deps, { pollMs: 10, maxWaitMs: 2000 });
  return runtime;
}

/** Balance, key spend and subscription totals as stored now. */
export async function storedTotals(world: RecorderWorld) {
  const balances = new Map<string, number>();
  for (const user of USERS) {
    const item = await world.getItem('config', keys.user(user.id));
    balances.set(user.id, item?.balanceNano as number);
  }
  const keySpend = new Map<string, number>();
  for (const key of KEYS) {
    const item = await world.getItem('config', keys.apiKey(key.hash));
    keySpend.set(key.id, (item?.usedNano as number | undefined) ?? 0);
  }
  const subscriptions = new Map<string, Record<string, unknown>>();
  for (const subscription of SUBSCRIPTIONS) {
    const item = await world.getItem('config', keys.subscription(subscription.userId, subscription.groupId));
    subscriptions.set(subscription.userId, item ?? {});
  }
  return { balances, keySpend, subscriptions };
}
