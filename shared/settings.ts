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

/**
 * The documented behaviour of every tunable: what a function does when its variable is unset.
 * The one place a default lives (no `??` at each use); the stack leaves a variable unset unless
 * its context key is given, so these are also the deployed defaults.
 */
export const RUNTIME_DEFAULTS = {
  bodyLimitBytes: FUNCTION_URL_PAYLOAD_LIMIT_BYTES,
  leaseSeconds: 90,
  userWaitSeconds: 30,
  accountWaitSeconds: 30,
  accountMaxWaiting: 20,
  stickyWaitSeconds: 45,
  stickyMaxWaiting: 3,
  pingIntervalSeconds: 10,
  firstByteTimeoutMs: 120_000,
  idleTimeoutMs: 120_000,
  rateLimitCooldownSeconds: 300,
  overloadCooldownSeconds: 600,
  accountErrorRecheckSeconds: 600,
  configCacheSeconds: 5,
  chatgptBaseUrl: 'https://chatgpt.com/backend-api/codex',
  oauthTokenUrl: 'https://auth.openai.com/oauth/token',
  oauthClientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
  oauthRefreshBeforeSeconds: 1800,
  oauthMaxFailures: 3,
  oauthTimeoutMs: 15_000,
} as const satisfies Partial<GatewaySettings>;

/** The settings a deployment may tune (stack context key = setting name). */
export type TunableSetting = keyof typeof RUNTIME_DEFAULTS;

type Parse<T> = (raw: string, name: string) => T;

/** Seconds may be fractional (tests wait half a second); never negative. */
const seconds: Parse<number> = (raw, name) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
};

