/**
 * The deployment's configuration, read once from CDK context (`cdk.json` or `-c key=value`).
 * Every key is documented in docs/configuration.md. Runtime tunables are handed to the gateway
 * as the `QG_*` environment variables that `loadSettings` reads, and validated here with that
 * same function, so a value the gateway would reject fails `cdk synth`, not the first request.
 *
 * @example
 * ```ts
 * const config = readStackConfig(app.node); // `npx cdk synth -c stage=prod -c leaseSeconds=60`
 * config.stage; // 'prod'
 * config.gatewayEnvironment.QG_LEASE_SECONDS; // '60'
 * ```
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import {
  loadSettings,
  loadUsageRecordTtlDays,
  MIN_USAGE_RECORD_TTL_DAYS,
  RUNTIME_VARIABLES,
  type RuntimeVariable,
  type RuntimeVariableName,
  type TunableSetting,
} from '#shared/settings.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface StackConfig {
  /** Deployment name: part of every table, bus, queue and dashboard name. */
  readonly stage: string;
  /** Reserved concurrency of the gateway; `undefined` leaves it on the account's unreserved pool. */
  readonly gatewayReservedConcurrency: number | undefined;
  /** Powertools and Lambda application log level of every function. */
  readonly logLevel: LogLevel;
  /** Days the functions' log groups keep their events. */
  readonly logRetention: RetentionDays;
  /** SNS topic every alarm notifies; `undefined` leaves alarms without actions. */
  readonly alarmTopicArn: string | undefined;
  /** The gateway's runtime tunables from context, keyed by the environment variable they set. */
  readonly gatewayEnvironment: Readonly<Record<string, string>>;
  /** Where the alarms on the gateway's and recorder's own metrics fire. */
  readonly alarmThresholds: AlarmThresholds;
  /** The Usage table's exports to S3 and the SQL over them (docs/finance.md, docs/deploy.md). */
  readonly usageExports: UsageExportConfig;
  /**
   * Keep the Config table's old `gsi1` index (projection ALL) beside `listing`: the first step of
   * upgrading a deployment made before `listing` (docs/deploy.md). Context `keepLegacyConfigIndex`.
   */
  readonly keepLegacyConfigIndex: boolean;
  /**
   * Keep the Usage table's old `gsi1` index (projection ALL) beside its `listing`: the first step
   * of the same upgrade for the Usage table (docs/deploy.md). Context `keepLegacyUsageIndex`.
   */
  readonly keepLegacyUsageIndex: boolean;
}

export interface UsageExportConfig {
  /** Days after which export files move to S3 Standard-IA. Context `usageExportInfrequentAccessDays`. */
  readonly infrequentAccessAfterDays: number;
  /** Hours the completed exports may lag before an alarm. Context `usageExportLagAlarmHours`. */
  readonly lagAlarmHours: number;
  /**
   * Days after which applied usage records expire from the Usage table (the exports keep them);
   * `undefined`, the default, keeps them. Context `usageRecordTtlDays`.
   */
  readonly recordTtlDays: number | undefined;
}

/** The export settings when the context sets none. */
export const DEFAULT_USAGE_EXPORTS: UsageExportConfig = {
  // S3 refuses a Standard-IA transition before 30 days.
  infrequentAccessAfterDays: 30,
  recordTtlDays: undefined,
  // The previous day's export starts at 00:30 UTC; its data then ends 24.5 h ago and usually
  // completes within the hour. 30 h leaves several hours for a slow export before waking anyone.
  lagAlarmHours: 30,
};

/** Thresholds of the alarms on the EMF metrics (see infra/constructs/monitoring.ts). */
export interface AlarmThresholds {
  /**
   * Percent of gateway requests (per 5 minutes) that ended in a server-side error (`api_error`,
   * `upstream_error`) above which `gateway-server-error-rate` fires. Context `alarmServerErrorRatePercent`.
   */
  readonly serverErrorRatePercent: number;
  /**
   * Requests per 5 minutes below which the rate counts as 0: a few failures of a quiet
   * deployment do not wake anyone. Context `alarmServerErrorMinRequests`.
   */
  readonly serverErrorMinRequests: number;
  /** p99 recorder lag (seconds) above which `recorder-lag` fires. Context `alarmRecorderLagSeconds`. */
  readonly recorderLagSeconds: number;
}

/** The thresholds when the context sets none; docs/operations.md explains the choice. */
export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  serverErrorRatePercent: 5,
  serverErrorMinRequests: 10,
  recorderLagSeconds: 300,
};

/**
 * Context keys that tune the gateway at runtime, and the variable each one sets: every tunable of
 * `RUNTIME_VARIABLES` (shared/settings.ts), keyed by its setting name. A key absent from context
 * leaves its variable unset, so the runtime default applies.
 */
export const RUNTIME_CONTEXT_KEYS: Readonly<Record<TunableSetting, RuntimeVariableName>> = Object.fromEntries(
  Object.entries(RUNTIME_VARIABLES).flatMap(([name, variable]: [string, RuntimeVariable]) =>
    variable.setting ? [[variable.setting, name]] : [],
  ),
) as Record<TunableSetting, RuntimeVariableName>;

