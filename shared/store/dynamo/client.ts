/**
 * One DynamoDB document client per process, created lazily at module scope so a warm Lambda
 * reuses its connections. `DYNAMODB_ENDPOINT` points it at the local stack's dynalite.
 *
 * Every request the client sends is counted in `dynamoRequestCounter` (request-counter.ts), as
 * the gateway's JSON client's are (json-client.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DOCUMENT_TRANSLATION } from './item-forms.ts';
import { countDynamoRequest } from './request-counter.ts';
import { SdkDocumentClient } from './sdk-document-client.ts';

let client: SdkDocumentClient | undefined;

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

/**
 * A document client on the SDK, for the processes that keep it: it sends the stores' commands and
 * the SDK's own (sdk-document-client.ts).
 */
export function createDocumentClient(endpoint = process.env.DYNAMODB_ENDPOINT): SdkDocumentClient {
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
  return new SdkDocumentClient(DynamoDBDocumentClient.from(base, DOCUMENT_TRANSLATION));
}

/** The process-wide client. */
export function documentClient(): SdkDocumentClient {
  client ??= createDocumentClient();
  return client;
}
