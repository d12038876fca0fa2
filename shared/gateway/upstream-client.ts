/**
 * The HTTP client to the upstreams: one keep-alive pool per process (undici), a first-byte
 * timeout (until the response headers) and an idle timeout (between two body chunks). Lambda
 * cannot see a client that went away, so these two bound every upstream call.
 */
import { Agent, type Dispatcher, errors, request } from 'undici';
import type { UpstreamTarget } from './upstream-request.ts';

// Keep-alive needs pipelining ≥ 1 in undici (0 closes every connection after its request);
// 1 means one request at a time per connection, which is all a streaming proxy wants.
const pool = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
}

/** Why no upstream response arrived; `aborted` means our side gave up (client gone, deadline). */
export type UpstreamFailureKind = 'connect' | 'first_byte_timeout' | 'aborted';

export class UpstreamUnavailableError extends Error {
  constructor(
    readonly kind: UpstreamFailureKind,
    cause: unknown,
  ) {
    // The cause's message can name the host; never the credential, which travels in a header.
    super(`upstream ${kind}: ${cause instanceof Error ? cause.message : String(cause)}`);
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
      dispatcher: pool,
      headersTimeout: options.firstByteTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
    });
    return { status: response.statusCode, headers: flatHeaders(response.headers), body: response.body };
  } catch (error) {
    if (options.signal.aborted) throw new UpstreamUnavailableError('aborted', error);
    if (error instanceof errors.HeadersTimeoutError)
      throw new UpstreamUnavailableError('first_byte_timeout', error);
    throw new UpstreamUnavailableError('connect', error);
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
