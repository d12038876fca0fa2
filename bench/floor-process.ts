/**
 * The floor: a bare node:http relay making exactly the exchanges of a warm gateway request, with
 * nothing of the gateway's in it, so that the gateway's own CPU share is its figure minus this
 * process's. Per client request it reads the body, sends the AWS calls the gateway sent for one
 * captured request (exchange-capture.ts: same operations and bodies, same waves) to the same
 * dynalite and PutEvents endpoint, sends the body upstream to the mock as the gateway does,
 * writes the answer to the client chunk by chunk as it comes, then sends the calls the gateway
 * makes after the upstream request.
 *
 * Left out on purpose, being the gateway's own work: SigV4 (a fixed header of a signature's length
 * is sent; dynalite and the local endpoint do not check it), parsing the answers of AWS, the
 * Function URL emulation, the usage observer. Every request id in a captured body is replaced by a
 * fresh one per request (the same one for each occurrence), so the `started` record's conditional
 * put meets no earlier item and a lease is deleted by the holder that put it.
 *
 * Calls: `setPlan` ({@link FloorPlan}), `refused` (AWS calls answered other than 200 since the
 * last call; a replay that fails costs less). Answers `ready` with its URL.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CapturedCall, ExchangePlan } from './exchange-capture.ts';
import { answerParent } from './ipc.ts';

/** What the floor replays and where. */
export interface FloorPlan {
  exchanges: ExchangePlan;
  dynamoEndpoint: string;
  eventsEndpoint: string;
  mockUrl: string;
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

function freshId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}

async function waves(list: CapturedCall[][], ids: Map<string, string>, floor: FloorPlan): Promise<void> {
  for (const wave of list) await Promise.all(wave.map((call) => aws(call, ids, floor)));
}

async function relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!plan) throw new Error('no plan set');
  const floor = plan;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const ids = new Map<string, string>();
  await waves(floor.exchanges.before, ids, floor);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: 'Bearer sk-bench-upstream',
  };
  for (const name of ['x-client-request-id', 'session-id']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const answer = await post(new URL('/v1/responses', floor.mockUrl), headers, Buffer.concat(chunks));
  res.writeHead(answer.statusCode ?? 502, {
    'content-type': String(answer.headers['content-type'] ?? 'application/json'),
  });
  for await (const chunk of answer) res.write(chunk);
  res.end();
  await waves(floor.exchanges.after, ids, floor);
}

const server = createServer((req, res) => {
  relay(req, res).catch((error: unknown) => {
    console.error(error);
    res.destroy();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

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
  { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
  async () => {
    server.close();
    agent.destroy();
  },
);
