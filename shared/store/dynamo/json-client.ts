/**
 * A small DynamoDB client for the gateway's hot path: each request is one JSON POST, signed with
 * SigV4 and sent over a keep-alive connection by the gateway's AWS JSON transport
 * (`shared/aws/aws-json-client.ts`). The AWS SDK's document client runs a middleware stack of a
 * dozen steps per request; on the gateway that stack was about 0.63 ms of CPU per DynamoDB request
 * against 0.28 ms for this (docs/benchmarks.md), and a gateway request makes six to eight of them.
 * The recorder sends its document commands through it too (`JsonDocumentClient`,
 * document-client.ts: about ten writes a request). The admin API, the token refresh and the CLI
 * keep the SDK (client.ts): a few requests a call, where that CPU does not matter.
 *
 * It keeps what the stores rely on: the SDK's standard retries (`shared/aws/json-client-errors.ts`:
 * three attempts, throttling and transient failures only, never a refused condition), errors named
 * after their DynamoDB type (so `isConditionFailure` holds for both clients), and the request
 * counter and observer of request-counter.ts, which count a request once whatever its attempts.
 * Items are written and read in DynamoDB's typed form (json-protocol.ts).
 *
 * Credentials: on Lambda the function's own, from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
 * and `AWS_SESSION_TOKEN`, in `AWS_REGION`; with `DYNAMODB_ENDPOINT` set (the local stack's
 * dynalite) fixed local ones, as the SDK client is given there.
 *
 * @example
 * ```ts
 * const client = dynamoJsonClient();
 * await client.request('DeleteItem', {
 *   TableName: settings.tables.state,
 *   Key: { pk: { S: 'SLOT#user#u_1' }, sk: { S: '000' } },
 * });
 * ```
 */
import {
  type AwsCredentials,
  AwsJsonClient,
  LOCAL_CREDENTIALS,
  lambdaCredentials,
} from '../../aws/aws-json-client.ts';
import type { Operation, OperationInput, OperationOutput } from './json-protocol.ts';
import { countDynamoRequest } from './request-counter.ts';

export interface DynamoJsonClientOptions {
  /** `https://dynamodb.<region>.amazonaws.com` on AWS, dynalite's `http://127.0.0.1:<port>` locally. */
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
  /** Attempts per request, the first included; 3 as the SDK's standard mode. */
  maxAttempts?: number;
  /** [0, 1) like Math.random; draws the backoff delays. */
  random?: () => number;
}

export class DynamoJsonClient {
  readonly #transport: AwsJsonClient;

  constructor(options: DynamoJsonClientOptions) {
    this.#transport = new AwsJsonClient({
      ...options,
      service: 'dynamodb',
      serviceName: 'DynamoDB',
      targetPrefix: 'DynamoDB_20120810.',
      contentType: 'application/x-amz-json-1.0',
    });
  }

  /**
   * Sends one operation, retrying throttling and transient failures; answers the operation's
   * output, or throws the last attempt's error (an `AwsServiceError` for an answer).
   */
  async request<O extends Operation>(operation: O, input: OperationInput<O>): Promise<OperationOutput<O>> {
    const table =
      'TableName' in input
        ? input.TableName
        : Object.keys((input as { RequestItems: object }).RequestItems)[0];
    const settled = countDynamoRequest(`${operation}Command`, table);
    try {
      return (await this.#transport.send(operation, JSON.stringify(input))) as OperationOutput<O>;
    } finally {
      settled?.();
    }
  }

  /** Closes the kept-alive connections; the client can still send (it opens new ones). */
  destroy(): void {
    this.#transport.destroy();
  }
}

/**
 * A client for this process's environment: the endpoint given (or `DYNAMODB_ENDPOINT`) with
 * local credentials, else DynamoDB's regional endpoint (or `AWS_ENDPOINT_URL_DYNAMODB`, the
 * SDK's own override) with the function's credentials.
 */
export function createDynamoJsonClient(
  endpoint = process.env.DYNAMODB_ENDPOINT,
  env: NodeJS.ProcessEnv = process.env,
): DynamoJsonClient {
  if (endpoint) {
    return new DynamoJsonClient({
      endpoint,
      region: env.AWS_REGION ?? 'local',
      credentials: LOCAL_CREDENTIALS,
    });
  }
  const { region, credentials } = lambdaCredentials(env, 'DynamoDB', 'DYNAMODB_ENDPOINT');
  return new DynamoJsonClient({
    endpoint: env.AWS_ENDPOINT_URL_DYNAMODB ?? `https://dynamodb.${region}.amazonaws.com`,
    region,
    credentials,
  });
}

let client: DynamoJsonClient | undefined;

/** The process-wide client, created on first use so a warm Lambda reuses its connections. */
export function dynamoJsonClient(): DynamoJsonClient {
  client ??= createDynamoJsonClient();
  return client;
}
