/**
 * quotagate's own stand-in for the OpenAI Responses API upstream.
 *
 * Integration and e2e tests, the benchmark and people trying quotagate without an OpenAI account point
 * the gateway's upstream at this server instead of api.openai.com / chatgpt.com. It answers like the
 * real API (same routes, SSE event sequence, response object, usage and error shapes — the official
 * `openai` SDK consumes it unchanged) while letting the caller script each reaction: success, HTTP
 * error, a hung upstream or a connection dropped mid-stream. It records every request and measures how
 * many were in flight at once.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BEHAVIOUR_HEADER, type MockBehaviour, requestedBehaviour } from './mock-upstream/behaviour.ts';
import { buildChatCompletion, chatFrame } from './mock-upstream/chat-completions.ts';
import {
  defaultErrorBody,
  invalidApiKeyError,
  invalidJsonError,
  missingApiKeyError,
  missingParameterError,
  openAIError,
} from './mock-upstream/errors.ts';
import { fillerText } from './mock-upstream/large-text.ts';
import { buildItemsCompletion } from './mock-upstream/output-items.ts';
import {
  buildCompletion,
  DEFAULT_TEXT,
  DEFAULT_USAGE,
  type ResponseEvent,
  type ResponsesRequestBody,
} from './mock-upstream/response-events.ts';
import { worldForSuite } from './suite-world.ts';

export type { MockBehaviour, MockToolCall, MockUsage } from './mock-upstream/behaviour.ts';
export type { MockEnding, MockOutputItem } from './mock-upstream/output-items.ts';

/** One request as the mock received it. */
export interface RecordedRequest {
  method: string;
  /** Path including any query string, e.g. `/v1/responses`. */
  path: string;
  /** Lower-cased header names; repeated headers are joined with `, `. */
  headers: Record<string, string>;
  rawBody: string;
  /** `rawBody` parsed as JSON, or `undefined` when it is empty or not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary request fields without casts.
  body: any;
  /** `Date.now()` when the request body had been fully received. */
  receivedAt: number;
  /** The client's port, which tells a request that came through a test proxy's tunnel. */
  remotePort: number | undefined;
  /** Everything the mock wrote in the body of its answer so far (SSE frames or JSON). */
  sent: string;
}