/** Bytes, milliseconds and counts are whole numbers. */
const wholeNumber: Parse<number> = (raw, name) => {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative whole number, got "${raw}"`);
  return value;
};

const atLeastOne: Parse<number> = (raw, name) => {
  const value = wholeNumber(raw, name);
  if (value < 1) throw new Error(`${name} must be at least 1, got "${raw}"`);
  return value;
};

const httpUrl: Parse<string> = (raw, name) => {
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol))
    throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
};

const text: Parse<string> = (raw) => raw;

const usageRecordTtlDays: Parse<number> = (raw, name) => {
  const days = Number(raw);
  if (!Number.isSafeInteger(days) || days < MIN_USAGE_RECORD_TTL_DAYS) {
    throw new Error(
      `${name} must be a whole number of days, at least ${MIN_USAGE_RECORD_TTL_DAYS}, got "${raw}"`,
    );
  }
  return days;
};

/** One variable a function reads: how its text is parsed, and the tunable it sets if it is one. */
export interface RuntimeVariable {
  readonly parse: Parse<unknown>;
  /** The setting (and stack context key) it tunes; absent for wiring the stack sets itself. */
  readonly setting?: TunableSetting;
}

/**
 * Every `QG_*` variable a deployed function reads, and nothing else. The stack builds its context
 * keys from the tunable ones and an infra test checks that every variable it sets on a function
 * is listed here, so the stack cannot set a variable the code does not read. (The local stack's
 * own `QG_*` variables — ports, data directory, admin token — configure `npm start`, not a
 * function, and are not listed.)
 */
export const RUNTIME_VARIABLES = {
  // Wiring: names of the deployment's resources, set by the stack on the functions that use them.
  QG_STAGE: { parse: text },
  QG_CONFIG_TABLE: { parse: text },
  QG_STATE_TABLE: { parse: text },
  QG_USAGE_TABLE: { parse: text },
  QG_EVENT_BUS_NAME: { parse: text },
  QG_SECRETS_KEY_ID: { parse: text },
  QG_USAGE_TABLE_ARN: { parse: text },
  QG_EXPORT_BUCKET: { parse: text },
  QG_EXPORT_PREFIX: { parse: text },
  QG_USAGE_RECORD_TTL_DAYS: { parse: usageRecordTtlDays },
  // Tunables: set only when the stack context names them, else RUNTIME_DEFAULTS applies.
  QG_BODY_LIMIT_BYTES: { setting: 'bodyLimitBytes', parse: wholeNumber },
  QG_LEASE_SECONDS: { setting: 'leaseSeconds', parse: seconds },
  QG_USER_WAIT_SECONDS: { setting: 'userWaitSeconds', parse: seconds },
  QG_ACCOUNT_WAIT_SECONDS: { setting: 'accountWaitSeconds', parse: seconds },
  QG_ACCOUNT_MAX_WAITING: { setting: 'accountMaxWaiting', parse: wholeNumber },
  QG_STICKY_WAIT_SECONDS: { setting: 'stickyWaitSeconds', parse: seconds },
  QG_STICKY_MAX_WAITING: { setting: 'stickyMaxWaiting', parse: wholeNumber },
  QG_PING_INTERVAL_SECONDS: { setting: 'pingIntervalSeconds', parse: seconds },
  QG_FIRST_BYTE_TIMEOUT_MS: { setting: 'firstByteTimeoutMs', parse: wholeNumber },
  QG_IDLE_TIMEOUT_MS: { setting: 'idleTimeoutMs', parse: wholeNumber },
  QG_RATE_LIMIT_COOLDOWN_SECONDS: { setting: 'rateLimitCooldownSeconds', parse: seconds },
  QG_OVERLOAD_COOLDOWN_SECONDS: { setting: 'overloadCooldownSeconds', parse: seconds },
  QG_ACCOUNT_ERROR_RECHECK_SECONDS: { setting: 'accountErrorRecheckSeconds', parse: seconds },
  QG_CONFIG_CACHE_SECONDS: { setting: 'configCacheSeconds', parse: seconds },
  QG_CHATGPT_BASE_URL: { setting: 'chatgptBaseUrl', parse: text },
  QG_OAUTH_TOKEN_URL: { setting: 'oauthTokenUrl', parse: httpUrl },
  QG_OAUTH_CLIENT_ID: { setting: 'oauthClientId', parse: text },
  QG_OAUTH_REFRESH_BEFORE_SECONDS: { setting: 'oauthRefreshBeforeSeconds', parse: seconds },
  QG_OAUTH_MAX_FAILURES: { setting: 'oauthMaxFailures', parse: atLeastOne },
  QG_OAUTH_TIMEOUT_MS: { setting: 'oauthTimeoutMs', parse: wholeNumber },
} as const satisfies Record<`QG_${string}`, RuntimeVariable>;

export type RuntimeVariableName = keyof typeof RUNTIME_VARIABLES;

/** The variable that names each table to a function; the stack sets it with the table's grant. */
export const TABLE_VARIABLES = {
  config: 'QG_CONFIG_TABLE',
  state: 'QG_STATE_TABLE',
  usage: 'QG_USAGE_TABLE',
} as const satisfies Record<keyof TableNames, RuntimeVariableName>;

/** A variable's parsed value, or `undefined` when unset or empty (an empty value means "default"). */
export function readVariable<N extends RuntimeVariableName>(
  env: NodeJS.ProcessEnv,
  name: N,
): ReturnType<(typeof RUNTIME_VARIABLES)[N]['parse']> | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  return RUNTIME_VARIABLES[name].parse(raw, name) as ReturnType<(typeof RUNTIME_VARIABLES)[N]['parse']>;
}

/** A variable the stack always sets on the function that reads it; its absence is a deployment fault. */
export function requireVariable<N extends RuntimeVariableName>(
  env: NodeJS.ProcessEnv,
  name: N,
): ReturnType<(typeof RUNTIME_VARIABLES)[N]['parse']> {
  const value = readVariable(env, name);
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

/** The tunables: each from its variable when set, else from {@link RUNTIME_DEFAULTS}. */
function loadTunables(env: NodeJS.ProcessEnv): Record<TunableSetting, unknown> {
  const tunables: Record<string, unknown> = { ...RUNTIME_DEFAULTS };
  for (const [name, variable] of Object.entries(RUNTIME_VARIABLES) as [
    RuntimeVariableName,
    RuntimeVariable,
  ][]) {
    if (!variable.setting) continue;
    const value = readVariable(env, name);
    if (value !== undefined) tunables[variable.setting] = value;
  }
  return tunables as Record<TunableSetting, unknown>;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  const stage = readVariable(env, 'QG_STAGE') ?? 'local';
  return {
    ...(loadTunables(env) as Pick<GatewaySettings, TunableSetting>),
    tables: {
      config: readVariable(env, TABLE_VARIABLES.config) ?? `quotagate-${stage}-config`,
      state: readVariable(env, TABLE_VARIABLES.state) ?? `quotagate-${stage}-state`,
      usage: readVariable(env, TABLE_VARIABLES.usage) ?? `quotagate-${stage}-usage`,
    },
    eventBusName: readVariable(env, 'QG_EVENT_BUS_NAME') ?? `quotagate-${stage}`,
  };
}

/**
 * Days after which an applied usage record expires from the Usage table (`QG_USAGE_RECORD_TTL_DAYS`,
 * the stack's `usageRecordTtlDays`); `undefined`, the default, keeps records for ever. The S3
 * exports keep expired records. Never below {@link MIN_USAGE_RECORD_TTL_DAYS}: a redelivered event
 * of a record already deleted would be charged again, and the dead-letter queue keeps events 14 days.
 */
export function loadUsageRecordTtlDays(env: NodeJS.ProcessEnv = process.env): number | undefined {
  return readVariable(env, 'QG_USAGE_RECORD_TTL_DAYS');
}

/** Longer than the dead-letter queue's 14 days and the table's 35-day point-in-time window. */
export const MIN_USAGE_RECORD_TTL_DAYS = 35;
