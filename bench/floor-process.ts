/**
 * The floor: a bare node:http relay making exactly the exchanges of a warm gateway request, with
 * nothing of the gateway's in it, so that the gateway's own CPU share is its figure minus this
 * process's. Per client request it reads the body, sends the AWS calls the gateway sent for one
 * captured request (exchange-capture.ts: same operations and bodies, same waves) to the same
 * dynalite and PutEvents endpoint, sends the body upstream to the mock as the gateway does,
 * writes the answer to the client chunk by chunk as it comes, then sends the calls the gateway
 * makes after the upstream request.
 *
 * With `gatewayClients` in its plan it sends the same calls through the gateway's own DynamoDB and
 * EventBridge clients instead (serialised, signed, counted, their answers parsed), so that the
 * clients' part of the gateway's share can be told from the rest.
 *
 * Left out on purpose, being the gateway's own work: SigV4 (a fixed header of a signature's length
 * is sent; dynalite and the local endpoint do not check it), parsing the answers of AWS, the
 * Function URL emulation, the usage observer. Every request id in a captured body is replaced by a
 * fresh one per request (the same one for each occurrence), so the `started` record's conditional
 * put meets no earlier item and a lease is deleted by the holder that put it.
 *
 * It listens twice: bare (`url`), and as a streaming handler behind the local Function URL server
 * (`functionUrl`), as the gateway's handler runs, so that emulation's cost (the Lambda runtime's
 * part on AWS) can be told from the gateway's own code.
 *
 * Calls: `setPlan` ({@link FloorPlan}), `refused` (AWS calls answered other than 200 since the
 * last call; a replay that fails costs less). Answers `ready` with its URL.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Agent, createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  HttpResponseStream,
  installAwsLambdaShim,
  type LambdaResponseStream,
} from '#local/awslambda-shim.ts';
import { startFunctionUrlServer } from '#local/function-url-server.ts';
import {
  createEventBridgeClient,
  type EventBridgeJsonClient,
  type PutEventsEntry,
} from '#shared/events/eventbridge-client.ts';
import { createDynamoJsonClient, type DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { Operation } from '#shared/store/dynamo/json-protocol.ts';
import type { CapturedCall, ExchangePlan } from './exchange-capture.ts';
import { answerParent } from './ipc.ts';

/** What the floor replays and where. */
export interface FloorPlan {
  exchanges: ExchangePlan;
  dynamoEndpoint: string;
  eventsEndpoint: string;
  mockUrl: string;
  /** Send the AWS calls through the gateway's own clients instead of bare requests. */
  gatewayClients?: boolean;
}

/** AWS calls answered other than 200, and the first one's operation and answer. */
export interface Refused {
  count: number;
  sample?: string;
}

/** The gateway's request ids (`req_` and 32 hex digits), its own and the upstream's. */
const REQUEST_ID = /req_[0-9a-f]{32}/g;
/** A SigV4 Authorization header's length, for the bytes on the wire; nobody checks it here. */
const AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=local/20261203/local/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;
const agent = new Agent({ keepAlive: true, maxSockets: 50 });
let plan: FloorPlan | undefined;
let refused: Refused = { count: 0 };

function post(url: URL, headers: Record<string, string>, body: string | Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const sent = request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent },
      resolve,
    );
    sent.on('error', reject);
    sent.end(body);
  });
}

/** One AWS call, its answer read to the end (and dropped). */
async function aws(call: CapturedCall, ids: Map<string, string>, floor: FloorPlan): Promise<void> {
  const events = call.operation === 'PutEvents';
  const body = call.body.replace(REQUEST_ID, (id) => ids.get(id) ?? ids.set(id, freshId()).get(id) ?? id);
  if (floor.gatewayClients) return viaGatewayClients(call.operation, body, floor);
  const answer = await post(
    new URL(events ? floor.eventsEndpoint : floor.dynamoEndpoint),
    {
      'content-type': events ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
      'x-amz-target': `${events ? 'AWSEvents.' : 'DynamoDB_20120810.'}${call.operation}`,
      'x-amz-date': '20261203T000000Z',
      authorization: AUTHORIZATION,
    },
    body,
  );
  const chunks: Buffer[] = [];
  answer.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve, reject) => answer.on('end', resolve).on('error', reject));
  // A refused call costs both sides less than a served one: the phase reports any.
  if (answer.statusCode !== 200) {
    refused.count += 1;
    refused.sample ??= `${call.operation}: HTTP ${answer.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`;
  }
}

