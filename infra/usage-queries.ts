/**
 * The Athena saved queries finance runs over the usage exports (docs/finance.md walks through
 * them). The first two create the views the others read; a `?` is a parameter the Athena console
 * asks for when the query runs (a month as `'2026-11'`, with the quotes).
 *
 * Reconciliation queries return the rows that break an identity of docs/finance.md: an empty
 * result means the numbers reconcile.
 *
 * @example
 * ```ts
 * for (const query of USAGE_QUERIES) new CfnNamedQuery(this, query.id, { … query });
 * ```
 */
import { AGGREGATE_COUNTERS } from '#shared/recorder/usage-record.ts';
import { CATALOG_TABLES, dailyAggregatesViewSql, sqlName, usageRecordsViewSql } from './usage-catalog.ts';

export interface UsageQuery {
  /** Construct id. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

const RECORDS = CATALOG_TABLES.view;
const MONTH = "substr(day, 1, 7) = ? -- the month, e.g. '2026-11'";

function billBy(columns: string[]): string {
  const keys = columns.join(', ');
  return `SELECT ${keys},
  count(*) AS requests,
  sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens,
  sum(cost_nano) AS cost_nano,
  sum(cost_usd) AS cost_usd,
  sum(billed_nano) AS billed_nano,
  sum(billed_usd) AS billed_usd
FROM ${RECORDS}
WHERE ${MONTH}
GROUP BY ${keys}
ORDER BY billed_nano DESC`;
}

/** How each aggregate counter is summed over the records of its subject and day. */
const COUNTER_SUMS: Record<string, string> = {
  requests: 'count(*)',
  cutShortRequests: 'count_if(cut_short)',
  failedRequests: 'count_if(status >= 400)',
};

function aggregateReconciliationSql(): string {
  // A user's usage is the sum of its keys' (no aggregate of its own), so keys cover users.
  const subjects: [string, string][] = [
    ['key', 'api_key_id'],
    ['account', 'account_id'],
    ['model', 'model_requested'],
  ];
  const sums = AGGREGATE_COUNTERS.map(
    (counter) => `${COUNTER_SUMS[counter] ?? `sum(${sqlName(counter)})`} AS ${sqlName(counter)}`,
  ).join(', ');
  const union = subjects
    .map(
      ([dimension, column]) =>
        `  SELECT '${dimension}' AS dimension, ${column} AS subject_id, day, ${sums}\n  FROM ${RECORDS} GROUP BY ${column}, day`,
    )
    .join('\n  UNION ALL\n');
  const differs = AGGREGATE_COUNTERS.map(
    (counter) => `a.${sqlName(counter)} IS DISTINCT FROM s.${sqlName(counter)}`,
  ).join('\n   OR ');
  const pairs = AGGREGATE_COUNTERS.map(
    (counter) =>
      `a.${sqlName(counter)} AS aggregate_${sqlName(counter)}, s.${sqlName(counter)} AS records_${sqlName(counter)}`,
  ).join(',\n  ');
  return `WITH sums AS (
${union}
)
SELECT coalesce(a.dimension, s.dimension) AS dimension, coalesce(a.subject_id, s.subject_id) AS subject_id,
  coalesce(a.day, s.day) AS day,
  ${pairs}
FROM ${CATALOG_TABLES.aggregates} a
FULL OUTER JOIN sums s ON a.dimension = s.dimension AND a.subject_id = s.subject_id AND a.day = s.day
WHERE ${differs}
ORDER BY day, dimension, subject_id`;
}

const RECORD_ARITHMETIC = `SELECT request_id, day, billing_mode, input_tokens, cached_input_tokens, output_tokens,
  input_cost_pico, cached_input_cost_pico, output_cost_pico, total_cost_pico,
  cost_nano, multiplier_ppm, charge_nano, billed_nano
FROM ${RECORDS}
WHERE input_cost_pico <> (input_tokens - cached_input_tokens) * input_pico_per_token
   OR cached_input_cost_pico <> cached_input_tokens * cached_input_pico_per_token
   OR output_cost_pico <> output_tokens * output_pico_per_token
   OR total_cost_pico <> input_cost_pico + cached_input_cost_pico + output_cost_pico
   -- rounded half up once, in exact decimals
   OR cost_nano <> floor(CAST(total_cost_pico AS DECIMAL(38,9)) / 1000 + DECIMAL '0.5')
   OR charge_nano <> floor(CAST(total_cost_pico AS DECIMAL(38,9)) * multiplier_ppm / 1000000000 + DECIMAL '0.5')
   OR billed_nano <> (CASE billing_mode WHEN 'balance' THEN charge_nano ELSE cost_nano END)
ORDER BY day, request_id`;

export const USAGE_QUERIES: readonly UsageQuery[] = [
  {
    id: 'CreateUsageRecordsView',
    name: '1. Create the usage_records view (run once first)',
    description:
      'One row per usage record in its latest state across the full and incremental exports, applied records only.',
    sql: usageRecordsViewSql(),
  },
  {
    id: 'CreateDailyAggregatesView',
    name: '2. Create the usage_daily_aggregates view (run once first)',
    description: 'The daily per-user, per-key, per-account and per-model counters, latest state.',
    sql: dailyAggregatesViewSql(),
  },
  {
    id: 'BillPerUser',
    name: "Month's bill per user",
    description: 'Requests, tokens, list cost and billed amount per user and billing mode for one month.',
    sql: billBy(['user_id', 'billing_mode']),
  },
  {
    id: 'BillPerKey',
    name: "Month's bill per API key",
    description: 'Requests, tokens, list cost and billed amount per API key for one month.',
    sql: billBy(['api_key_id', 'user_id']),
  },
  {
    id: 'BillPerGroup',
    name: "Month's bill per group",
    description: 'Requests, tokens, list cost and billed amount per group for one month.',
    sql: billBy(['group_id', 'billing_mode']),
  },
  {
    id: 'BillPerModel',
    name: "Month's bill per model",
    description:
      'Requests, tokens, list cost and billed amount per model asked for (and the price used) for one month.',
    sql: billBy(['model_requested', 'priced_model']),
  },
  {
    id: 'DailyTotals',
    name: 'Daily totals for a month',
    description: 'Per UTC day: requests, tokens, list cost, charge and billed amount.',
    sql: `SELECT day,
  count(*) AS requests,
  sum(input_tokens) AS input_tokens,
  sum(cached_input_tokens) AS cached_input_tokens,
  sum(output_tokens) AS output_tokens,
  sum(reasoning_tokens) AS reasoning_tokens,
  sum(cost_usd) AS cost_usd,
  sum(charge_usd) AS charge_usd,
  sum(billed_nano) AS billed_nano,
  sum(billed_usd) AS billed_usd
FROM ${RECORDS}
WHERE ${MONTH}
GROUP BY day
ORDER BY day`,
  },
  {
    id: 'ReconcileBillingModes',
    name: 'Reconcile: billed per user by billing mode, with the overall total',
    description:
      "Balance mode: each user's balance went down by billed_nano. Subscription mode: each subscription's use grew by it. The last row (billing_mode empty) is the overall total.",
    sql: `SELECT user_id, group_id, billing_mode, count(*) AS requests, sum(billed_nano) AS billed_nano, sum(billed_usd) AS billed_usd
FROM ${RECORDS}
WHERE ${MONTH}
GROUP BY GROUPING SETS ((user_id, group_id, billing_mode), ())
ORDER BY billing_mode NULLS LAST, user_id, group_id`,
  },
  {
    id: 'ReconcileKeySpend',
    name: 'Reconcile: lifetime billed per API key',
    description: "Each key's used amount (quotagate keys list) equals the sum of its records' billed_nano.",
    sql: `SELECT api_key_id, user_id, count(*) AS requests, sum(billed_nano) AS billed_nano, sum(billed_usd) AS billed_usd
FROM ${RECORDS}
GROUP BY api_key_id, user_id
ORDER BY api_key_id`,
  },
  {
    id: 'ReconcileAggregates',
    name: 'Reconcile: daily aggregates equal the sums of their records (expect no rows)',
    description:
      'Rows where a daily counter differs from the sum over its records. Records still pending explain a row until they are applied.',
    sql: aggregateReconciliationSql(),
  },
  {
    id: 'ReconcileRecordArithmetic',
    name: "Reconcile: every record's amounts follow the cost formula (expect no rows)",
    description:
      'Rows whose pico costs, rounded nano amounts or billed amount do not follow the formula of docs/finance.md.',
    sql: RECORD_ARITHMETIC,
  },
];