const DEFAULT_STAGE = 'dev';
const DEFAULT_LOG_RETENTION_DAYS = 30;
// Stage names end up in table, queue and bus names; keep them to what all of those accept.
const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** Reads and validates the context; throws with the key's name when a value is unusable. */
export function readStackConfig(node: Node): StackConfig {
  const stage = readString(node, 'stage') ?? DEFAULT_STAGE;
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `context "stage" must match ${STAGE_PATTERN} (lowercase, starts with a letter), got "${stage}"`,
    );
  }

  const logLevel = (readString(node, 'logLevel') ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new Error(`context "logLevel" must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const retentionDays = readInteger(node, 'logRetentionDays') ?? DEFAULT_LOG_RETENTION_DAYS;
  if (!Object.values(RetentionDays).includes(retentionDays as RetentionDays)) {
    throw new Error(
      `context "logRetentionDays" must be a CloudWatch Logs retention period, got ${retentionDays}`,
    );
  }

  const reserved = readInteger(node, 'gatewayReservedConcurrency');
  if (reserved !== undefined && reserved < 1) {
    throw new Error(`context "gatewayReservedConcurrency" must be at least 1 or unset, got ${reserved}`);
  }

  const gatewayEnvironment: Record<string, string> = {};
  for (const [key, variable] of Object.entries(RUNTIME_CONTEXT_KEYS)) {
    const value = readString(node, key);
    if (value !== undefined) gatewayEnvironment[variable] = value;
  }
  // The gateway parses these with loadSettings at cold start; parse them now so bad values fail synth.
  loadSettings({ ...gatewayEnvironment });

  const alarmThresholds = readAlarmThresholds(node);
  const usageExports = readUsageExports(node);

  return {
    stage,
    gatewayReservedConcurrency: reserved,
    logLevel: logLevel as LogLevel,
    logRetention: retentionDays as RetentionDays,
    alarmTopicArn: readString(node, 'alarmTopicArn'),
    gatewayEnvironment,
    alarmThresholds,
    usageExports,
    keepLegacyConfigIndex: readBoolean(node, 'keepLegacyConfigIndex') ?? false,
    keepLegacyUsageIndex: readBoolean(node, 'keepLegacyUsageIndex') ?? false,
  };
}

function readBoolean(node: Node, key: string): boolean | undefined {
  const text = readString(node, key);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false')
    throw new Error(`context "${key}" must be true or false, got "${text}"`);
  return text === 'true';
}

function readUsageExports(node: Node): UsageExportConfig {
  const days = readInteger(node, 'usageExportInfrequentAccessDays');
  if (days !== undefined && days < 30) {
    throw new Error(
      `context "usageExportInfrequentAccessDays" must be at least 30 (S3's minimum), got ${days}`,
    );
  }
  const hours = readInteger(node, 'usageExportLagAlarmHours');
  if (hours !== undefined && hours < 25) {
    throw new Error(
      `context "usageExportLagAlarmHours" must be at least 25 (a day's export ends 24 h ago), got ${hours}`,
    );
  }
  const ttl = readString(node, 'usageRecordTtlDays');
  let recordTtlDays: number | undefined;
  try {
    // The recorder reads the variable with this same function at cold start.
    recordTtlDays = loadUsageRecordTtlDays({ QG_USAGE_RECORD_TTL_DAYS: ttl });
  } catch {
    throw new Error(
      `context "usageRecordTtlDays" must be a whole number of days, at least ${MIN_USAGE_RECORD_TTL_DAYS}, or null, got "${ttl}"`,
    );
  }
  return {
    infrequentAccessAfterDays: days ?? DEFAULT_USAGE_EXPORTS.infrequentAccessAfterDays,
    lagAlarmHours: hours ?? DEFAULT_USAGE_EXPORTS.lagAlarmHours,
    recordTtlDays,
  };
}

function readAlarmThresholds(node: Node): AlarmThresholds {
  const percent = readNumber(node, 'alarmServerErrorRatePercent');
  if (percent !== undefined && !(percent > 0 && percent <= 100)) {
    throw new Error(`context "alarmServerErrorRatePercent" must be above 0 and at most 100, got ${percent}`);
  }
  const minRequests = readInteger(node, 'alarmServerErrorMinRequests');
  if (minRequests !== undefined && minRequests < 1) {
    throw new Error(`context "alarmServerErrorMinRequests" must be at least 1, got ${minRequests}`);
  }
  const lagSeconds = readInteger(node, 'alarmRecorderLagSeconds');
  if (lagSeconds !== undefined && lagSeconds < 1) {
    throw new Error(`context "alarmRecorderLagSeconds" must be at least 1, got ${lagSeconds}`);
  }
  return {
    serverErrorRatePercent: percent ?? DEFAULT_ALARM_THRESHOLDS.serverErrorRatePercent,
    serverErrorMinRequests: minRequests ?? DEFAULT_ALARM_THRESHOLDS.serverErrorMinRequests,
    recorderLagSeconds: lagSeconds ?? DEFAULT_ALARM_THRESHOLDS.recorderLagSeconds,
  };
}

/** A context value as text; `undefined` when absent, null or empty (context from `-c` is always text). */
function readString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`context "${key}" must be a string or a number, got ${JSON.stringify(value)}`);
  }
  return String(value);
}

function readNumber(node: Node, key: string): number | undefined {
  return readChecked(node, key, Number.isFinite, 'a number');
}

function readInteger(node: Node, key: string): number | undefined {
  return readChecked(node, key, Number.isSafeInteger, 'an integer');
}

/** A context value read as a number that must pass `accept`; the error names the text as given. */
function readChecked(
  node: Node,
  key: string,
  accept: (value: number) => boolean,
  kind: string,
): number | undefined {
  const text = readString(node, key);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!accept(value)) throw new Error(`context "${key}" must be ${kind}, got "${text}"`);
  return value;
}
