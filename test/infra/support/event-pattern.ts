/**
 * EventBridge's pattern matching, for the subset of the pattern language this project's rules
 * use: exact values (strings, numbers, booleans, null) listed in arrays, nested to any depth,
 * matched against event fields that are single values or arrays. A content filter (`prefix`,
 * `anything-but`, `numeric`, `exists`, ...) throws instead of guessing, so a rule that starts using
 * one fails its test until this matcher learns it.
 *
 * Semantics as documented for EventBridge: every field named in the pattern must be present in
 * the event; a field matches when one of the pattern's values equals the event's value (or one
 * of the event's values, when the event field is an array); fields the pattern does not name
 * are ignored.
 */
type Leaf = string | number | boolean | null;

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error('an event pattern is a JSON object');
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([field, expected]) => {
    if (!(field in event)) return false;
    const actual = event[field];
    if (Array.isArray(expected)) return matchesValues(expected, actual, field);
    if (isObject(expected)) return matchesEventPattern(expected, actual);
    throw new Error(`pattern field "${field}" must be an array of values or a nested object`);
  });
}

function matchesValues(expected: unknown[], actual: unknown, field: string): boolean {
  const candidates = Array.isArray(actual) ? actual : [actual];
  return expected.some((value) => {
    if (!isLeaf(value)) {
      throw new Error(`pattern field "${field}" uses a content filter this matcher does not implement`);
    }
    return candidates.some((candidate) => isLeaf(candidate) && candidate === value);
  });
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