/** A running mock upstream. Obtain one with {@link startMockUpstream}; always `close()` it. */
export interface MockUpstream {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:41234`; the SDK's baseURL is `url + '/v1'`. */
  url: string;
  /** Every request received since start or the last `reset()`, in arrival order. */
  requests: RecordedRequest[];
  /** Requests that have arrived and whose response has not yet finished or been abandoned. */
  readonly inFlight: number;
  /** The highest `inFlight` seen since start or the last `reset()`. */
  readonly maxInFlight: number;
  /**
   * Scripts the next `…/responses` requests, one behaviour each, first in first out. Only requests that
   * pass auth and carry a valid JSON body with a `model` take one from the queue.
   */
  enqueue(...behaviours: MockBehaviour[]): void;
  /** The behaviour used when nothing is queued or requested; initially `{ kind: 'ok' }`. */
  setDefault(behaviour: MockBehaviour): void;
  /** Forgets recorded requests, queued behaviours and the in-flight peak; restores the default. */
  reset(): void;
  /** Stops the server, cutting any stalled or still-streaming response. */
  close(): Promise<void>;
}

/** Options for {@link startMockUpstream}. */
export interface MockUpstreamOptions {
  /** Port to listen on; 0 (the default) picks a free ephemeral port. */
  port?: number;
  /** Loopback address to bind; default `127.0.0.1`. Other addresses are refused. */
  host?: string;
  /** When given, bearer tokens not in this list get OpenAI's 401 `invalid_api_key`. */
  expectedTokens?: string[];
}

const RESPONSES_PATHS = new Set(['/v1/responses', '/backend-api/codex/responses']);
/** Served for API-key accounts only, as on the real platform; the Codex backend speaks only Responses. */
const CHAT_PATH = '/v1/chat/completions';
const MODELS = ['gpt-5', 'gpt-5-codex', 'gpt-4.1-mini'];
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const DEFAULT_BEHAVIOUR: MockBehaviour = { kind: 'ok' };

/**
 * Starts a mock upstream on 127.0.0.1 and resolves once it is listening.
 *
 * @example
 * const mock = await startMockUpstream();
 * mock.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '1' } });
 * // …point the gateway (or `new OpenAI({ baseURL: mock.url + '/v1' })`) at mock.url…
 * await mock.close();
 *
 * A request can also choose its own behaviour, for drivers that cannot call `enqueue` (e.g. Codex CLI
 * through the gateway): header `x-mock-behaviour: {"kind":"drop","afterEvents":3}`, or the marker
 * `[[mock:{"kind":"error","status":429}]]` anywhere in the prompt text (a string `input`, or the latest
 * user message of an item list, so that a marker does not stick to later turns of a conversation).
 * Precedence: enqueued > header > input marker > default.
 */
/** The mock upstream of the enclosing suite (see worldForSuite). */
export function mockUpstreamForSuite(options: MockUpstreamOptions = {}): MockUpstream {
  return worldForSuite(
    'mock upstream',
    () => startMockUpstream(options),
    (mock) => mock.close(),
  );
}

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`mock upstream only binds loopback addresses, not ${host}`);
  const requests: RecordedRequest[] = [];
  const queue: MockBehaviour[] = [];
  const sockets = new Set<Socket>();
  let fallback = DEFAULT_BEHAVIOUR;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // 'close' fires once: after the response finished, or when the connection went away first.
    const gone = new AbortController();
    res.once('close', () => {
      inFlight--;
      gone.abort();
    });
    handle(req, res, gone.signal).catch((error: unknown) => {
      if (!gone.signal.aborted) res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, gone: AbortSignal): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: flattenHeaders(req),
      rawBody,
      body: parseJson(rawBody),
      receivedAt: Date.now(),
      remotePort: req.socket.remotePort,
      sent: '',
    };
    requests.push(record);
    const requestId = `req_${randomBytes(16).toString('hex')}`;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      sendJson(res, status, body, { 'x-request-id': requestId, ...headers });

    const path = record.path.split('?')[0] ?? '';
    const isChat = req.method === 'POST' && path === CHAT_PATH;
    const isResponses = (req.method === 'POST' && RESPONSES_PATHS.has(path)) || isChat;
    const isModels = req.method === 'GET' && path === '/v1/models';
    if (!isResponses && !isModels) {
      return reply(404, openAIError(`Invalid URL (${req.method} ${path})`, 'invalid_request_error'));
    }

    const token = /^Bearer\s+(\S+)\s*$/i.exec(record.headers.authorization ?? '')?.[1];
    if (!token) return reply(401, missingApiKeyError());
    if (options.expectedTokens && !options.expectedTokens.includes(token)) {
      return reply(401, invalidApiKeyError(token));
    }
    if (isModels) return reply(200, modelList());

    const body: unknown = record.body;
    if (!isObject(body)) return reply(400, invalidJsonError());
    if (!isResponsesRequest(body)) return reply(400, missingParameterError('model'));

    let behaviour = queue.shift();
    if (!behaviour) {
      const requested = requestedBehaviour(record.headers[BEHAVIOUR_HEADER], body);
      if (requested.found && 'invalid' in requested) {
        return reply(
          400,
          openAIError(`Invalid mock behaviour: ${requested.invalid}.`, 'invalid_request_error'),
        );
      }
      behaviour = requested.found ? requested.behaviour : fallback;
    }

    if ((behaviour.kind === 'ok' || behaviour.kind === 'error') && behaviour.firstByteDelayMs) {
      if (!(await wait(behaviour.firstByteDelayMs, gone))) return;
    }
    if (behaviour.kind === 'error' && behaviour.rawBody !== undefined) {
      res.writeHead(behaviour.status, {
        'content-type': 'text/html; charset=UTF-8',
        'x-request-id': requestId,
        ...behaviour.headers,
      });
      record.sent = behaviour.rawBody;
      res.end(behaviour.rawBody);
      return;
    }
    if (behaviour.kind === 'error') {
      const errorBody =
        behaviour.body ?? defaultErrorBody(behaviour.status, { model: body.model, token, requestId });
      return reply(behaviour.status, errorBody, behaviour.headers);
    }
    await answer(res, body, behaviour, { requestId, gone, chat: isChat, record });
  }

  // The gateway's pooled connections must not be reset under a request a busy process has not
  // read yet (Node's 5 s keep-alive, see local/listen.ts).
  server.keepAliveTimeout = 60_000;
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('mock upstream has no TCP address');
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}`,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    enqueue: (...behaviours) => {
      queue.push(...behaviours);
    },
    setDefault: (behaviour) => {
      fallback = behaviour;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      fallback = DEFAULT_BEHAVIOUR;
      maxInFlight = inFlight;
    },
    close: async () => {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Sends the successful answer for `ok`, or its beginning for `stall` / `drop`: JSON when the request
 * did not ask for a stream, else the SSE event sequence (Responses events, or chat chunks for `chat`),
 * one `write` per frame.
 */
async function answer(
  res: ServerResponse,
  body: ResponsesRequestBody & { stream?: unknown },
  behaviour: Exclude<MockBehaviour, { kind: 'error' }>,
  {
    requestId,
    gone,
    chat,
    record,
  }: { requestId: string; gone: AbortSignal; chat: boolean; record: RecordedRequest },
): Promise<void> {
  const ok = behaviour.kind === 'ok' ? behaviour : undefined;
  const stream = body.stream === true;
  const usage = { ...DEFAULT_USAGE, ...ok?.usage };
  const text = ok?.textBytes ? fillerText(ok.textBytes) : (ok?.text ?? DEFAULT_TEXT);
  let completion: { response: unknown; frames: string[] };
  if (chat) {
    const built = buildChatCompletion(body, text, usage, ok?.toolCalls, ok?.deltaBytes);
    completion = { response: built.completion, frames: built.chunks.map(chatFrame) };
  } else if (ok?.output || ok?.ending) {
    const items = ok.output ?? [{ type: 'message', text }];
    const built = buildItemsCompletion(body, items, usage, ok.ending);
    completion = { response: built.response, frames: built.events.map(sseFrame) };
  } else {
    const built = buildCompletion(body, text, usage, ok?.toolCalls, ok?.deltaBytes);
    completion = { response: built.response, frames: built.events.map(sseFrame) };
  }
  const send = (data: string) => {
    record.sent += data;
    return write(res, data, gone);
  };
  const headers = {
    'x-request-id': requestId,
    'openai-version': '2020-10-01',
    'openai-processing-ms': '1',
    ...ok?.headers,
  };
  if (ok?.ending?.status === 'error' && !stream) {
    const errorBody = openAIError(ok.ending.message, 'server_error', ok.ending.code);
    record.sent = JSON.stringify(errorBody);
    return sendJson(res, 500, errorBody, headers);
  }
  if (ok && !stream) {
    record.sent = JSON.stringify(completion.response);
    return sendJson(res, 200, completion.response, headers);
  }

  res.writeHead(200, {
    'content-type': stream ? 'text/event-stream; charset=utf-8' : 'application/json',
    ...(stream ? { 'cache-control': 'no-cache' } : {}),
    ...headers,
  });
  await write(res, '', gone);
  const afterEvents = behaviour.kind === 'ok' || !stream ? 0 : (behaviour.afterEvents ?? 0);
  const frames = ok ? completion.frames : completion.frames.slice(0, afterEvents);
  for (const [index, frame] of frames.entries()) {
    if (index > 0 && ok?.chunkDelayMs && !(await wait(ok.chunkDelayMs, gone))) return;
    if (gone.aborted) return;
    await send(frame);
  }
  if (ok) res.end();
  else if (behaviour.kind === 'drop') res.socket?.destroy();
  // 'stall': leave the response open; the client's disconnect or close() ends it.
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON object with a string `model` is served as a Responses request; other fields are echoed as sent. */
function isResponsesRequest(
  body: Record<string, unknown>,
): body is Record<string, unknown> & ResponsesRequestBody {
  return typeof body.model === 'string';
}

function modelList() {
  const created = 1_700_000_000;
  return { object: 'list', data: MODELS.map((id) => ({ id, object: 'model', created, owned_by: 'openai' })) };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** One SSE frame as the real API writes it: `event:` line, `data:` line with the JSON, blank line. */
function sseFrame(event: ResponseEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Writes and resolves once the data has been handed to the socket (or the client is gone), so each
 * frame leaves on its own and a following `destroy()` cannot discard it.
 */
function write(res: ServerResponse, data: string, gone: AbortSignal): Promise<void> {
  if (res.destroyed || gone.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    gone.addEventListener('abort', () => resolve(), { once: true });
    res.write(data, () => resolve());
  });
}

/** Sleeps `ms`; resolves `false` early if the client went away meanwhile. */
async function wait(ms: number, gone: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal: gone });
    return true;
  } catch {
    return false;
  }
}
