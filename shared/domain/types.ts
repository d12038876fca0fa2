/**
 * The records quotagate keeps in its Config table, as the code sees them. Money is always an
 * integer count of nano-USD (`…Nano`, 1e-9 USD); times are epoch milliseconds unless named
 * `…At` in seconds for DynamoDB TTL (`expiresAt`).
 */

export type Status = 'active' | 'disabled';

export interface User {
  id: string;
  email: string;
  status: Status;
  /** Requests in flight at once; 0 means unlimited. */
  concurrency: number;
  balanceNano: number;
  createdAt: string;
  /** Alert when the balance falls below this (nano-USD); absent: the request defaults' threshold. */
  lowBalanceAlertNano?: number;
  /** ISO time the low-balance alert went out; a top-up removes it, re-arming the alert. */
  lowBalanceAlertedAt?: string;
  /** The alert record that took the last low-balance claim (set by the alert watch). */
  lowBalanceAlertRef?: string;
  /**
   * ISO time the user was archived: hidden from listings, disabled (every key refused), kept
   * with its usage history. Unarchiving removes it and leaves the user disabled.
   */
  archivedAt?: string;
}

export interface ApiKey {
  /** Public id (`key_…`), safe to show; the secret itself is never stored. */
  id: string;
  /** SHA-256 hex of the secret: the only form in which the key is kept. */
  hash: string;
  /** First characters of the secret, to recognise a key in listings. */
  prefix: string;
  userId: string;
  groupId: string;
  name: string;
  status: Status;
  createdAt: string;
  /** ISO date after which the key is refused with 403. */
  expiresAt?: string;
  /** Total USD the key may spend, in nano-USD. */
  quotaNano?: number;
  /** Models the key may call; absent means any model the group reaches. */
  allowedModels?: string[];
  /** CIDR blocks the key may be used from (normalised `address/prefix`); absent means anywhere. */
  allowedIps?: string[];
  /** Requests the key may start per UTC minute; absent means no limit. */
  requestsPerMinute?: number;
  /** USD the key may be billed per period (UTC day, ISO week, calendar month), beside `quotaNano`. */
  budget?: { period: BudgetPeriod; limitNano: number };
  /** Nano-USD this key has spent so far (kept by the recorder), counted against `quotaNano`. */
  usedNano?: number;
  /** ISO time the key was revoked: disabled for good (a disabled key without it can be enabled). */
  revokedAt?: string;
  /** Alert when the quota or budget reaches this percent (and at 100); absent: the defaults' (80). */
  alertPercent?: number;
  /** The highest quota level alerted so far (set by the alert watch). */
  quotaAlertPercent?: number;
  /** The budget period (its first day) and the highest level alerted in it. */
  budgetAlertPeriod?: string;
  budgetAlertPercent?: number;
  /** The alert records that took the last quota and budget claims (set by the alert watch). */
  quotaAlertRef?: string;
  budgetAlertRef?: string;
}

export type BillingMode = 'balance' | 'subscription';

export type BudgetPeriod = 'daily' | 'weekly' | 'monthly';

export interface Group {
  id: string;
  name: string;
  /** Multiplies the cost charged to a balance; 1 is list price. */
  rateMultiplier: number;
  billingMode: BillingMode;
  /** Subscription limits in nano-USD per window; absent means no limit. */
  dailyLimitNano?: number;
  weeklyLimitNano?: number;
  monthlyLimitNano?: number;
  createdAt: string;
}

export interface Subscription {
  userId: string;
  groupId: string;
  status: Status;
  /** ISO date the subscription ends. */
  expiresAt: string;
  createdAt: string;
  /**
   * Usage windows kept by the recorder, in nano-USD before the rate multiplier. A window starts
   * on first use and counts until `start + 24 h / 7 d / 30 d`; a request recorded after that
   * starts the next window. Absent start: the window has not started.
   */
  dailyWindowStartMs?: number;
  dailyUsedNano?: number;
  weeklyWindowStartMs?: number;
  weeklyUsedNano?: number;
  monthlyWindowStartMs?: number;
  monthlyUsedNano?: number;
  /** Everything ever counted against this subscription, never reset. */
  usedNano?: number;
}

export type AccountType = 'apikey' | 'oauth';

