/**
 * Reading an admin request's JSON body and version, strictly: a body that is not a JSON object,
 * a field the route does not know (a typo would otherwise be silently ignored) or a field of the
 * wrong type is refused with a sentence that names it, before anything is read or written.
 *
 * Values are handed to the shared admin operations as the CLI hands them over (text or number),
 * so both front ends validate them with the same code and the same sentences.
 *
 * @example
 * ```ts
 * const body = readBody(request, ['email', 'concurrency', 'balanceUsd']);
 * createUser(store, { email: requiredText(body, 'email'), concurrency: scalar(body, 'concurrency') });
 * ```
 */
import { AdminError } from '../admin/admin-error.ts';
import type { AdminRequest } from './http.ts';

export type JsonObject = Record<string, unknown>;

/** The body as a JSON object with only `allowed` fields (an empty body is `{}`). */
export function readBody(request: AdminRequest, allowed: readonly string[]): JsonObject {
  const text = request.body.trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw AdminError.invalid('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw AdminError.invalid('The request body must be a JSON object.');
  }
  const unknown = Object.keys(parsed).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    const known = allowed.length === 0 ? 'none' : allowed.join(', ');
    throw AdminError.invalid(`Unknown field ${JSON.stringify(unknown[0])}; this route takes: ${known}.`);
  }
  return parsed as JsonObject;
}

/** A string field; absent (or null) is `undefined`. */
export function text(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw AdminError.invalid(`Field "${field}" must be a string.`);
  return value;
}

export function requiredText(body: JsonObject, field: string): string {
  const value = text(body, field);
  if (value === undefined) throw AdminError.invalid(`Field "${field}" is required.`);
  return value;
}

/** A number or a numeric text (amounts, counts), passed on for the operation to check. */
export function scalar(body: JsonObject, field: string): string | number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw AdminError.invalid(`Field "${field}" must be a number or a string.`);
  }
  return value;
}

/** A list of strings or a comma-separated text. */
export function stringList(body: JsonObject, field: string): string | string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw AdminError.invalid(`Field "${field}" must be a list of strings.`);
}

/** A JSON object of string values (a model mapping). */
export function stringMap(body: JsonObject, field: string): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw AdminError.invalid(`Field "${field}" must be a JSON object such as {"gpt-5":"gpt-5.1"}.`);
  }
  return value as Record<string, unknown>;
}

/**
 * The `active` / `disabled` a PATCH asks for, if any. A status change travels alone (with at
 * most a `version`): enabling an item never changes its other fields on the side.
 */
export function statusChange(body: JsonObject): 'active' | 'disabled' | undefined {
  const value = text(body, 'status');
  if (value !== undefined && value !== 'active' && value !== 'disabled') {
    throw AdminError.invalid(`Field "status" must be "active" or "disabled", got "${value}".`);
  }
  if (value !== undefined && Object.keys(body).some((field) => field !== 'status' && field !== 'version')) {
    throw AdminError.invalid('Change "status" on its own, not together with other fields.');
  }
  return value;
}

function parseVersion(raw: unknown, source: string): number {
  const value =
    typeof raw === 'string'
      ? raw
          .trim()
          .replace(/^W\//, '')
          .replace(/^"(.*)"$/, '$1')
      : raw;
  const version =
    typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(version) || version < 0) {
    throw AdminError.invalid(
      `${source} must be the version of the item (a whole number), got ${JSON.stringify(raw)}.`,
    );
  }
  return version;
}

/**
 * The version a change is pinned to: the `If-Match` header (`3` or `"3"`) or the body's
 * `version` field; both given must agree. `undefined` means "whatever version is current".
 */
export function expectedVersion(request: AdminRequest, body: JsonObject = {}): number | undefined {
  const header = request.headers['if-match'];
  const fromHeader =
    header === undefined || header.trim() === '' ? undefined : parseVersion(header, 'If-Match');
  const fromBody = body.version === undefined ? undefined : parseVersion(body.version, 'Field "version"');
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    throw AdminError.invalid(`If-Match (${fromHeader}) and the "version" field (${fromBody}) disagree.`);
  }
  return fromHeader ?? fromBody;
}

/** For changes that cannot lose another admin's edit (atomic additions, idempotent actions). */
export function refuseVersion(request: AdminRequest, body: JsonObject, why: string): void {
  if (expectedVersion(request, body) !== undefined)
    throw AdminError.invalid(`This change takes no version: ${why}`);
}
