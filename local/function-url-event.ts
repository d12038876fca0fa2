/**
 * What a Lambda Function URL hands the function: the API Gateway payload v2 event built from an
 * HTTP request, and the invocation context. Kept apart from the server so the mapping can be
 * read (and checked) against the AWS documentation on its own.
 *
 * @example
 * ```ts
 * const event = buildFunctionUrlEvent({ request: req, body, requestId, apiId: 'local' });
 * const context = createLambdaContext({ requestId, functionName: 'gateway', timeoutMs: 900_000 });
 * ```
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface FunctionUrlEventInput {
  request: IncomingMessage;
  body: Buffer;
  requestId: string;
  /** The URL id (`<url-id>.lambda-url.<region>.on.aws`); also `apiId` and `domainPrefix`. */
  apiId: string;
  now?: Date;
}

// Function URLs pass these as text; every other body (forms, octet-stream, no content type,
// anything content-encoded) arrives base64-encoded with `isBase64Encoded: true`.
const TEXT_TYPES = new Set(['application/json', 'application/javascript', 'application/xml']);

/** True when a Function URL would hand the body over as UTF-8 text rather than base64. */
export function isTextBody(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentEncoding && contentEncoding.trim().toLowerCase() !== 'identity') return false;
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type) return false;
  return type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml');
}

/** Builds the payload v2 event a Function URL would send for this request. */
export function buildFunctionUrlEvent(input: FunctionUrlEventInput): APIGatewayProxyEventV2 {
  const { request, body, requestId, apiId } = input;
  const now = input.now ?? new Date();
  const target = request.url ?? '/';
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : (target.slice(queryAt + 1).split('#')[0] ?? '');
  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const { headers, cookies } = collectHeaders(request.rawHeaders);
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(request.socket.localPort ?? '');
  headers['x-amzn-trace-id'] ??= traceId(now);
  const text = isTextBody(headers['content-type'], headers['content-encoding']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId,
      domainName: headers.host ?? `${apiId}.lambda-url.local.on.aws`,
      domainPrefix: apiId,
      http: {
        method: (request.method ?? 'GET').toUpperCase(),
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: body.length > 0 && !text,
  };
  if (cookies.length > 0) event.cookies = cookies;
  const query = queryParameters(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (body.length > 0) event.body = body.toString(text ? 'utf8' : 'base64');
  return event;
}

// Lower-cased names, repeated values joined with commas; the Cookie header becomes `cookies`.
function collectHeaders(rawHeaders: string[]): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((part) => part.trim())
          .filter(Boolean),
      );
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return { headers, cookies };
}

function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const previous = parameters[name];
    parameters[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return parameters;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `10/Apr/2022:13:30:05 +0000`, the request time format of payload v2. */
function clfTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  const day = `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}`;
  return `${day}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function traceId(date: Date): string {
  const epoch = Math.floor(date.getTime() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')}`;
}

export interface LambdaContextInput {
  requestId: string;
  functionName: string;
  timeoutMs: number;
  memoryLimitInMB?: number;
  now?: number;
}

/** The invocation context; `getRemainingTimeInMillis()` counts down from the function timeout. */
export function createLambdaContext(input: LambdaContextInput): Context {
  const deadline = (input.now ?? Date.now()) + input.timeoutMs;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not available to streaming handlers`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${input.functionName}`,
    memoryLimitInMB: String(input.memoryLimitInMB ?? 1024),
    awsRequestId: input.requestId,
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: `local/[$LATEST]${input.requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