/** What either kind of account's credentials may add: how its traffic leaves. */
export interface EgressCredentials {
  /**
   * HTTP(S) proxy the account's upstream traffic goes through, so it keeps its own egress
   * address; may carry credentials (`http://user:pass@host:port`), so it is sealed like a key.
   */
  proxyUrl?: string;
}

export interface ApiKeyCredentials extends EgressCredentials {
  apiKey: string;
}

export interface OAuthCredentials extends EgressCredentials {
  accessToken: string;
  refreshToken?: string;
  chatgptAccountId?: string;
  /** ISO time the access token expires. */
  expiresAt?: string;
}

/** Why an account is not being scheduled right now; cleared by an admin or by time. */
export interface AccountHealth {
  /** Every state ends at `until`; an `error` without `until` stays until an admin clears it. */
  state: 'ok' | 'error' | 'rate_limited' | 'overloaded';
  reason?: string;
  /** Epoch ms the state ends and the next request re-checks the account. */
  until?: number;
  updatedAt?: string;
}

export interface Account {
  id: string;
  name: string;
  type: AccountType;
  /** Base URL of the upstream (API-key accounts; OAuth accounts default to the ChatGPT backend). */
  baseUrl?: string;
  credentials: ApiKeyCredentials | OAuthCredentials;
  status: Status;
  /** Lower is preferred. */
  priority: number;
  /** Requests in flight at once on this account. */
  concurrency: number;
  /** Requested model → upstream model. When non-empty, only these models are supported. */
  modelMapping: Record<string, string>;
  groupIds: string[];
  /** User-Agent sent upstream for this account instead of the client's. */
  userAgent?: string;
  /** The proxy's `scheme://host:port`, readable for admins; the full URL is `credentials.proxyUrl`. */
  proxyEndpoint?: string;
  /** Upstream statuses that mark the account (and only these); empty means by the error's meaning. */
  customErrorCodes?: number[];
  health: AccountHealth;
  /** Epoch ms of the last request served. */
  lastUsedAt?: number;
  /** The upstream's latest Codex usage-limit headers, normalised to its 5 h and 7 d windows. */
  codexUsage?: CodexUsageSnapshot;
  /** OAuth: failed token refreshes in a row since the last success; reset when one succeeds. */
  refreshFailures?: number;
  /** OAuth: why the last token refresh failed (no secret in it); removed when one succeeds. */
  refreshError?: string;
  /** OAuth: ISO time quotagate last refreshed the token. */
  tokenRefreshedAt?: string;
  createdAt: string;
}

/**
 * An account as the Config listing holds it (`tables/definitions.ts`): everything the gateway
 * schedules on, without the sealed credentials, which are read from the account item by key, and
 * without the Codex usage snapshot. `credentialsVersion` goes up with every write of the
 * credentials (absent: never rewritten since before it existed, version 0), so a reader holding
 * opened credentials knows from the listing whether they are still the stored ones.
 */
export type ListedAccount = Omit<Account, 'credentials' | 'codexUsage'> & { credentialsVersion?: number };

/** One Codex usage-limit window as the upstream reported it. */
export interface CodexUsageWindow {
  usedPercent?: number;
  resetAfterSeconds?: number;
  windowMinutes?: number;
  /** Epoch ms the window resets, computed from `resetAfterSeconds` and the response time. */
  resetsAt?: number;
}

/** The `x-codex-*` headers of the latest response, primary/secondary mapped to 5 h / 7 d. */
export interface CodexUsageSnapshot {
  fiveHour?: CodexUsageWindow;
  sevenDay?: CodexUsageWindow;
  primaryOverSecondaryPercent?: number;
  /** Epoch ms of the response the headers came with. */
  updatedAt: number;
}

/**
 * The defaults an admin sets for every request (the Config table's `SETTINGS` item), read and
 * cached by the gateway. Not the runtime settings of `shared/settings.ts`, which come from `QG_*`.
 */
export interface RequestDefaults {
  /** Instructions given to non-Codex clients; the built-in default is used when absent. */
  defaultInstructions?: string;
  /** Low-balance alert threshold of every user without one of their own (nano-USD); absent: none. */
  lowBalanceAlertNano?: number;
  /** The percent of a key's quota or budget at which it alerts first (besides 100); default 80. */
  keyAlertPercent?: number;
}
