/**
 * The HTTP client to the upstreams: Node's own `http`/`https` with one keep-alive agent per scheme
 * for the process, a first-byte timeout (until the response headers) and an idle timeout (between
 * two body chunks). Lambda cannot see a client that went away, so these two bound every upstream
 * call. An account with an outbound proxy goes through `upstream-proxy.ts` (undici's ProxyAgent,
 * loaded only then).
 *
 * Node's client rather than undici for the common path: it is part of the runtime, so the bundle
 * every cold start loads does not carry undici's 720 KB, and the bench measured no more CPU per
 * request with it (docs/benchmarks.md).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { sendThroughProxy } from './upstream-proxy.ts';
import type { UpstreamTarget } from './upstream-request.ts';

/**
 * Idle pooled connections close after this long; a server's shorter `Keep-Alive: timeout` wins.
 * One request at a time per connection (no pipelining), which is all a streaming proxy wants.
 */
const KEEP_ALIVE_MS = 30_000;
const AGENT_OPTIONS = {
  keepAlive: true,
  maxSockets: 256,
  scheduling: 'lifo',
  timeout: KEEP_ALIVE_MS,
} as const;
const agents = { 'http:': new HttpAgent(AGENT_OPTIONS), 'https:': new HttpsAgent(AGENT_OPTIONS) };
/** What a sent target's body becomes (see {@link sendUpstream}). */
const SENT_BODY = Buffer.alloc(0);

/** The upstream's answer; `body` is read once, as it arrives, and destroyed when not read to its end. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<unknown> & { destroy(): void };
}

export interface SendOptions {
  signal: AbortSignal;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
}

/** The text with the proxy URL and its user info replaced: both may carry the proxy's password. */
function withoutProxy(text: string, proxyUrl: string | undefined): string {
  if (!proxyUrl) return text;
  const userInfo = /^[a-z]+:\/\/([^@/]*)@/i.exec(proxyUrl)?.[1];
  const scrubbed = text.replaceAll(proxyUrl, '[proxy]');
  return userInfo ? scrubbed.replaceAll(userInfo, '[proxy credentials]') : scrubbed;
}

/** Why no upstream response arrived; `aborted` means our side gave up (client gone, deadline). */
export type UpstreamFailureKind = 'connect' | 'first_byte_timeout' | 'aborted';

export class UpstreamUnavailableError extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    cause: unknown,
    proxyUrl?: string,
  ) {
    // The cause's message can name the host; never the credential, which travels in a header,
    // nor the proxy's, which is taken out of it.
    super(
      `upstream ${kind}: ${withoutProxy(cause instanceof Error ? cause.message : String(cause), proxyUrl)}`,
    );
    this.name = 'UpstreamUnavailableError';
  }
}

/** The body stopped for longer than the idle timeout; thrown by the body's reader. */
export class UpstreamIdleTimeoutError extends Error {
  constructor(idleTimeoutMs: number) {
    super(`upstream sent nothing for ${idleTimeoutMs} ms`);
    this.name = 'UpstreamIdleTimeoutError';
  }
}

class FirstByteTimeoutError extends Error {
  constructor(firstByteTimeoutMs: number) {
    super(`no response headers within ${firstByteTimeoutMs} ms`);
    this.name = 'FirstByteTimeoutError';
  }
}

/** Response headers as one string per name (lower case); repeated ones joined with `, `. */
function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * Sends `target` and resolves with the upstream's answer once its headers came. The body is the
 * connection's from the call on: `target.body` is left empty, since the attempt keeps its target
 * for the whole stream, and a large prompt's upstream copy held that long is memory the gateway's
 * size would have to count (docs/deploy.md, "The gateway's memory").
 */
export async function sendUpstream(target: UpstreamTarget, options: SendOptions): Promise<UpstreamResponse> {
  const body = target.body;
  target.body = SENT_BODY;
  try {
    if (!target.proxyUrl) return await sendDirect(target, body, options);
    const response = await sendThroughProxy(target, body, target.proxyUrl, options);
    return { ...response, headers: flatHeaders(response.headers) };
  } catch (error) {
    if (options.signal.aborted) throw new UpstreamUnavailableError('aborted', error, target.proxyUrl);
    const code = (error as { code?: unknown }).code;
    if (error instanceof FirstByteTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT')
      throw new UpstreamUnavailableError('first_byte_timeout', error, target.proxyUrl);
    throw new UpstreamUnavailableError('connect', error, target.proxyUrl);
  }
}

/**
 * Both timeouts are the socket's inactivity timer (no timer of our own per request or chunk):
 * first the wait for the headers, then, once they came, the gap between body chunks. The agent
 * puts its keep-alive timeout back when the connection returns to the pool.
 */
function sendDirect(target: UpstreamTarget, body: Buffer, options: SendOptions): Promise<UpstreamResponse> {
  const url = new URL(target.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const request = send(url, {
      method: 'POST',
      headers: { ...target.headers, 'content-length': String(body.length) },
      agent: url.protocol === 'https:' ? agents['https:'] : agents['http:'],
      signal: options.signal,
      timeout: options.firstByteTimeoutMs,
    });
    request.on('timeout', () => {
      if (response) response.destroy(new UpstreamIdleTimeoutError(options.idleTimeoutMs));
      else request.destroy(new FirstByteTimeoutError(options.firstByteTimeoutMs));
    });
    request.once('error', reject);
    request.once('response', (message) => {
      response = message;
      request.setTimeout(options.idleTimeoutMs);
      resolve({ status: message.statusCode ?? 502, headers: flatHeaders(message.headers), body: message });
    });
    request.end(body);
  });
}

/** True for the error the body's reader raises when the idle timeout passed mid-body. */
export function isIdleTimeout(error: unknown): boolean {
  return (
    error instanceof UpstreamIdleTimeoutError ||
    // undici's BodyTimeoutError, from the proxy path (undici is not loaded to check its class).
    (error as { code?: unknown } | undefined)?.code === 'UND_ERR_BODY_TIMEOUT'
  );
}

/** The whole body as text; past `limit` bytes the rest is read and dropped, so the connection can be reused. */
export async function readBodyText(
  body: UpstreamResponse['body'],
  limit = Number.POSITIVE_INFINITY,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < limit) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
