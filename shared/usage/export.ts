/**
 * Streams usage records out of the Usage table for finance: day by day over `[from, to)`, page
 * by page, so an export of a year holds one page in memory at a time. Formats: CSV with a fixed
 * column order (docs/finance.md documents each column) and JSON Lines with every field.
 *
 * Records still `pending` (charged in part, being finished by a redelivery) are included with
 * their `state`, so a reconciliation can tell them apart.
 *
 * @example
 * ```ts
 * for await (const record of exportUsageRecords({ from, to, userId: 'usr_1' }, reader)) {
 *   out.write(csvRow(record));
 * }
 * ```
 */
import type { UsageRecord } from '../recorder/usage-record.ts';

export interface RecordFilter {
  userId?: string;
  apiKeyId?: string;
  accountId?: string;
}

export interface UsageExportRange extends RecordFilter {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/** Where the records come from: one day's records between two `gsi1` sort keys, in pages. */
export interface UsageRecordSource {
  recordPages(
    day: string,
    fromKey: string,
    toKey: string,
    filter: RecordFilter,
  ): AsyncIterable<UsageRecord[]>;
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

/** The CSV columns, in order; a record field each (docs/finance.md). */
export const CSV_COLUMNS = [
  'requestId',
  'startedAt',
  'endedAt',
  'day',
  'state',
  'userId',
  'apiKeyId',
  'groupId',
  'accountId',
  'billingMode',
  'modelRequested',
  'modelSent',
  'pricedModel',
  'priceSource',
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'reasoningTokens',
  'inputPicoPerToken',
  'cachedInputPicoPerToken',
  'outputPicoPerToken',
  'inputCostPico',
  'cachedInputCostPico',
  'outputCostPico',
  'totalCostPico',
  'costNano',
  'rateMultiplier',
  'multiplierPpm',
  'chargeNano',
  'billedNano',
  'stream',
  'status',
  'upstreamStatus',
  'durationMs',
  'firstTokenMs',
  'failovers',
  'cutShort',
  'cutShortReason',
  'recordedAt',
  'appliedAt',
] as const satisfies readonly (keyof UsageRecord)[];

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

export function csvRow(record: UsageRecord): string {
  return `${CSV_COLUMNS.map((column) => csvCell(record[column])).join(',')}\n`;
}

export function jsonlLine(record: UsageRecord): string {
  return `${JSON.stringify(record)}\n`;
}
