/**
 * The transport under the gateway's own AWS clients (DynamoDB's `DynamoJsonClient`, EventBridge's
 * `EventBridgeJsonClient`): an AWS JSON-protocol call is one POST of a JSON body with an
 * `X-Amz-Target` header, signed with SigV4 (sigv4.ts) and sent over node:http(s) with a keep-alive
 * agent. The AWS SDK runs a middleware stack of a dozen steps per request; on the gateway's hot
 * path that stack cost 0.7–0.9 ms of CPU per request against 0.17–0.28 ms for this on a loaded
 * machine (docs/benchmarks.md). Functions off the hot path keep the SDK.
 *
 * It retries as the SDK's standard mode does (json-client-errors.ts: throttling and transient
 * failures only, full-jitter backoff, a retry quota per client); `maxAttempts: 1` leaves retrying
 * to the caller. Its errors carry the service's type, message and status and the operation,
 * never a header or a credential.
 *
 * @example
 * ```ts
 * const events = new AwsJsonClient({
 *   endpoint: 'https://events.eu-west-1.amazonaws.com', region: 'eu-west-1', service: 'events',
 *   serviceName: 'EventBridge', targetPrefix: 'AWSEvents.', contentType: 'application/x-amz-json-1.1',
 *   credentials: { accessKeyId, secretAccessKey, sessionToken },
 * });
 * const answer = await events.send('PutEvents', JSON.stringify({ Entries: [...] }));
 * ```
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AwsServiceError,
  backoffMs,
  type RetryKind,
  RetryQuota,
  retryKindOf,
  serviceErrorOf,
} from './json-client-errors.ts';
import { type AwsCredentials, SigV4Signer } from './sigv4.ts';

export type { AwsCredentials } from './sigv4.ts';

export interface AwsJsonClientOptions {
  /** `https://<service>.<region>.amazonaws.com` on AWS, a local endpoint (`http://127.0.0.1:<port>`) otherwise. */
  endpoint: string;
  region: string;
  /** SigV4's service name (`dynamodb`, `events`). */
  service: string;
  /** How errors name the service (`DynamoDB answered HTTP 500`). */
  serviceName: string;
  /** Put before the operation in `X-Amz-Target` (`DynamoDB_20120810.`, `AWSEvents.`). */
  targetPrefix: string;
  /** `application/x-amz-json-1.0` or `-1.1`, as the service's protocol says. */
  contentType: string;
  credentials: AwsCredentials;
  /** Attempts per request, the first included; 3 as the SDK's standard mode. */
  maxAttempts?: number;
  /** [0, 1) like Math.random; draws the backoff delays. */
  random?: () => number;
}

/** The SDK's default for its Node handler: at most this many connections per client. */
const MAX_SOCKETS = 50;

export class AwsJsonClient {
  readonly #options: Required<Omit<AwsJsonClientOptions, 'endpoint'>>;
  readonly #url: URL;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;
  readonly #quota = new RetryQuota();
  readonly #signer: SigV4Signer;

  constructor(options: AwsJsonClientOptions) {
    this.#options = {
      ...options,
      credentials: { ...options.credentials },
      maxAttempts: options.maxAttempts ?? 3,
      random: options.random ?? Math.random,
    };
    this.#url = new URL(options.endpoint);
    const secure = this.#url.protocol === 'https:';
    this.#agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS })
      : new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS });
    this.#request = secure ? (httpsRequest as typeof httpRequest) : httpRequest;
    this.#signer = new SigV4Signer({
      service: options.service,
      region: options.region,
      host: this.#url.host,
      credentials: options.credentials,
    });
  }

  /**
   * Sends one operation (its JSON body already serialised), retrying throttling and transient
   * failures; answers the parsed answer, or throws the last attempt's error (an
   * {@link AwsServiceError} for an answer, Node's error for a connection that failed).
   */
  async send(operation: string, body: string): Promise<unknown> {
    let lastRetry: RetryKind | undefined;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const output = await this.#attempt(operation, body);
        this.#quota.succeeded(lastRetry);
        return output;
      } catch (error) {
        if (error instanceof AwsServiceError) error.$metadata.attempts = attempt;
        const kind = retryKindOf(error);
        if (!kind || attempt >= this.#options.maxAttempts || !this.#quota.spend(kind)) throw error;
        lastRetry = kind;
        await sleep(backoffMs(kind, attempt - 1, this.#options.random));
      }
    }
  }

  /** Closes the kept-alive connections; the client can still send (it opens new ones). */
  destroy(): void {
    this.#agent.destroy();
  }

  #attempt(operation: string, body: string): Promise<unknown> {
    const { serviceName, targetPrefix, contentType } = this.#options;
    const headers = this.#signer.sign(contentType, targetPrefix + operation, body);
    return new Promise((resolve, reject) => {
      const request = this.#request(
        {
          hostname: this.#url.hostname,
          port: this.#url.port,
          path: '/',
          method: 'POST',
          headers,
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
              const typeHeader = typeof type === 'string' ? type : undefined;
              reject(serviceErrorOf(serviceName, operation, status, typeHeader, text));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(serviceErrorOf(serviceName, operation, 502, undefined, 'the answer is not JSON'));
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
 * The credentials in the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and
 * `AWS_SESSION_TOKEN` when set), as Lambda gives a function its role's; `undefined` without them.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv): AwsCredentials | undefined {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/**
 * The function's own credentials and region from a Lambda environment (`AWS_REGION` and
 * {@link environmentCredentials}); throws naming what is missing and `alternative`, the local way
 * to run without them.
 */
export function lambdaCredentials(
  env: NodeJS.ProcessEnv,
  serviceName: string,
  alternative: string,
): { region: string; credentials: AwsCredentials } {
  const region = env.AWS_REGION;
  const credentials = environmentCredentials(env);
  if (!region || !credentials) {
    throw new Error(
      `${serviceName} needs AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them) or ${alternative}`,
    );
  }
  return { region, credentials };
}

/** The credentials a local endpoint (dynalite, a local PutEvents server) is given. */
export const LOCAL_CREDENTIALS: AwsCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
