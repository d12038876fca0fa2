/**
 * The session identity behind sticky sessions. Codex 0.17x sends the same UUID as `session-id`
 * and `thread-id` headers and as `prompt_cache_key` in the body; older clients send `session_id`.
 * Only the value is hashed, so whichever of them a client sends, one conversation maps to one
 * hash and stays on the account whose prompt cache is warm.
 *
 * @example
 * ```ts
 * sessionHashOf({ 'session-id': '0199…' }, {}) === sessionHashOf({}, { prompt_cache_key: '0199…' }); // true
 * sessionHashOf({}, { model: 'gpt-5' }); // undefined
 * ```
 */
import { createHash } from 'node:crypto';

/** Web `Headers` or a Node-style record (`IncomingHttpHeaders`); names are matched case-insensitively. */
export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Checked in this order; the first one present and non-blank wins. */
export const SESSION_HEADERS = ['session-id', 'session_id', 'thread-id'] as const;

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = typeof value === 'string' ? value : value?.[0];
    if (first !== undefined) return first;
  }
  return undefined;
}

function nonBlank(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * sha256 hex of the client's session identity, or undefined when it sent none. `body` is the
 * parsed request body; anything but an object with a string `prompt_cache_key` is ignored.
 */
export function sessionHashOf(headers: HeaderSource, body: unknown): string | undefined {
  let identity: string | undefined;
  for (const name of SESSION_HEADERS) {
    identity = nonBlank(headerValue(headers, name));
    if (identity) break;
  }
  if (!identity && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    identity = nonBlank((body as Record<string, unknown>).prompt_cache_key);
  }
  return identity === undefined ? undefined : createHash('sha256').update(identity).digest('hex');
}
