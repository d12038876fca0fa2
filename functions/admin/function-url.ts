/**
 * The Function URL edge of the admin API: a payload-v2 event in, an {@link AdminRequest} out,
 * and the JSON {@link AdminResponse} back as a buffered Function URL result. The URL's auth type
 * is AWS_IAM, so Lambda has already checked the SigV4 signature and the caller's
 * `lambda:InvokeFunctionUrl` permission; the caller's ARN is kept for the audit log line.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AdminRequest, AdminResponse } from '#shared/admin-api/http.ts';

interface IamAuthorizer {
  iam?: { userArn?: string; callerId?: string };
}

export function toAdminRequest(event: APIGatewayProxyEventV2): AdminRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  const raw = event.body ?? '';
  const authorizer = (event.requestContext as { authorizer?: IamAuthorizer }).authorizer;
  const caller = authorizer?.iam?.userArn ?? authorizer?.iam?.callerId;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath || '/',
    query: { ...event.queryStringParameters },
    headers,
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    requestId: event.requestContext.requestId,
    ...(caller ? { caller } : {}),
  };
}

export function toFunctionUrlResult(response: AdminResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.status, headers: response.headers, body: response.body };
}
