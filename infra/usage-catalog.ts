/**
 * The SQL side of the usage exports, generated from the one definition of the usage record's
 * fields (`shared/usage/record-fields.ts`): the Glue column types over DynamoDB JSON, and the
 * Athena view and saved queries finance runs. A field added to the record appears in the
 * catalog, the view and the CSV alike.
 *
 * In DynamoDB JSON every attribute is an object keyed by its type (`{"S": "…"}`, `{"N": "…"}`,
 * `{"BOOL": true}`, `{"M": {…}}`); the JSON SerDe matches keys case-insensitively, so the columns
 * name them in lower case. Numbers stay text in the catalog and are cast in the view: nano- and
 * pico-USD to BIGINT, USD to DECIMAL(38,9), never a floating-point type.
 *
 * @example
 * ```ts
 * itemStructType(); // 'struct<requestid:struct<s:string>,startedat:struct<s:string>,…>'
 * ```
 */
import { AGGREGATE_COUNTERS } from '#shared/recorder/usage-record.ts';
import {
  type FieldType,
  fieldSpec,
  USAGE_RECORD_FIELD_NAMES,
  type UsageRecordField,
} from '#shared/usage/record-fields.ts';

const ATTRIBUTE_TYPES: Record<FieldType, string> = {
  string: 'struct<s:string>',
  integer: 'struct<n:string>',
  decimal: 'struct<n:string>',
  boolean: 'struct<bool:boolean>',
  map: 'struct<m:map<string,struct<s:string>>>',
};

/** Item attributes besides the record's fields: keys, and what a daily aggregate holds. */
const OTHER_ATTRIBUTES: Record<string, FieldType> = {
  pk: 'string',
  sk: 'string',
  dimension: 'string',
  subjectId: 'string',
  ...Object.fromEntries(AGGREGATE_COUNTERS.map((counter) => [counter, 'integer' as const])),
};

/** Every attribute the catalog reads, by name, with its type: the record's fields first. */
export function itemAttributes(): [string, FieldType][] {
  const attributes = new Map<string, FieldType>(
    USAGE_RECORD_FIELD_NAMES.map((name) => [name, fieldSpec(name).type]),
  );
  for (const [name, type] of Object.entries(OTHER_ATTRIBUTES))
    if (!attributes.has(name)) attributes.set(name, type);
  return [...attributes];
}

/** The Hive type of an exported item (the `Item` of a full export, an image of an incremental one). */
export function itemStructType(): string {
  const fields = itemAttributes().map(([name, type]) => `${name.toLowerCase()}:${ATTRIBUTE_TYPES[type]}`);
  return `struct<${fields.join(',')}>`;
}

