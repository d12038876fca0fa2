/**
 * The Function URL edge of the gateway: a payload-v2 event in, a {@link GatewayRequest} out,
 * and the core's {@link GatewayResponse} back as middy's streaming response (status and headers
 * leave with the prelude, the body is piped with backpressure).
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { GatewayRequest, GatewayResponse } from '#shared/gateway/http.ts';
import { deadlineFrom } from '#shared/runtime/deadline.ts';

export interface StreamingResult {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

/** The local Function URL server adds `clientGone` to the context; Lambda's context has none. */
export type GatewayContext = Pick<Context, 'getRemainingTimeInMillis'> & { clientGone?: AbortSignal };

export function toGatewayRequest(event: APIGatewayProxyEventV2, context: GatewayContext): GatewayRequest {
  const receivedAt = Date.now();
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const raw = event.body ?? '';
  // The request keeps the body as bytes. The event stays referenced for the whole stream, so its
  // copy is let go: a 6 MB body held twice for minutes is memory the function is sized for.
  event.body = undefined;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath || '/',
    headers,
    body: Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8'),
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    receivedAt,
    deadlineAt: deadlineFrom(context, 0, receivedAt),
    sourceIp: event.requestContext.http.sourceIp,
    ...(context.clientGone ? { clientGone: context.clientGone } : {}),
  };
}

export function toStreamingResult(response: GatewayResponse): StreamingResult {
  return { statusCode: response.status, headers: response.headers, body: response.body };
}
