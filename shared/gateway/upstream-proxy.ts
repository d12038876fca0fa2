/**
 * Upstream calls of an account with an outbound proxy: undici's ProxyAgent, one per proxy URL for
 * the process. The proxy is always asked to tunnel (CONNECT), for http upstreams too, so the
 * upstream sees one egress address whatever its scheme and the proxy never reads the traffic.
 *
 * undici is imported on the first such call, never before: the gateway's Lambda bundle leaves it
 * out and ships it beside the bundle (`GATEWAY_NODE_MODULES` in infra/bundling.ts), so a cold
 * start of a deployment without proxies never reads it. Errors are undici's own; the caller
 * (`upstream-client.ts`) sorts them by their `code`.
 */
import type { ProxyAgent } from 'undici';
import type { UpstreamTarget } from './upstream-request.ts';

type Undici = typeof import('undici');

let loading: Promise<Undici> | undefined;
const proxies = new Map<string, ProxyAgent>();

function loadUndici(): Promise<Undici> {
  // External in the Lambda bundle, so this stays a load from disk on first need.
  loading ??= import('undici');
  // A failed load is retried by the next caller, not remembered.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

export async function sendThroughProxy(
  target: UpstreamTarget,
  body: Buffer,
  proxyUrl: string,
  options: { signal: AbortSignal; firstByteTimeoutMs: number; idleTimeoutMs: number },
) {
  const undici = await loadUndici();
  let dispatcher = proxies.get(proxyUrl);
  if (!dispatcher) {
    dispatcher = new undici.ProxyAgent({ uri: proxyUrl, proxyTunnel: true });
    proxies.set(proxyUrl, dispatcher);
  }
  const response = await undici.request(target.url, {
    method: 'POST',
    headers: target.headers,
    body,
    signal: options.signal,
    dispatcher,
    headersTimeout: options.firstByteTimeoutMs,
    bodyTimeout: options.idleTimeoutMs,
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}