/** `billedNano` → `billed_nano`: how the view names a field (Athena lower-cases names anyway). */
export function sqlName(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function columnExpression(name: UsageRecordField, image: string): string {
  const attribute = `${image}.${name.toLowerCase()}`;
  switch (fieldSpec(name).type) {
    case 'string':
      return `${attribute}.s`;
    case 'integer':
      return `CAST(${attribute}.n AS BIGINT)`;
    case 'decimal':
      // The multiplier as configured (e.g. 1.5); money uses multiplier_ppm, an integer.
      return `CAST(${attribute}.n AS DOUBLE)`;
    case 'boolean':
      return `${attribute}.bool`;
    case 'map':
      return `transform_values(${attribute}.m, (k, v) -> v.s)`;
  }
}

/** The view's columns: every record field, and a USD column beside each nano-USD one. */
export function viewColumns(image: string): { name: string; expression: string }[] {
  return USAGE_RECORD_FIELD_NAMES.flatMap((name) => {
    const columns = [{ name: sqlName(name), expression: columnExpression(name, image) }];
    const usd = fieldSpec(name).usd;
    if (usd) {
      const nano = `${image}.${name.toLowerCase()}.n`;
      columns.push({ name: sqlName(usd), expression: `CAST(${nano} AS DECIMAL(38,9)) / 1000000000` });
    }
    return columns;
  });
}

export const CATALOG_TABLES = {
  full: 'usage_full_export',
  incremental: 'usage_incremental_export',
  view: 'usage_records',
  aggregates: 'usage_daily_aggregates',
} as const;

/**
 * The newest image of every item of one `kind` across the full export and the incremental ones,
 * as a `latest` CTE with columns `image` and `position` (1 = newest): a change is newer than the
 * full export, and between changes the later write wins. Deletions (the optional TTL) are not
 * changes here: the item keeps its last image. Should two full exports sit in the bucket (a failed
 * one's partial files beside its retry), the later export folder wins (in practice
 * export ids begin with their creation time in ms; not a documented promise, so deleting the
 * failed one's folder is the clean way, docs/finance.md).
 */
function latestImagesSql(kind: string, partitionBy: string): string {
  return `WITH images AS (
  SELECT item AS image, CAST(-1 AS BIGINT) AS written_micros, "$path" AS file FROM ${CATALOG_TABLES.full}
  WHERE item.kind.s = '${kind}'
  UNION ALL
  SELECT newimage, CAST(metadata.writetimestampmicros.n AS BIGINT), "$path" FROM ${CATALOG_TABLES.incremental}
  WHERE newimage.kind.s = '${kind}'
),
latest AS (
  SELECT image, row_number() OVER (PARTITION BY ${partitionBy} ORDER BY written_micros DESC, file DESC) AS position
  FROM images
)`;
}

/** `usage_records`: the latest image of every usage record, applied records only. */
export function usageRecordsViewSql(): string {
  const columns = viewColumns('image')
    .map((column) => `  ${column.expression} AS ${column.name}`)
    .join(',\n');
  return `CREATE OR REPLACE VIEW ${CATALOG_TABLES.view} AS
${latestImagesSql('usage', 'image.pk.s')}
SELECT
${columns}
FROM latest
WHERE position = 1 AND image.state.s = 'applied'`;
}

/**
 * `usage_daily_aggregates`: one row per dimension (`key`, `account`, `model`), subject and day,
 * from the latest image of every aggregate item. The recorder keeps a key's day item and one item
 * per model, account and request shard (`dimension` `modelAccount`, the model in `subjectId`), so
 * a model's and an account's rows sum those; day items of older deployments (`account`, `model`,
 * `user`) are added in. A user's usage is the sum of its keys': its old `user` items are left out.
 */
export function dailyAggregatesViewSql(): string {
  const counters = AGGREGATE_COUNTERS.map(
    (counter) => `    CAST(image.${counter.toLowerCase()}.n AS BIGINT) AS ${sqlName(counter)}`,
  ).join(',\n');
  const names = AGGREGATE_COUNTERS.map(sqlName).join(', ');
  const sums = AGGREGATE_COUNTERS.map((counter) => `sum(${sqlName(counter)}) AS ${sqlName(counter)}`).join(
    ', ',
  );
  return `CREATE OR REPLACE VIEW ${CATALOG_TABLES.aggregates} AS
${latestImagesSql('aggregate', 'image.pk.s, image.sk.s')},
items AS (
  SELECT
    image.dimension.s AS dimension,
    image.subjectid.s AS subject_id,
    image.accountid.s AS account_id,
    image.day.s AS day,
${counters}
  FROM latest
  WHERE position = 1
),
rows AS (
  SELECT dimension, subject_id, day, ${names} FROM items WHERE dimension IN ('key', 'account', 'model')
  UNION ALL
  SELECT 'model', subject_id, day, ${names} FROM items WHERE dimension = 'modelAccount'
  UNION ALL
  SELECT 'account', account_id, day, ${names} FROM items WHERE dimension = 'modelAccount'
)
SELECT dimension, subject_id, day, ${sums}
FROM rows
GROUP BY dimension, subject_id, day`;
}
