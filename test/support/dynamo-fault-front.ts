/**
 * A front for dynalite that injects DynamoDB failures into the next requests and passes every
 * other request through unchanged: an error answer (a 500, a throttling 400, any type), a
 * connection dropped before the request reaches the database, or a connection dropped after the
 * database applied it (the answer lost). It records what each request carried, so a test can
 * check how many attempts a call took and what was signed.
 *
 * @example
 * ```ts
 * const front = await startDynamoFaultFront(db.endpoint);
 * front.inject({ kind: 'answer', status: 500, type: 'InternalServerError' });
 * await client.request('PutItem', input); // the retry reaches dynalite
 * front.requests.length; // 2
 * ```
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export type InjectedFault =
  /** Answered by the front with this status and error type; the database never sees it. */
  | { kind: 'answer'; status: number; type: string; message?: string; headerOnly?: boolean }
  /** The connection is cut before the request reaches the database. */
  | { kind: 'drop' }
  /** The database applies the request, then the connection is cut before its answer. */
  | { kind: 'drop-after' }
  /** The database's answer, rewritten (e.g. keys moved to `UnprocessedKeys`). */
  | { kind: 'rewrite'; rewrite: (answer: Record<string, unknown>) => Record<string, unknown> };

export interface SeenRequest {
  /** The operation, from `X-Amz-Target` (`PutItem`, …). */
  operation: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface DynamoFaultFront {
  url: string;
  /** Every request that reached the front, faults included, in order. */
  readonly requests: SeenRequest[];
  /** Queues faults for the next requests, one each, in order. */
  inject(...faults: InjectedFault[]): void;
  /** Faults queued and not yet used. */
  readonly pending: number;
  close(): Promise<void>;
}

export async function startDynamoFaultFront(dynamoEndpoint: string): Promise<DynamoFaultFront> {
  const target = new URL(dynamoEndpoint);
  const requests: SeenRequest[] = [];
  const faults: InjectedFault[] = [];

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_20120810\./, '');
    requests.push({ operation, headers: req.headers, body });
    const fault = faults.shift();
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'answer') {
      const errorBody = fault.headerOnly
        ? { message: fault.message ?? `injected ${fault.type}` }
        : {
            __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`,
            message: fault.message ?? `injected ${fault.type}`,
          };
      res.writeHead(fault.status, {
        'content-type': 'application/x-amz-json-1.0',
        ...(fault.headerOnly
          ? { 'x-amzn-errortype': `${fault.type}:http://internal.amazon.com/coral/` }
          : {}),
      });
      res.end(JSON.stringify(errorBody));
      return;
    }
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      async (answer) => {
        const parts: Buffer[] = [];
        for await (const part of answer) parts.push(part as Buffer);
        if (fault?.kind === 'drop-after') {
          req.socket.destroy();
          return;
        }
        let text = Buffer.concat(parts).toString('utf8');
        const headers = { ...answer.headers };
        if (fault?.kind === 'rewrite') {
          text = JSON.stringify(fault.rewrite(JSON.parse(text) as Record<string, unknown>));
          delete headers['content-length'];
          delete headers['x-amz-crc32'];
        }
        res.writeHead(answer.statusCode ?? 502, headers);
        res.end(text);
      },
    );
    forwarded.on('error', () => res.destroy());
    forwarded.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fault front has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    inject: (...more) => {
      faults.push(...more);
    },
    get pending() {
      return faults.length;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
