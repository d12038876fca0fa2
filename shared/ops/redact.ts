/**
 * Scrubs what looks like a secret out of text that is about to be stored or logged: OpenAI-style
 * keys (`sk-…`, our own `sk-qg-…`), bearer credentials, JWTs (OAuth access tokens are JWTs),
 * masked or cut forms of these (`sk-proj-****Z789`, `eyJhbGci****…`, `rt_…`, anything with a run
 * of `****`), and `key=value` / `"key": "value"` pairs whose name says secret. Ops records come from error
 * messages, and an upstream error message can echo a header or a key back at us.
 *
 * Redaction is by shape, so it errs on the side of removing too much: a redacted record loses a
 * word, a leaked one loses an account.
 *
 * @example
 * ```ts
 * redactSecrets('Incorrect API key provided: sk-proj-abc123def456'); // 'Incorrect API key provided: sk-[redacted]'
 * ```
 */

const PATTERNS: readonly [RegExp, string][] = [
  // JWTs first: their base64url parts would otherwise be half-eaten by the rules below.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, '$1 [redacted]'],
  // Masked or cut credentials as upstreams echo them (`sk-proj-****Z789`, `eyJhbGci****…`,
  // `rt_…`): the visible ends still narrow a key down, so the whole fragment goes.
  [/\b(sk-|eyJ|rt_)[A-Za-z0-9_.-]*(?:\*{2,}|…|\.{3})[A-Za-z0-9_.*…-]*/g, '$1[redacted]'],
  [/[A-Za-z0-9_.-]*\*{4,}[A-Za-z0-9_.*…-]*/g, '[redacted]'],
  [/\bsk-[A-Za-z0-9_-]{6,}/g, 'sk-[redacted]'],
  // OAuth refresh tokens as the ChatGPT backend issues them.
  [/\brt_[A-Za-z0-9_.-]{8,}/g, 'rt_[redacted]'],
  [
    /\b((?:api[_-]?key|access[_-]?token|refresh[_-]?token|id[_-]?token|token|secret|password|authorization|x-api-key)["']?\s*[:=]\s*["']?)[^\s"',;}&]+/gi,
    '$1[redacted]',
  ],
];

export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/**
 * Redacts, then cuts to `maxLength` characters (an ellipsis marks the cut). Very long input is
 * cut generously before redacting, to bound the regex work, and again after.
 */
export function redactAndCap(text: string, maxLength: number): string {
  const redacted = redactSecrets(text.length > maxLength * 8 ? text.slice(0, maxLength * 8) : text);
  return redacted.length <= maxLength ? redacted : `${redacted.slice(0, maxLength - 1)}…`;
}
