/**
 * Streams usage records out of the Usage table for finance: day by day over `[from, to)`, page
 * by page, so an export of a year holds one page in memory at a time. Formats: CSV with a fixed
 * column order (docs/finance.md documents each column) and JSON Lines with every field.
 *
 * Records still `pending` (charged in part, being finished by a redelivery), `started` (in
 * flight) and `lost` (the gateway died mid-request; nothing billed) are included with their
 * `state`, so a reconciliation can tell them apart: only `applied` records are billed.
 *
 * @example
 * ```ts
 * for await (const record of exportUsageRecords({ from, to, userId: 'usr_1' }, reader)) {
 *   out.write(csvRow(record));
 * }
 * ```
 */
import { formatNanoAsUsd } from '../admin/money.ts';
import type { UsageRecord } from '../recorder/usage-record.ts';
import type { RecordFilter, UsageRecordSource } from '../store/usage-reader.ts';
import {
  fieldSpec,
  USAGE_RECORD_FIELD_NAMES,
  USAGE_RECORD_FIELDS,
  type UsageRecordField,
} from './record-fields.ts';

export interface UsageExportRange extends RecordFilter {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

const DAY_MS = 86_400_000;

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC days `[from, to)` touches, oldest first. */
export function daysBetween(from: number, to: number): string[] {
  const days: string[] = [];
  if (to <= from) return days;
  const last = dayOf(to - 1);
  for (let at = Date.parse(`${dayOf(from)}T00:00:00.000Z`); ; at += DAY_MS) {
    const day = dayOf(at);
    days.push(day);
    if (day === last) return days;
  }
}

/** Every record that started in `[from, to)` and matches the filter, oldest first. */
export async function* exportUsageRecords(
  range: UsageExportRange,
  source: UsageRecordSource,
): AsyncGenerator<UsageRecord> {
  const { from, to, ...filter } = range;
  // Sort keys are `<startedAt>#<requestId>`: every key of the instant `to` sorts after `to` itself,
  // so BETWEEN from AND to is exactly [from, to).
  const fromKey = new Date(from).toISOString();
  const toKey = new Date(to).toISOString();
  for (const day of daysBetween(from, to)) {
    for await (const page of source.recordPages(day, fromKey, toKey, filter)) yield* page;
  }
}

/** One CSV column: a record field, the USD text of a nano-USD field, or the user's email. */
type CsvColumn =
  | { header: string; field: UsageRecordField }
  | { header: string; usdOf: UsageRecordField }
  | { header: string; email: true };

const COLUMNS: readonly CsvColumn[] = USAGE_RECORD_FIELD_NAMES.flatMap((field) => {
  const spec = fieldSpec(field);
  if (!spec.csv) return [];
  const columns: CsvColumn[] = [{ header: field, field }];
  if (spec.usd) columns.push({ header: spec.usd, usdOf: field });
  if (spec.email) columns.push({ header: spec.email, email: true });
  return columns;
});

/**
 * The CSV header, in order (docs/finance.md explains each column): the record fields marked for
 * the CSV in `record-fields.ts`, each nano-USD amount followed by its USD text and the user's id
 * by their email.
 */
export const CSV_COLUMNS: readonly string[] = COLUMNS.map((column) => column.header);

// A spreadsheet runs a cell that starts with one of these as a formula (or strips the
// character and then does); a client chooses the text of `model`, so it could plant one.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: numbers and booleans as they are; text neutralised with a leading `'` when a
 * spreadsheet would run it as a formula, then quoted when it holds a comma, quote or line break.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const raw = String(value);
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

/** The record's CSV line; `userEmail` is the user's email as the Config table holds it now. */
export function csvRow(record: UsageRecord, userEmail?: string): string {
  const cells = COLUMNS.map((column) => {
    if ('field' in column) return csvCell(record[column.field]);
    if ('usdOf' in column) {
      const nano = record[column.usdOf];
      return typeof nano === 'number' ? formatNanoAsUsd(nano) : '';
    }
    return csvCell(userEmail);
  });
  return `${cells.join(',')}\n`;
}

/** A map's entries by key (a map such as `effects` has no order of its own). */
function sortedKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The record as one JSON line, its fields in definition order (then any others, sorted), so the
 * line does not depend on the order storage returned the attributes in: the table and an S3
 * export of it give the same bytes.
 */
export function jsonlLine(record: UsageRecord): string {
  const fields = record as unknown as Record<string, unknown>;
  const others = Object.keys(record).filter((key) => !(key in USAGE_RECORD_FIELDS));
  const ordered: Record<string, unknown> = {};
  for (const key of [...USAGE_RECORD_FIELD_NAMES, ...others.sort()]) {
    const value = fields[key];
    if (value !== undefined) ordered[key] = sortedKeys(value);
  }
  return `${JSON.stringify(ordered)}\n`;
}