/** The previous request's calls after its upstream request (its releases) have settled. */
let released: Promise<unknown> = Promise.resolve();

let clients: { dynamo: DynamoJsonClient; events: EventBridgeJsonClient } | undefined;

/**
 * The call sent as the gateway sends it, through its own clients (serialised, signed, counted,
 * the answer parsed): the floor plus the gateway's AWS client code.
 */
async function viaGatewayClients(operation: string, body: string, floor: FloorPlan): Promise<void> {
  clients ??= {
    dynamo: createDynamoJsonClient(floor.dynamoEndpoint),
    events: createEventBridgeClient({ endpoint: floor.eventsEndpoint, maxAttempts: 1 }),
  };
  try {
    if (operation === 'PutEvents') {
      const { Entries } = JSON.parse(body) as { Entries: (PutEventsEntry & { Time?: number })[] };
      const entries = Entries.map((entry) => ({
        ...entry,
        ...(entry.Time ? { Time: new Date(entry.Time * 1000) } : {}),
      }));
      await clients.events.putEvents(entries as PutEventsEntry[]);
    } else {
      await clients.dynamo.request(operation as Operation, JSON.parse(body));
    }
  } catch (error) {
    refused.count += 1;
    refused.sample ??= `${operation}: ${String(error)}`;
  }
}

function freshId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}

async function waves(list: CapturedCall[][], ids: Map<string, string>, floor: FloorPlan): Promise<void> {
  for (const wave of list) await Promise.all(wave.map((call) => aws(call, ids, floor)));
}

/**
 * One request's exchanges: the AWS calls before, the body upstream, `respond` relaying the
 * upstream's answer to the client, the AWS calls after.
 */
async function exchange(
  body: Buffer,
  header: (name: string) => string | undefined,
  respond: (answer: IncomingMessage) => Promise<void>,
): Promise<void> {
  if (!plan) throw new Error('no plan set');
  const floor = plan;
  const ids = new Map<string, string>();
  // The replayed leases have fixed slot keys: the next request takes them once they are released.
  await released;
  await waves(floor.exchanges.before, ids, floor);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: 'Bearer sk-bench-upstream',
  };
  for (const name of ['x-client-request-id', 'session-id']) {
    const value = header(name);
    if (value !== undefined) headers[name] = value;
  }
  await respond(await post(new URL('/v1/responses', floor.mockUrl), headers, body));
  const after = waves(floor.exchanges.after, ids, floor);
  released = after.catch(() => undefined);
  await after;
}

const contentTypeOf = (answer: IncomingMessage) =>
  String(answer.headers['content-type'] ?? 'application/json');

const server = createServer((req, res) => {
  (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const header = (name: string) => req.headers[name] as string | undefined;
    await exchange(Buffer.concat(chunks), header, async (answer) => {
      res.writeHead(answer.statusCode ?? 502, { 'content-type': contentTypeOf(answer) });
      for await (const chunk of answer) res.write(chunk);
      res.end();
    });
  })().catch((error: unknown) => {
    console.error(error);
    res.destroy();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

// The same relay as a streaming handler behind the local Function URL server, as the gateway's
// handler runs: what that emulation (the Lambda runtime's part on AWS) costs on top of the floor.
installAwsLambdaShim();
const emulated = await startFunctionUrlServer({
  port: 0,
  logger: { info: () => undefined, warn: () => undefined, error: (message) => console.error(message) },
  handler: awslambda.streamifyResponse(async (event: APIGatewayProxyEventV2, stream) => {
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    await exchange(
      body,
      (name) => event.headers[name],
      async (answer) => {
        const out = HttpResponseStream.from(stream as unknown as LambdaResponseStream, {
          statusCode: answer.statusCode ?? 502,
          headers: { 'content-type': contentTypeOf(answer) },
        });
        for await (const chunk of answer) if (!out.write(chunk)) await once(out, 'drain');
        await new Promise((resolve) => out.end(resolve));
      },
    );
  }),
});

answerParent(
  {
    setPlan(payload) {
      plan = payload as FloorPlan;
    },
    /** AWS calls answered other than 200 since the last call. */
    refused(): Refused {
      const taken = refused;
      refused = { count: 0 };
      return taken;
    },
  },
  { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, functionUrl: emulated.url },
  async () => {
    server.close();
    await emulated.close();
    agent.destroy();
  },
);
