/**
 * Runtime settings read once from the environment. The CDK stack sets these variables on each
 * function; the local stack sets them before it loads a handler. Defaults are the documented
 * behaviour, so an unset variable never means "off" by accident.
 *
 * @example
 * ```ts
 * const settings = loadSettings(); settings.bodyLimitBytes; // 6 MiB unless QG_BODY_LIMIT_BYTES
 * ```
 */
import type { TableNames } from './tables/definitions.ts';

/** How OAuth (ChatGPT) account tokens are refreshed; read by the gateway and the token-refresh function. */
/**
 * The largest invocation payload a Lambda Function URL delivers (the event: body, headers and
 * request context); AWS refuses a larger one before the function runs. The default body limit,
 * since a larger one could never apply; the local Function URL server enforces it on the event.
 */
export const FUNCTION_URL_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

export interface OAuthRefreshSettings {
  /** OAuth token endpoint (Codex CLI's: https://auth.openai.com/oauth/token). */
  oauthTokenUrl: string;
  /** OAuth client id the refresh tokens were issued to (Codex CLI's public client). */
  oauthClientId: string;
  /** The schedule refreshes tokens that expire within this many seconds. */
  oauthRefreshBeforeSeconds: number;
  /** Consecutive failed refreshes that put an account in error state (invalid_grant does at once). */
  oauthMaxFailures: number;
  /** Time allowed for one call to the token endpoint. */
  oauthTimeoutMs: number;
}

export interface GatewaySettings extends OAuthRefreshSettings {
  tables: TableNames;
  /** Largest request body accepted, in bytes (413 past it). */
  bodyLimitBytes: number;
  /** Slot lease period; a crashed holder's slot frees itself within this. */
  leaseSeconds: number;
  /** How long a request waits for a user slot before 429. */
  userWaitSeconds: number;
  /** How long a request waits for an account slot before 429. */
  accountWaitSeconds: number;
  /** Requests that may wait for a full account at once. */
  accountMaxWaiting: number;
  /**
   * How long a request waits for its session's sticky account when that account is full, before
   * the session moves (losing the account's prompt cache); 0 moves at once.
   */
  stickyWaitSeconds: number;
  /** A full sticky account is waited for only while fewer than this many requests wait for it. */
  stickyMaxWaiting: number;
  /** SSE comment ping interval while a streaming request waits; 0 disables pings. */
  pingIntervalSeconds: number;
  /** Upstream: time allowed until response headers arrive. */
  firstByteTimeoutMs: number;
  /** Upstream: longest silence allowed between two body chunks. */
  idleTimeoutMs: number;
  /** Cooldown for a 429 that gives no reset time. */
  rateLimitCooldownSeconds: number;
  /** Cooldown after a 529. */
  overloadCooldownSeconds: number;
  /** How long an account-level upstream error (revoked key, no quota) keeps the account out before a request re-checks it. */
  accountErrorRecheckSeconds: number;
  /** Seconds config items may be served from memory. */
  configCacheSeconds: number;
  /** ChatGPT Codex backend used by OAuth accounts without a base URL of their own. */
  chatgptBaseUrl: string;
  /** EventBridge bus the usage events go to. */
  eventBusName: string;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const stage = env.QG_STAGE ?? 'local';
  return {
    tables: {
      config: env.QG_CONFIG_TABLE ?? `quotagate-${stage}-config`,
      state: env.QG_STATE_TABLE ?? `quotagate-${stage}-state`,
      usage: env.QG_USAGE_TABLE ?? `quotagate-${stage}-usage`,
    },
    bodyLimitBytes: int(env, 'QG_BODY_LIMIT_BYTES', FUNCTION_URL_PAYLOAD_LIMIT_BYTES),
    leaseSeconds: int(env, 'QG_LEASE_SECONDS', 90),
    userWaitSeconds: int(env, 'QG_USER_WAIT_SECONDS', 30),
    accountWaitSeconds: int(env, 'QG_ACCOUNT_WAIT_SECONDS', 30),
    accountMaxWaiting: int(env, 'QG_ACCOUNT_MAX_WAITING', 20),
    stickyWaitSeconds: int(env, 'QG_STICKY_WAIT_SECONDS', 45),
    stickyMaxWaiting: int(env, 'QG_STICKY_MAX_WAITING', 3),
    pingIntervalSeconds: int(env, 'QG_PING_INTERVAL_SECONDS', 10),
    firstByteTimeoutMs: int(env, 'QG_FIRST_BYTE_TIMEOUT_MS', 120_000),
    idleTimeoutMs: int(env, 'QG_IDLE_TIMEOUT_MS', 120_000),
    rateLimitCooldownSeconds: int(env, 'QG_RATE_LIMIT_COOLDOWN_SECONDS', 300),
    overloadCooldownSeconds: int(env, 'QG_OVERLOAD_COOLDOWN_SECONDS', 600),
    accountErrorRecheckSeconds: int(env, 'QG_ACCOUNT_ERROR_RECHECK_SECONDS', 600),
    configCacheSeconds: int(env, 'QG_CONFIG_CACHE_SECONDS', 5),
    chatgptBaseUrl: env.QG_CHATGPT_BASE_URL ?? 'https://chatgpt.com/backend-api/codex',
    eventBusName: env.QG_EVENT_BUS_NAME ?? `quotagate-${stage}`,
    oauthTokenUrl: httpUrl(env, 'QG_OAUTH_TOKEN_URL', 'https://auth.openai.com/oauth/token'),
    oauthClientId: env.QG_OAUTH_CLIENT_ID || 'app_EMoamEEZ73f0CkXaXp7hrann',
    oauthRefreshBeforeSeconds: int(env, 'QG_OAUTH_REFRESH_BEFORE_SECONDS', 1800),
    oauthMaxFailures: atLeastOne(env, 'QG_OAUTH_MAX_FAILURES', 3),
    oauthTimeoutMs: int(env, 'QG_OAUTH_TIMEOUT_MS', 15_000),
  };
}

/**
 * Days after which an applied usage record expires from the Usage table (`QG_USAGE_RECORD_TTL_DAYS`,
 * the stack's `usageRecordTtlDays`); `undefined`, the default, keeps records for ever. The S3
 * exports keep expired records. Never below {@link MIN_USAGE_RECORD_TTL_DAYS}: a redelivered event
 * of a record already deleted would be charged again, and the dead-letter queue keeps events 14 days.
 */
export function loadUsageRecordTtlDays(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.QG_USAGE_RECORD_TTL_DAYS;
  if (raw === undefined || raw === '') return undefined;
  const days = Number(raw);
  if (!Number.isSafeInteger(days) || days < MIN_USAGE_RECORD_TTL_DAYS) {
    throw new Error(
      `QG_USAGE_RECORD_TTL_DAYS must be a whole number of days, at least ${MIN_USAGE_RECORD_TTL_DAYS}, got "${raw}"`,
    );
  }
  return days;
}

/** Longer than the dead-letter queue's 14 days and the table's 35-day point-in-time window. */
export const MIN_USAGE_RECORD_TTL_DAYS = 35;

function atLeastOne(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = int(env, name, fallback);
  if (value < 1) throw new Error(`${name} must be at least 1, got "${env[name]}"`);
  return value;
}

function httpUrl(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol))
    throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
}
