/**
 * Text for humans: aligned plain tables and label/value blocks, USD amounts and times. JSON
 * output does not pass through here; it prints the operation's result as is.
 *
 * @example
 * ```ts
 * renderTable(['ID', 'EMAIL'], [['usr_1', 'a@b.c']]);
 * // ID     EMAIL
 * // usr_1  a@b.c
 * ```
 */
import { formatNanoAsUsd } from '#shared/admin/money.ts';

/**
 * Widest cell of a table column but the last: longer texts (an upstream's whole error message in
 * a health reason) end in `…` so a row stays one line; `show` and `--json` give the full text.
 * The last column needs no room after it and is left whole (help texts end there).
 */
export const MAX_CELL_LENGTH = 64;

function cellText(text: string, last: boolean): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  return !last && oneLine.length > MAX_CELL_LENGTH ? `${oneLine.slice(0, MAX_CELL_LENGTH - 1)}…` : oneLine;
}

export function renderTable(headers: string[], allRows: string[][]): string {
  if (allRows.length === 0) return '(none)';
  const rows = allRows.map((row) => row.map((cell, column) => cellText(cell, column === row.length - 1)));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `Label:  value` lines with the values aligned; rows without a value are left out. */
export function renderFields(fields: [string, string | undefined][]): string {
  const present = fields.filter(
    (field): field is [string, string] => field[1] !== undefined && field[1] !== '',
  );
  const width = Math.max(...present.map(([label]) => label.length + 1));
  return present.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n');
}

export function usd(nano: number | undefined): string {
  return nano === undefined ? '-' : `${formatNanoAsUsd(nano)} USD`;
}

/** An ISO string or epoch ms as `YYYY-MM-DD HH:MM UTC`; '-' when absent. */
export function time(value: string | number | undefined): string {
  if (value === undefined) return '-';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function orDash(value: string | number | undefined): string {
  return value === undefined || value === '' ? '-' : String(value);
}
