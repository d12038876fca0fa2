/**
 * `npm run bench:dynamo-clients [-- --calls N --rounds N]`: the CPU one DynamoDB request costs
 * the calling process, per client and operation, against the bench's dynalite (in a child process
 * of its own, so its CPU is not counted). Answers "what would another DynamoDB client buy the
 * gateway": every warm gateway request makes six DynamoDB requests, and their client-side CPU is
 * the largest share of the gateway's own (docs/benchmarks.md).
 *
 * Clients compared, each sending the same PutItem (a slot-like item), UpdateItem (a counter with
 * a condition) and BatchGetItem (two keys) one at a time:
 * - `document`: the project's SDK client (`createDocumentClient`) with the stores' commands
 *   (commands.ts), which it sends as lib-dynamodb's;
 * - `low-level`: the same client sending the low-level commands with attributes written out, as
 *   the slot take and release do;
 * - `aws-lite`: `@aws-lite/client` with its DynamoDB plugin (marshals plain objects itself);
 * - `json-client`: the gateway's own client (json-client.ts): a JSON POST signed by
 *   `shared/aws/sigv4.ts` over node:http with a keep-alive agent, with the SDK's retries, error
 *   names and request counter;
 * - `json-document`: the recorder's client (document-client.ts): the stores' commands, as
 *   `document` sends them, translated and sent through `json-client`.
 *
 * Rounds interleave the clients, so a loaded machine's drift falls on all of them alike; the table
 * shows the median and range over rounds of CPU (user + system) per call and wall time per call.
 * The gateway's hot-path stores use `json-client`, the recorder `json-document`, the admin API,
 * the token refresh and the CLI `document`.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import awsLite from '@aws-lite/client';
import awsLiteDynamo from '@aws-lite/dynamodb';
import { BatchGetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { BatchGetCommand, PutCommand, UpdateCommand } from '#shared/store/dynamo/commands.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { forkBenchChild } from './ipc.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '5' },
  },
});
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const TABLES = tableNamesForStage('bench');
const TABLE = TABLES.state;
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const OPERATIONS = ['PutItem', 'UpdateItem', 'BatchGetItem'] as const;
type Operation = (typeof OPERATIONS)[number];
/** One call of an operation; `n` makes each PutItem's item its own. */
type Client = Record<Operation, (n: number) => Promise<unknown>>;

const slotItem = (n: number) => ({
  pk: `BENCH#${n % 64}`,
  sk: 'SLOT',
  holder: `req-${n}`,
  expiresAt: 1_900_000_000 + n,
});
const counterKey = { pk: 'BENCH#counter', sk: 'COUNT' };
const batchKeys = [
  { pk: 'BENCH#1', sk: 'SLOT' },
  { pk: 'BENCH#2', sk: 'SLOT' },
];
const UPDATE = {
  expression: 'ADD #c :one SET #t = :now',
  condition: 'attribute_not_exists(#l) OR #l > :zero',
};
const NAMES = { '#c': 'count', '#t': 'touchedAt', '#l': 'limit' };

/** The requests in the plain form the DocumentClient and aws-lite both take. */
const plain = {
  PutItem: (n: number) => ({ TableName: TABLE, Item: slotItem(n) }),
  UpdateItem: (n: number) => ({
    TableName: TABLE,
    Key: counterKey,
    UpdateExpression: UPDATE.expression,
    ConditionExpression: UPDATE.condition,
    ExpressionAttributeNames: NAMES,
    ExpressionAttributeValues: { ':one': 1, ':now': n, ':zero': 0 },
  }),
  BatchGetItem: () => ({ RequestItems: { [TABLE]: { Keys: batchKeys, ConsistentRead: true } } }),
};

/** One call made with the project's SDK client. */
type SdkCall = (client: SdkDocumentClient, n: number) => Promise<unknown>;

/** The project's SDK client (`createDocumentClient`), making each operation's call as `calls` says. */
function sdkClient(endpoint: string, calls: Record<Operation, SdkCall>): Client {
  const client = createDocumentClient(endpoint);
  const bound = (operation: Operation) => (n: number) => calls[operation](client, n);
  return { PutItem: bound('PutItem'), UpdateItem: bound('UpdateItem'), BatchGetItem: bound('BatchGetItem') };
}

const documentClient = (endpoint: string) =>
  sdkClient(endpoint, {
    PutItem: (client, n) => client.send(new PutCommand(plain.PutItem(n))),
    UpdateItem: (client, n) => client.send(new UpdateCommand(plain.UpdateItem(n))),
    BatchGetItem: (client) => client.send(new BatchGetCommand(plain.BatchGetItem())),
  });

