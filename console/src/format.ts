/** How numbers, money and times read in the console. Money arrives as integer nano-USD. */
const NANO_PER_USD = 1_000_000_000;

export function usd(nano: number | undefined): string {
  if (nano === undefined) return '—';
  const value = nano / NANO_PER_USD;
  const digits = Math.abs(value) >= 1 || value === 0 ? 2 : 6;
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

/** A nano-USD amount as the text of a USD form field (plain digits, `''` when unset), ready to edit. */
export function usdInput(nano: number | undefined): string {
  return nano === undefined ? '' : String(nano / NANO_PER_USD);
}

export function count(value: number | undefined): string {
  return value === undefined ? '—' : value.toLocaleString('en-US');
}

export function time(iso: string | number | undefined): string {
  if (iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toISOString().replace('T', ' ').slice(0, 19);
}

/** Long texts (upstream messages) cut for a table cell; the title attribute keeps the whole. */
export function short(text: string | undefined, length = 80): string {
  if (!text) return '';
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export function dayString(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
