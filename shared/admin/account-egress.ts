/**
 * How an account's upstream traffic leaves: the User-Agent it sends and the HTTP(S) proxy it goes
 * through. The proxy URL may carry the proxy's user name and password, so it is a secret: stored
 * sealed in the account's credentials, never shown; admins see only its `scheme://host:port`.
 *
 * @example
 * ```ts
 * parseProxyUrl('http://acct1:pw@10.0.0.7:3128'); // 'http://acct1:pw@10.0.0.7:3128'
 * proxyEndpointOf('http://acct1:pw@10.0.0.7:3128'); // 'http://10.0.0.7:3128'
 * ```
 */
import { AdminError } from './admin-error.ts';
import { requireText } from './fields.ts';

const USER_AGENT_MAX_LENGTH = 512;

/** A User-Agent header value: visible ASCII and spaces, nothing that could split a header. */
export function parseUserAgent(value: string): string {
  const text = requireText(value, 'User-Agent', USER_AGENT_MAX_LENGTH);
  if (!/^[\x20-\x7e]+$/.test(text))
    throw AdminError.invalid('User-Agent must be printable ASCII on one line.');
  return text;
}

/**
 * An `http://` or `https://` proxy with a host and, optionally, `user:password@`; nothing after
 * the port. Messages never repeat the value: it may hold a password.
 */
export function parseProxyUrl(value: string): string {
  const text = requireText(value, 'Proxy URL', 2000);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw AdminError.invalid(
      'Proxy URL must be an http:// or https:// URL such as http://user:pass@host:3128.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw AdminError.invalid('Proxy URL must start with http:// or https://.');
  if (url.hostname === '') throw AdminError.invalid('Proxy URL must name a host.');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw AdminError.invalid('Proxy URL must end after its host and port (no path, query or fragment).');
  return text.replace(/\/+$/, '');
}

/** The proxy as admins may see it: scheme, host and port, without user name or password. */
export function proxyEndpointOf(proxyUrl: string): string {
  const url = new URL(proxyUrl);
  return `${url.protocol}//${url.host}`;
}
