/**
 * A small DynamoDB client for the gateway's hot path: each request is one JSON POST, signed with
 * SigV4 by `aws4` and sent over node:http(s) with a keep-alive agent. The AWS SDK's document
 * client runs a middleware stack of a dozen steps per request; on the gateway that stack was
 * about 0.63 ms of CPU per DynamoDB request against 0.28 ms for this (docs/benchmarks.md), and a
 * gateway request makes six to eight of them. The recorder, the admin API and the other functions
 * keep the SDK (client.ts), where that CPU does not matter.
 *
 * It keeps what the stores rely on: the SDK's standard retries (json-client-errors.ts: three
 * attempts, throttling and transient failures only, never a refused condition), errors named
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
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import aws4 from 'aws4';
import {
  backoffMs,
  DynamoServiceError,
  type RetryKind,
  RetryQuota,
  retryKindOf,
  serviceErrorOf,
} from './json-client-errors.ts';
import type { Operation, OperationInput, OperationOutput } from './json-protocol.ts';
import { countDynamoRequest } from './request-counter.ts';

export interface DynamoCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface DynamoJsonClientOptions {
  /** `https://dynamodb.<region>.amazonaws.com` on AWS, dynalite's `http://127.0.0.1:<port>` locally. */
  endpoint: string;
  region: string;
  credentials: DynamoCredentials;
  /** Attempts per request, the first included; 3 as the SDK's standard mode. */
  maxAttempts?: number;
  /** [0, 1) like Math.random; draws the backoff delays. */
  random?: () => number;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** The SDK's default for its Node handler: at most this many connections per client. */
const MAX_SOCKETS = 50;

export class DynamoJsonClient {
  readonly #url: URL;
  readonly #region: string;
  readonly #credentials: DynamoCredentials;
  readonly #maxAttempts: number;
  readonly #random: () => number;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  readonly #quota = new RetryQuota();

  constructor(options: DynamoJsonClientOptions) {
    this.#url = new URL(options.endpoint);
    this.#region = options.region;
    this.#credentials = { ...options.credentials };
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#random = options.random ?? Math.random;
    const secure = this.#url.protocol === 'https:';
    this.#agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS })
      : new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    this.#request = secure ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  /**
   * Sends one operation, retrying throttling and transient failures; answers the operation's
   * output, or throws the last attempt's error (a {@link DynamoServiceError} for an answer).
   */
  async request<O extends Operation>(operation: O, input: OperationInput<O>): Promise<OperationOutput<O>> {
    const table =
      'TableName' in input
        ? input.TableName
        : Object.keys((input as { RequestItems: object }).RequestItems)[0];
    const settled = countDynamoRequest(`${operation}Command`, table);
    try {
      return (await this.#sendWithRetries(operation, JSON.stringify(input))) as OperationOutput<O>;
    } finally {
      settled?.();
    }
  }

  /** Closes the kept-alive connections; the client can still send (it opens new ones). */
  destroy(): void {
    this.#agent.destroy();
  }

  async #sendWithRetries(operation: Operation, body: string): Promise<unknown> {
    let lastRetry: RetryKind | undefined;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const output = await this.#attempt(operation, body);
        this.#quota.succeeded(lastRetry);
        return output;
      } catch (error) {
        if (error instanceof DynamoServiceError) error.$metadata.attempts = attempt;
        const kind = retryKindOf(error);
        if (!kind || attempt >= this.#maxAttempts || !this.#quota.spend(kind)) throw error;
        lastRetry = kind;
        await sleep(backoffMs(kind, attempt - 1, this.#random));
      }
    }
  }

  #attempt(operation: Operation, body: string): Promise<unknown> {
    const signed = aws4.sign(
      {
        host: this.#url.host,
        path: '/',
        method: 'POST',
        service: 'dynamodb',
        region: this.#region,
        headers: { 'Content-Type': CONTENT_TYPE, 'X-Amz-Target': TARGET_PREFIX + operation },
        body,
      },
      this.#credentials,
    );
    return new Promise((resolve, reject) => {
      const request = this.#request(
        {
          hostname: this.#url.hostname,
          port: this.#url.port,
          path: '/',
          method: 'POST',
          headers: signed.headers,
          agent: this.#agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          // A connection dropped mid-answer ends in 'error' (ECONNRESET), not 'end'.
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status !== 200) {
              const type = response.headers['x-amzn-errortype'];
              reject(serviceErrorOf(operation, status, typeof type === 'string' ? type : undefined, text));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(serviceErrorOf(operation, 502, undefined, 'the answer is not JSON'));
            }
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
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
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }
  const region = env.AWS_REGION;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!region || !accessKeyId || !secretAccessKey) {
    throw new Error(
      'DynamoDB needs AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them) or DYNAMODB_ENDPOINT',
    );
  }
  return new DynamoJsonClient({
    endpoint: env.AWS_ENDPOINT_URL_DYNAMODB ?? `https://dynamodb.${region}.amazonaws.com`,
    region,
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    },
  });
}

let client: DynamoJsonClient | undefined;

/** The process-wide client, created on first use so a warm Lambda reuses its connections. */
export function dynamoJsonClient(): DynamoJsonClient {
  client ??= createDynamoJsonClient();
  return client;
}
