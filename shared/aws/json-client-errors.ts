/**
 * What the gateway's JSON clients ({@link AwsJsonClient} under DynamoDB's and EventBridge's) make
 * of a failed request, following the AWS SDK's standard retry mode so that moving a request off
 * the SDK changes neither which failures are retried nor how callers tell them apart:
 *
 * - a service error becomes an {@link AwsServiceError} named after its error type
 *   (`ConditionalCheckFailedException`, …), as the SDK's exception classes are, so
 *   `isConditionFailure` (condition-failure.ts) reads both alike;
 * - throttling (HTTP 429 or a throttling type) is retried with a 500 ms backoff base, transient
 *   failures (HTTP 500/502/503/504, a dropped or refused connection, a timeout) with a 100 ms
 *   base, each delay drawn at random below base × 2^retry ("full jitter"), capped at 20 s;
 * - every other error (a refused condition, a validation error) is final at once: a conditional
 *   write whose condition failed must never be sent again;
 * - retries spend a process-wide quota (500 tokens; 5 a throttling retry, 10 a transient one; a
 *   success gives back what its last retry took, or 1), so an outage turns into fast failures instead
 *   of three times the traffic.
 *
 * Nothing here holds or prints a request's headers: an error carries the service's type, its
 * message and status, never the Authorization header or a credential.
 *
 * @example
 * ```ts
 * const quota = new RetryQuota();
 * const kind = retryKindOf(error); // 'throttling' | 'transient' | undefined
 * if (kind && quota.spend(kind)) await sleep(backoffMs(kind, retries));
 * ```
 */

/** An error an AWS service answered with, named after its type as the SDK's exceptions are. */
export class AwsServiceError extends Error {
  /** The HTTP status and the attempts made, in the SDK's shape (`$metadata.httpStatusCode`). */
  readonly $metadata: { httpStatusCode: number; attempts: number };
  /** The operation that failed (`PutItem`, …). */
  readonly operation: string;

  constructor(operation: string, type: string, message: string, status: number) {
    super(message);
    this.name = type;
    this.operation = operation;
    this.$metadata = { httpStatusCode: status, attempts: 1 };
  }
}

/**
 * The error type of an answer: the `x-amzn-ErrorType` header, else the body's `__type` (or
 * `code`), without the namespace before `#` or the URL after `:`
 * (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` → the last part).
 */
export function errorTypeOf(header: string | undefined, body: Record<string, unknown>): string | undefined {
  const raw = header ?? stringOf(body.__type) ?? stringOf(body.code);
  if (!raw) return undefined;
  const type = raw.split(',')[0]?.split(':')[0] ?? '';
  return type.includes('#') ? type.slice(type.lastIndexOf('#') + 1) : type;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The error for a non-200 answer of `service` (`DynamoDB`, `EventBridge`). An answer that is not
 * JSON (a proxy's page) is read as `{}`.
 */
export function serviceErrorOf(
  service: string,
  operation: string,
  status: number,
  errorTypeHeader: string | undefined,
  text: string,
): AwsServiceError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status alone says what happened.
  }
  const type = errorTypeOf(errorTypeHeader, body) ?? (status >= 500 ? 'InternalServerError' : 'UnknownError');
  const message = stringOf(body.message) ?? stringOf(body.Message) ?? `${service} answered HTTP ${status}`;
  return new AwsServiceError(operation, type, message, status);
}

const THROTTLING_TYPES = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'TransactionInProgressException',
  'RequestThrottled',
  'RequestThrottledException',
  'ThrottledException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
]);
const TRANSIENT_TYPES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
/** Node's codes for a connection that broke, was refused, timed out or could not be routed. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

export type RetryKind = 'throttling' | 'transient';

/** Whether a failed attempt may be sent again, and with which backoff; `undefined` when final. */
export function retryKindOf(error: unknown): RetryKind | undefined {
  if (error instanceof AwsServiceError) {
    if (error.$metadata.httpStatusCode === 429 || THROTTLING_TYPES.has(error.name)) return 'throttling';
    if (TRANSIENT_STATUSES.has(error.$metadata.httpStatusCode) || TRANSIENT_TYPES.has(error.name)) {
      return 'transient';
    }
    return undefined;
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code) ? 'transient' : undefined;
}

const BASE_MS: Record<RetryKind, number> = { throttling: 500, transient: 100 };
const MAX_DELAY_MS = 20_000;

/** The pause before retry number `retries + 1` (0 for the first retry): full jitter. */
export function backoffMs(kind: RetryKind, retries: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_MS[kind] * 2 ** retries));
}

const QUOTA_TOKENS = 500;
const RETRY_COST: Record<RetryKind, number> = { throttling: 5, transient: 10 };

/** The retry budget of one client, refilled by successes. */
export class RetryQuota {
  #tokens = QUOTA_TOKENS;

  /** Takes the cost of one retry; false when the quota cannot pay for it (do not retry). */
  spend(kind: RetryKind): boolean {
    const cost = RETRY_COST[kind];
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /** A request succeeded: give back what its last retry took, or one token when it had none. */
  succeeded(lastRetry: RetryKind | undefined): void {
    this.#tokens = Math.min(QUOTA_TOKENS, this.#tokens + (lastRetry ? RETRY_COST[lastRetry] : 1));
  }
}
