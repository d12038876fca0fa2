/**
 * Checks for the values admins type, shared by every admin operation so the CLI and the admin
 * HTTP API refuse the same input with the same sentence. Each function either returns the
 * normalised value or throws {@link AdminError} `invalid`; none of them echoes a secret.
 *
 * @example
 * ```ts
 * parseCount('5', 'Concurrency'); // 5
 * parseHttpUrl('http://127.0.0.1:9000', 'Base URL'); // 'http://127.0.0.1:9000'
 * ```
 */
import { parseCidr } from '../domain/ip-allow-list.ts';
import type { BillingMode } from '../domain/types.ts';
import { AdminError } from './admin-error.ts';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const GROUP_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** A trimmed, non-empty text of bounded length. */
export function requireText(value: string | undefined, field: string, maxLength = 200): string {
  const text = value?.trim() ?? '';
  if (text === '') throw AdminError.invalid(`${field} is required.`);
  if (text.length > maxLength) throw AdminError.invalid(`${field} must be at most ${maxLength} characters.`);
  return text;
}

/**
 * Documentation stand-ins an admin may paste by mistake: an ellipsis, `<…>` brackets, or words
 * like "your-key", "replace-me", "changeme", "placeholder". No real credential contains them.
 */
const PLACEHOLDER_PATTERN = /…|\.\.\.|[<>]|\byour[-_ ]|replace[-_ ]?me|changeme|placeholder/i;

/**
 * {@link requireText} for a credential that must not be a documentation placeholder: pasting an
 * example literally would otherwise create an account that fails every request. The message
 * names the field, never the value.
 */
export function requireCredential(value: string | undefined, field: string, maxLength: number): string {
  const text = requireText(value, field, maxLength);
  if (PLACEHOLDER_PATTERN.test(text)) {
    throw AdminError.invalid(
      `${field} looks like a placeholder from an example (…, <…>, "your-…"); give the real value.`,
    );
  }
  return text;
}

/** A lower-cased email address. */
export function parseEmail(value: string | undefined): string {
  const email = requireText(value, 'Email', 254).toLowerCase();
  if (!EMAIL_PATTERN.test(email)) throw AdminError.invalid(`Email "${email}" is not a valid email address.`);
  return email;
}

/** A whole number of 0 or more (concurrency, priority), given as a number or as digits. */
export function parseCount(value: string | number, field: string, meaning = ''): number {
  const text = String(value).trim();
  const count = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(count) || count > 1_000_000) {
    throw AdminError.invalid(`${field} must be a whole number of 0 or more${meaning}, got "${text}".`);
  }
  return count;
}

/** A finite number greater than zero, such as a rate multiplier. */
export function parsePositiveNumber(value: string | number, field: string): number {
  const text = String(value).trim();
  const number = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(number) || number <= 0) {
    throw AdminError.invalid(`${field} must be a number greater than 0, got "${text}".`);
  }
  return number;
}

/** An absolute http(s) URL without a trailing slash, so `${baseUrl}/v1/responses` is well formed. */
export function parseHttpUrl(value: string | undefined, field: string): string {
  const text = requireText(value, field, 2000);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw AdminError.invalid(`${field} must be an http:// or https:// URL, got "${text}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw AdminError.invalid(`${field} must be an http:// or https:// URL, got "${text}".`);
  }
  if (url.username || url.password) {
    throw AdminError.invalid(`${field} must not contain a user name or password.`);
  }
  return text.replace(/\/+$/, '');
}

/**
 * An ISO 8601 date (`2027-01-01`, read as 00:00 UTC) or date-time, returned in the canonical
 * `toISOString()` form so stored times compare correctly as strings and as dates.
 */
export function parseIsoTime(value: string | undefined, field: string): string {
  const text = requireText(value, field, 64);
  const shaped = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text);
  const time = shaped ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw AdminError.invalid(
      `${field} must be an ISO date such as 2027-01-01 or 2027-01-01T12:00:00Z, got "${text}".`,
    );
  }
  const iso = new Date(time).toISOString();
  // Date.parse rolls 2027-02-30 over to March; a date that does not exist is a typo, not a wish.
  if (text.length === 10 && !iso.startsWith(text)) {
    throw AdminError.invalid(`${field} "${text}" is not a calendar date.`);
  }
  return iso;
}

