/**
 * Reads the claims of the JWTs OpenAI's token endpoint issues (access and id tokens) without
 * verifying them: quotagate only needs hints it can also get elsewhere (when a token expires,
 * which ChatGPT account it belongs to), never a decision about trust. A token that is not a JWT
 * yields no claims rather than an error, and no function here ever echoes a token back.
 *
 * @example
 * ```ts
 * chatgptAccountIdOf(idToken); // 'acc-123' from the `https://api.openai.com/auth` claim
 * jwtExpiresAtMs(accessToken); // exp × 1000, or undefined
 * ```
 */

/** The claim under which OpenAI puts ChatGPT-specific identity, as Codex CLI reads it. */
export const OPENAI_AUTH_CLAIM = 'https://api.openai.com/auth';

/** The payload of a JWT as an object, or `undefined` when the text is not a JWT with a JSON payload. */
export function jwtClaimsOf(token: string | undefined): Record<string, unknown> | undefined {
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The ChatGPT account (workspace) id a token was issued for, if it says. */
export function chatgptAccountIdOf(token: string | undefined): string | undefined {
  const auth = jwtClaimsOf(token)?.[OPENAI_AUTH_CLAIM];
  if (auth === null || typeof auth !== 'object') return undefined;
  const id = (auth as Record<string, unknown>).chatgpt_account_id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** Epoch ms of the token's `exp` claim, if it is a JWT that has one. */
export function jwtExpiresAtMs(token: string | undefined): number | undefined {
  const exp = jwtClaimsOf(token)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) && exp > 0 ? exp * 1000 : undefined;
}
