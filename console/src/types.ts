/** The admin API's answers, as far as the console reads them. */
/** The usage summary's shapes, as the admin API defines them. */

/** An alert as `GET /admin/v1/alerts` lists it. */
export type { Alert } from '#shared/alerts/alert.ts';
export type {
  SeriesPoint,
  TopEntry,
  UsageCounters as Counters,
  UsageSummary,
} from '#shared/usage/usage-summary.ts';

export interface User {
  id: string;
  email: string;
  status: string;
  concurrency: number;
  balanceNano: number;
  createdAt: string;
  lowBalanceAlertNano?: number;
  archivedAt?: string;
  version?: number;
}

export interface ApiKey {
  id: string;
  prefix: string;
  userId: string;
  groupId: string;
  name: string;
  status: string;
  createdAt: string;
  expiresAt?: string;
  quotaNano?: number;
  usedNano?: number;
  allowedModels?: string[];
  allowedIps?: string[];
  requestsPerMinute?: number;
  budget?: { period: string; limitNano: number };
  alertPercent?: number;
  revokedAt?: string;
  version?: number;
}

export interface Subscription {
  userId: string;
  groupId: string;
  status: string;
  expiresAt: string;
}

export interface Group {
  id: string;
  name: string;
  rateMultiplier: number;
  billingMode: string;
  dailyLimitNano?: number;
  weeklyLimitNano?: number;
  monthlyLimitNano?: number;
}

export interface Account {
  id: string;
  name: string;
  type: string;
  baseUrl?: string;
  status: string;
  priority: number;
  concurrency: number;
  modelMapping: Record<string, string>;
  groupIds: string[];
  version?: number;
}

export interface CodexWindow {
  usedPercent: number | null;
  resetsAt: string | null;
}

export interface AccountHealth {
  accountId: string;
  state: string;
  reason: string | null;
  until: string | null;
  coolingDown: boolean;
  schedulable: boolean;
  codexUsage: { fiveHour: CodexWindow | null; sevenDay: CodexWindow | null } | null;
  inFlight: number;
  waiting: number;
  concurrency: number;
}

export interface UsageRecord {
  requestId: string;
  startedAt: string;
  userId: string;
  apiKeyId: string;
  accountId: string;
  modelRequested: string;
  inputTokens: number;
  outputTokens: number;
  costNano: number;
  billedNano: number;
  status: number;
  durationMs: number;
  [field: string]: unknown;
}

export interface OpsRecord {
  requestId: string;
  time: string;
  route: string;
  status: number;
  errorType: string;
  message: string;
  userId?: string;
  apiKeyId?: string;
  accountId?: string;
  latencyMs: number;
}

export interface List<T> {
  data: T[];
  nextCursor?: string;
}
