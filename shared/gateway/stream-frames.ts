/** The fixed headers and frames of the gateway's own SSE output. */
export function sseHeaders(requestId: string): Record<string, string> {
  return {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // nginx and other buffering proxies in front of the gateway must pass frames on as they come.
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  };
}

/** An SSE comment: keeps a waiting client's connection (and its proxies) from timing out. */
export const SSE_PING = ':\n\n';
