/**
 * The usage record's fields, defined once: their order, their type as DynamoDB stores them and
 * whether the CSV carries them. The CSV export (`shared/usage/export.ts`) and the Glue catalog
 * over the S3 exports (`infra/constructs/usage-exports.ts`) are both generated from this object,
 * and it must name every key of {@link UsageRecord} (the `satisfies` below fails the typecheck
 * otherwise), so a field added to the record cannot be left out of the CSV or the catalog by
 * forgetting it.
 *
 * @example
 * ```ts
 * USAGE_RECORD_FIELD_NAMES.filter((name) => USAGE_RECORD_FIELDS[name].csv); // the CSV's record columns
 * USAGE_RECORD_FIELDS.billedNano; // { type: 'integer', csv: true, usd: 'billedUsd' }
 * ```
 */
import type { UsageRecord } from '../recorder/usage-record.ts';

/**
 * How a field is stored: `string` (DynamoDB `S`), `integer` and `decimal` (`N`; integers are
 * counts or money in nano/pico-USD, `decimal` may have a fraction), `boolean` (`BOOL`), `map` (`M`
 * of strings).
 */
export type FieldType = 'string' | 'integer' | 'decimal' | 'boolean' | 'map';

export interface FieldSpec {
  readonly type: FieldType;
  /** Whether the CSV has a column for it (JSON Lines carry every field). */
  readonly csv: boolean;
  /** For a nano-USD amount: the CSV column beside it with the same amount in exact decimal USD. */
  readonly usd?: string;
  /** For the user's id: the CSV column beside it with the user's current email. */
  readonly email?: string;
}

const text = { type: 'string', csv: true } as const;
const integer = { type: 'integer', csv: true } as const;
const flag = { type: 'boolean', csv: true } as const;

/** Every field of the usage record, in CSV order; docs/finance.md explains each one. */
export const USAGE_RECORD_FIELDS = {
  requestId: text,
  startedAt: text,
  endedAt: text,
  day: text,
  state: text,
  userId: { ...text, email: 'userEmail' },
  apiKeyId: text,
  groupId: text,
  accountId: text,
  billingMode: text,
  modelRequested: text,
  modelSent: text,
  pricedModel: text,
  priceSource: text,
  inputTokens: integer,
  cachedInputTokens: integer,
  outputTokens: integer,
  reasoningTokens: integer,
  inputPicoPerToken: integer,
  cachedInputPicoPerToken: integer,
  outputPicoPerToken: integer,
  inputCostPico: integer,
  cachedInputCostPico: integer,
  outputCostPico: integer,
  totalCostPico: integer,
  costNano: { ...integer, usd: 'costUsd' },
  rateMultiplier: { type: 'decimal', csv: true },
  multiplierPpm: integer,
  chargeNano: { ...integer, usd: 'chargeUsd' },
  billedNano: { ...integer, usd: 'billedUsd' },
  stream: flag,
  route: text,
  status: integer,
  upstreamStatus: integer,
  upstreamRequestId: text,
  durationMs: integer,
  firstTokenMs: integer,
  failovers: integer,
  cutShort: flag,
  cutShortReason: text,
  usageSource: text,
  recordedAt: text,
  appliedAt: text,
  lostAt: text,
  kind: { type: 'string', csv: false },
  eventVersion: { type: 'integer', csv: false },
  effects: { type: 'map', csv: false },
} as const satisfies Record<keyof UsageRecord, FieldSpec>;

export type UsageRecordField = keyof typeof USAGE_RECORD_FIELDS;

/** The field names in definition order. */
export const USAGE_RECORD_FIELD_NAMES = Object.keys(USAGE_RECORD_FIELDS) as UsageRecordField[];

/** The spec of one field, widened so optional parts read without narrowing each literal. */
export function fieldSpec(name: UsageRecordField): FieldSpec {
  return USAGE_RECORD_FIELDS[name];
}
