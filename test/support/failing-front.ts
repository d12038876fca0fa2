/**
 * A front for the mock upstream that fails the first attempts of chosen requests and passes every
 * other request through untouched, byte for byte as the mock streams it (a dropped connection
 * included). The mock's own behaviours apply to every attempt of a request alike; this is what
 * lets one request among many concurrent ones fail on its first account and be served by the
 * next, which the mock's FIFO queue cannot do under concurrency.
 *
 * A request asks for it with a marker in its string `input`:
 * `[[fail:{"id":"r17","times":1,"status":429,"headers":{"retry-after":"1"}}]]` answers the
 * first `times` attempts carrying id `r17` with that status and an OpenAI-shaped error body.
 *
 * @example
 * ```ts
 * const front = await startFailingFront(mock.url);
 * // accounts use front.url as their base URL
 * await call(stack.url, secret, { model, input: `${failMarker({ id: 'r1', times: 1, status: 500 })} hi` });
 * front.failures; // 1
 * ```
 */
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

export interface FailSpec {
  /** Unique per client request: attempts are counted per id. */
  id: string;
  /** How many attempts fail before the rest pass through. */
  times: number;
  status: number;
  headers?: Record<string, string>;
}

export interface FailingFront {
  url: string;
  /** Attempts answered with an injected error so far. */
  readonly failures: number;
  close(): Promise<void>;
}

const MARKER = /\[\[fail:(\{.*?\})\]\]/;

/** The marker that asks the front to fail a request's first attempts. */
export function failMarker(spec: FailSpec): string {
  return `[[fail:${JSON.stringify(spec)}]]`;
}

function failSpecOf(rawBody: string): FailSpec | undefined {
  try {
    const input = (JSON.parse(rawBody) as { input?: unknown }).input;
    const match = typeof input === 'string' ? MARKER.exec(input) : null;
    return match?.[1] ? (JSON.parse(match[1]) as FailSpec) : undefined;
  } catch {
    return undefined;
  }
}

export async function startFailingFront(targetUrl: string): Promise<FailingFront> {
  const target = new URL(targetUrl);
  const attempts = new Map<string, number>();
  let failures = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => res.write(chunk));
        answer.on('end', () => res.end());
        // The mock cut the connection mid-body: cut ours the same way.
        answer.on('aborted', () => res.destroy());
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', () => res.destroy());
    // The gateway went away (client disconnect): the mock must see it too.
    res.on('close', () => upstream.destroy());
    upstream.end(body);
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const spec = failSpecOf(body.toString('utf8'));
    if (spec) {
      const seen = attempts.get(spec.id) ?? 0;
      attempts.set(spec.id, seen + 1);
      if (seen < spec.times) {
        failures += 1;
        const error = { error: { message: `injected ${spec.status}`, type: 'server_error', code: null } };
        res.writeHead(spec.status, { 'content-type': 'application/json', ...spec.headers });
        res.end(JSON.stringify(error));
        return;
      }
    }
    forward(req, res, body);
  });
  // The gateway's pooled connections must not be reset under a request a busy process has not
  // read yet (Node's 5 s keep-alive, see local/listen.ts).
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('failing front has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    get failures() {
      return failures;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
