/**
 * The HTTP client to the upstreams: one keep-alive pool per process (undici), a first-byte
 * timeout (until the response headers) and an idle timeout (between two body chunks). Lambda
 * cannot see a client that went away, so these two bound every upstream call. An account with an
 * outbound proxy goes through its own undici ProxyAgent, one per proxy URL for the process.
 */
import { Agent, type Dispatcher, errors, ProxyAgent, request } from 'undici';
import type { UpstreamTarget } from './upstream-request.ts';

// Keep-alive needs pipelining ≥ 1 in undici (0 closes every connection after its request);
// 1 means one request at a time per connection, which is all a streaming proxy wants.
const pool = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
const proxies = new Map<string, ProxyAgent>();

/**
 * The dispatcher for a target: the shared pool, or the ProxyAgent of its account's proxy. The
 * proxy is always asked to tunnel (CONNECT), for http upstreams too, so the upstream sees one
 * egress address whatever its scheme and the proxy never reads the traffic.
 */
function dispatcherFor(target: UpstreamTarget): Dispatcher {
  if (!target.proxyUrl) return pool;
  let agent = proxies.get(target.proxyUrl);
  if (!agent) {
    agent = new ProxyAgent({ uri: target.proxyUrl, proxyTunnel: true });
    proxies.set(target.proxyUrl, agent);
  }
  return agent;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
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

function flatHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export async function sendUpstream(
  target: UpstreamTarget,
  options: { signal: AbortSignal; firstByteTimeoutMs: number; idleTimeoutMs: number },
): Promise<UpstreamResponse> {
  try {
    const response = await request(target.url, {
      method: 'POST',
      headers: target.headers,
      body: target.body,
      signal: options.signal,
      dispatcher: dispatcherFor(target),
      headersTimeout: options.firstByteTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
    });
    return { status: response.statusCode, headers: flatHeaders(response.headers), body: response.body };
  } catch (error) {
    if (options.signal.aborted) throw new UpstreamUnavailableError('aborted', error, target.proxyUrl);
    if (error instanceof errors.HeadersTimeoutError)
      throw new UpstreamUnavailableError('first_byte_timeout', error, target.proxyUrl);
    throw new UpstreamUnavailableError('connect', error, target.proxyUrl);
  }
}

/** True for the error undici raises when the idle timeout passed mid-body. */
export function isIdleTimeout(error: unknown): boolean {
  return error instanceof errors.BodyTimeoutError;
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
