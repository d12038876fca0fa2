/**
 * One DynamoDB document client per process, created lazily at module scope so a warm Lambda
 * reuses its connections. `DYNAMODB_ENDPOINT` points it at the local stack's dynalite.
 *
 * Every request the client sends is counted in `dynamoRequestCounter` (request-counter.ts), as
 * the gateway's JSON client's are (json-client.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countDynamoRequest } from './request-counter.ts';

let client: DynamoDBDocumentClient | undefined;

/**
 * Reads every DynamoDB number as a JavaScript number. The SDK's default turns a number past
 * 2^53 into a BigInt, which JSON cannot serialise: one such stored value (a balance pushed past
 * the limit by an old write or by hand) would make every listing that holds it fail. Writers keep
 * money within Number.MAX_SAFE_INTEGER (conditions on the stored value); a reader shows an
 * out-of-range value as the nearest number rather than crash.
 */
export function readNumber(text: string): number {
  return Number(text);
}

/** How every document client of quotagate translates items, the CLI's included. */
export const DOCUMENT_TRANSLATION = {
  marshallOptions: { removeUndefinedValues: true },
  unmarshallOptions: { wrapNumbers: readNumber },
} as const;

/**
 * The same translation for code that marshals whole items itself (`@aws-sdk/util-dynamodb`) to
 * send them through the gateway's JSON client (json-client.ts). Its own objects, with the
 * top-level map written out and read as a map: lib-dynamodb sets `convertTopLevelContainer` and
 * `convertWithoutMapWrapper` on the option objects a document client is given, the shared ones
 * above included, which would wrap a marshalled item in `{ M: … }` and unmarshal an item as a value.
 */
export const ITEM_TRANSLATION = {
  marshallOptions: { ...DOCUMENT_TRANSLATION.marshallOptions, convertTopLevelContainer: false },
  unmarshallOptions: { ...DOCUMENT_TRANSLATION.unmarshallOptions, convertWithoutMapWrapper: false },
} as const;

/**
 * Middleware of the SDK's default stack that quotagate's requests do not need, removed because
 * every DynamoDB request runs the whole stack (the gateway makes six or seven per request, and
 * their CPU is most of its own): the user-agent header (AWS-side statistics only), recursion
 * detection (it forwards a Lambda's X-Ray trace id, which only matters for calls that can invoke
 * the function again; DynamoDB cannot, and tracing is off) and the SDK's request logger (no logger
 * is configured, so it only wraps every call). Signing, retries and (de)serialisation stay.
 */
export const TRIMMED_MIDDLEWARE = [
  'getUserAgentMiddleware',
  'recursionDetectionMiddleware',
  'loggerMiddleware',
] as const;

export function createDocumentClient(endpoint = process.env.DYNAMODB_ENDPOINT): DynamoDBDocumentClient {
  const base = new DynamoDBClient({
    ...(endpoint
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
    maxAttempts: 3,
  });
  for (const name of TRIMMED_MIDDLEWARE) base.middlewareStack.remove(name);
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
      const table = input.TableName ?? Object.keys(input.RequestItems ?? {})[0];
      const settled = countDynamoRequest(context.commandName ?? 'unknown', table);
      if (!settled) return next(args);
      try {
        return await next(args);
      } finally {
        settled();
      }
    },
    { step: 'initialize', name: 'quotagateRequestCounter' },
  );
  return DynamoDBDocumentClient.from(base, DOCUMENT_TRANSLATION);
}

/** The process-wide client. */
export function documentClient(): DynamoDBDocumentClient {
  client ??= createDocumentClient();
  return client;
}
