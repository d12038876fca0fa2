/** The fixed headers and frames of the gateway's own SSE output. */
export function sseHeaders(requestId: string): Record<string, string> {
  return {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': requestId,
  };
}

/** An SSE comment: keeps a waiting client's connection (and its proxies) from timing out. */
export const SSE_PING = ':\n\n';