/** The low-level wire form of the same requests (the JSON client sends it as it is). */
const wire = {
  PutItem: (n: number) => {
    const item = slotItem(n);
    return {
      TableName: TABLE,
      Item: {
        pk: { S: item.pk },
        sk: { S: item.sk },
        holder: { S: item.holder },
        expiresAt: { N: String(item.expiresAt) },
      },
    };
  },
  UpdateItem: (n: number) => ({
    TableName: TABLE,
    Key: { pk: { S: counterKey.pk }, sk: { S: counterKey.sk } },
    UpdateExpression: UPDATE.expression,
    ConditionExpression: UPDATE.condition,
    ExpressionAttributeNames: NAMES,
    ExpressionAttributeValues: { ':one': { N: '1' }, ':now': { N: String(n) }, ':zero': { N: '0' } },
  }),
  BatchGetItem: () => ({
    RequestItems: {
      [TABLE]: {
        Keys: batchKeys.map((key) => ({ pk: { S: key.pk }, sk: { S: key.sk } })),
        ConsistentRead: true,
      },
    },
  }),
};

const lowLevelClient = (endpoint: string) =>
  sdkClient(endpoint, {
    PutItem: (client, n) => client.sdk.send(new PutItemCommand(wire.PutItem(n))),
    UpdateItem: (client, n) => client.sdk.send(new UpdateItemCommand(wire.UpdateItem(n))),
    BatchGetItem: (client) => client.sdk.send(new BatchGetItemCommand(wire.BatchGetItem())),
  });

async function awsLiteClient(endpoint: string): Promise<Client> {
  const aws = await awsLite({
    ...CREDENTIALS,
    region: 'local',
    endpoint,
    keepAlive: true,
    autoloadPlugins: false,
    plugins: [awsLiteDynamo],
  });
  // The plugin adds `DynamoDB` at run time; the client's types do not know it.
  const dynamo = (aws as unknown as { DynamoDB: Record<Operation, (params: object) => Promise<unknown>> })
    .DynamoDB;
  return {
    PutItem: (n) => dynamo.PutItem(plain.PutItem(n)),
    UpdateItem: (n) => dynamo.UpdateItem(plain.UpdateItem(n)),
    BatchGetItem: () => dynamo.BatchGetItem(plain.BatchGetItem()),
  };
}

function jsonClient(endpoint: string): Client {
  const client = new DynamoJsonClient({ endpoint, region: 'local', credentials: CREDENTIALS });
  return {
    PutItem: (n) => client.request('PutItem', wire.PutItem(n)),
    UpdateItem: (n) => client.request('UpdateItem', wire.UpdateItem(n)),
    BatchGetItem: () => client.request('BatchGetItem', wire.BatchGetItem()),
  };
}

/** The recorder's client: the `document` client's commands, sent through `json-client`. */
function jsonDocumentClient(endpoint: string): Client {
  const client = new JsonDocumentClient(
    new DynamoJsonClient({ endpoint, region: 'local', credentials: CREDENTIALS }),
  );
  return {
    PutItem: (n) => client.send(new PutCommand(plain.PutItem(n))),
    UpdateItem: (n) => client.send(new UpdateCommand(plain.UpdateItem(n))),
    BatchGetItem: () => client.send(new BatchGetCommand(plain.BatchGetItem())),
  };
}

interface Sample {
  cpuMs: number;
  wallMs: number;
}

async function measure(client: Client, operation: Operation, calls: number): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let n = 0; n < calls; n += 1) await client[operation](n);
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / calls, wallMs: (performance.now() - started) / calls };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)] ?? 0;
const ms = (value: number) => value.toFixed(3);

async function main(): Promise<void> {
  const dynamo = await forkBenchChild('dynalite', new URL('./dynamo-process.ts', import.meta.url), {
    BENCH_TABLES: JSON.stringify(TABLES),
  });
  try {
    const endpoint = String(dynamo.info.endpoint);
    const clients: Record<string, Client> = {
      document: documentClient(endpoint),
      'low-level': lowLevelClient(endpoint),
      'aws-lite': await awsLiteClient(endpoint),
      'json-client': jsonClient(endpoint),
      'json-document': jsonDocumentClient(endpoint),
    };
    const samples = new Map<string, Sample[]>();
    const loadBefore = loadavg()[0] ?? 0;
    // The first round warms every client (JIT, connections) and is not counted.
    for (let round = 0; round <= ROUNDS; round += 1) {
      for (const operation of OPERATIONS) {
        for (const [name, client] of Object.entries(clients)) {
          const sample = await measure(client, operation, round === 0 ? Math.min(CALLS, 100) : CALLS);
          if (round === 0) continue;
          const key = `${name}\t${operation}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
    }
    console.log(
      `DynamoDB client CPU per call — ${ROUNDS} rounds of ${CALLS} calls, load ${loadBefore.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`,
    );
    console.log('client\toperation\tCPU ms/call median (min–max)\twall ms/call median');
    for (const [key, list] of samples) {
      const cpu = list.map((sample) => sample.cpuMs);
      const wall = list.map((sample) => sample.wallMs);
      console.log(
        `${key}\t${ms(median(cpu))} (${ms(Math.min(...cpu))}–${ms(Math.max(...cpu))})\t${ms(median(wall))}`,
      );
    }
  } finally {
    await dynamo.stop();
  }
}

await main();