/** Like {@link parseIsoTime}, and the time must lie after `now`. */
export function parseFutureTime(value: string | undefined, field: string, now: Date): string {
  const iso = parseIsoTime(value, field);
  if (Date.parse(iso) <= now.getTime())
    throw AdminError.invalid(`${field} must be in the future, got "${value}".`);
  return iso;
}

export function parseBillingMode(value: string | undefined): BillingMode {
  const mode = value?.trim() ?? 'balance';
  if (mode !== 'balance' && mode !== 'subscription') {
    throw AdminError.invalid(`Billing mode must be "balance" or "subscription", got "${mode}".`);
  }
  return mode;
}

/** A group id chosen by the admin: lower-case letters, digits, `-` and `_`. */
export function parseGroupId(value: string): string {
  const id = value.trim();
  if (!GROUP_ID_PATTERN.test(id)) {
    throw AdminError.invalid(
      `Group id "${id}" must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit.`,
    );
  }
  return id;
}

/** Model names from a list or a comma-separated text; trimmed, de-duplicated, none empty. */
export function parseModelList(value: string | readonly string[], field = 'Models'): string[] {
  const parts = (typeof value === 'string' ? value.split(',') : [...value]).map((model) => model.trim());
  if (parts.length === 0 || parts.some((model) => model === '' || model.length > 200)) {
    throw AdminError.invalid(
      `${field} must be a comma-separated list of model names, got "${String(value)}".`,
    );
  }
  return [...new Set(parts)];
}

/**
 * An IP allow-list from comma-separated text or a list: IPv4/IPv6 CIDR blocks or bare addresses,
 * normalised and deduplicated. Every entry must parse, so the gateway never meets a block it
 * cannot match.
 */
export function parseCidrList(value: string | readonly string[], field = 'Allowed IPs'): string[] {
  const parts = (typeof value === 'string' ? value.split(',') : [...value]).map((entry) => entry.trim());
  if (parts.length === 0 || parts.length > 100) {
    throw AdminError.invalid(`${field} must list 1 to 100 CIDR blocks, got ${parts.length}.`);
  }
  const blocks = parts.map((entry) => {
    const block = entry.length <= 64 ? parseCidr(entry) : undefined;
    if (!block) {
      throw AdminError.invalid(
        `${field}: "${entry.slice(0, 64)}" is not an IPv4 or IPv6 address or CIDR block (such as 203.0.113.0/24 or 2001:db8::/32).`,
      );
    }
    return block;
  });
  return [...new Set(blocks)];
}

/**
 * A model mapping (requested model → upstream model) from `from=to` pairs, a JSON object text or
 * an object. An empty result is allowed and means "every model, unmapped".
 */
export function parseModelMapping(
  value: readonly string[] | string | Record<string, unknown>,
): Record<string, string> {
  let entries: [string, unknown][];
  if (typeof value === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw AdminError.invalid(
        'Model mapping JSON is not valid JSON; expected an object such as {"gpt-5":"gpt-5.1"}.',
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw AdminError.invalid('Model mapping JSON must be an object such as {"gpt-5":"gpt-5.1"}.');
    }
    entries = Object.entries(parsed);
  } else if (Array.isArray(value)) {
    entries = value.map((pair: string) => {
      const at = pair.indexOf('=');
      if (at < 0) throw AdminError.invalid(`Model mapping "${pair}" must look like requested=upstream.`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    });
  } else {
    entries = Object.entries(value);
  }
  const mapping: Record<string, string> = {};
  for (const [from, to] of entries) {
    const source = from.trim();
    const target = typeof to === 'string' ? to.trim() : '';
    if (source === '' || target === '') {
      throw AdminError.invalid(`Model mapping "${from}" needs both a requested and an upstream model name.`);
    }
    mapping[source] = target;
  }
  return mapping;
}
