/**
 * The one call to the OAuth token endpoint: spend a refresh token for a new access token (and,
 * since OpenAI rotates them, a new refresh token). The request is the one Codex CLI sends: a JSON
 * body `{client_id, grant_type: 'refresh_token', refresh_token, scope: 'openid profile email'}`.
 *
 * A failure is a {@link TokenEndpointError} that says whether retrying can help. Permanent: a 401
 * (Codex CLI's rule), or a 400 whose code says the grant itself is dead (`invalid_grant`,
 * `refresh_token_expired` / `_reused` / `_invalidated`). Everything else (5xx, 429, timeouts,
 * network errors, a 2xx without an access token) is transient. Error messages carry the status,
 * the code and the endpoint's description with every token-looking string masked: they end up in
 * logs and in the account's health reason, where no secret may go.
 *
 * @example
 * ```ts
 * const grant = await requestTokenRefresh(refreshToken, { url, clientId, timeoutMs: 15_000 });
 * grant.accessToken; grant.refreshToken; grant.expiresInSeconds;
 * ```
 */

export interface TokenEndpointOptions {
  url: string;
  clientId: string;
  /** Covers the whole exchange, body included. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** What a successful refresh returned; absent fields were absent from the response. */
export interface TokenGrant {
  accessToken: string;
  /** The rotated refresh token; when absent, the one spent stays valid. */
  refreshToken?: string;
  idToken?: string;
  expiresInSeconds?: number;
}

export class TokenEndpointError extends Error {
  /** Retrying with the same refresh token cannot succeed. */
  readonly permanent: boolean;
  /** The endpoint's error code, or `timeout`, `network`, `http_<status>`, `bad_response`. */
  readonly code: string;
  readonly status: number | undefined;

  constructor(message: string, options: { permanent: boolean; code: string; status?: number }) {
    super(message);
    this.name = 'TokenEndpointError';
    this.permanent = options.permanent;
    this.code = options.code;
    this.status = options.status;
  }
}

export const REFRESH_SCOPE = 'openid profile email';

const PERMANENT_CODES = new Set([
  'invalid_grant',
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
]);
const DESCRIPTION_LIMIT = 200;

/**
 * Masks what could be a credential: the given secrets verbatim, JWTs, `sk-`/`rt_`-style keys and
 * any unbroken run of 24+ token characters that looks random (a digit, or both letter cases).
 * Error codes such as `refresh_token_invalidated` are long too, but lowercase words: they stay.
 */
export function redactTokens(text: string, secrets: readonly (string | undefined)[] = []): string {
  let redacted = text;
  for (const secret of secrets) if (secret) redacted = redacted.split(secret).join('***');
  return redacted
    .replace(/\beyJ[A-Za-z0-9_\-.]{10,}/g, '***')
    .replace(/\b(sk|rk|rt|sess)[-_][A-Za-z0-9_\-.]{6,}/g, '$1-***')
    .replace(/[A-Za-z0-9_\-.~+/=]{24,}/g, (run) =>
      /\d/.test(run) || (/[a-z]/.test(run) && /[A-Z]/.test(run)) ? '***' : run,
    );
}

/** Reads `{error, error_description}` (OAuth), `{error: {code, message}}` or `{code}` bodies. */
export function classifyTokenEndpointFailure(
  status: number,
  body: string,
  secrets: readonly (string | undefined)[] = [],
): TokenEndpointError {
  let code: string | undefined;
  let description: string | undefined;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const error = parsed.error;
    if (typeof error === 'string') code = error;
    else if (error !== null && typeof error === 'object') {
      const inner = error as Record<string, unknown>;
      if (typeof inner.code === 'string') code = inner.code;
      if (typeof inner.message === 'string') description = inner.message;
    }
    if (code === undefined && typeof parsed.code === 'string') code = parsed.code;
    if (typeof parsed.error_description === 'string') description = parsed.error_description;
  } catch {
    // Not JSON (a proxy's HTML page): the status alone has to do.
  }
  const normalised = code?.toLowerCase() ?? `http_${status}`;
  const permanent = status === 401 || (status === 400 && PERMANENT_CODES.has(normalised));
  const detail = description ? `: ${redactTokens(description, secrets).slice(0, DESCRIPTION_LIMIT)}` : '';
  return new TokenEndpointError(`token endpoint answered ${status} ${redactTokens(normalised)}${detail}`, {
    permanent,
    code: normalised,
    status,
  });
}

/** Spends `refreshToken` at the endpoint; throws {@link TokenEndpointError} on any failure. */
export async function requestTokenRefresh(
  refreshToken: string,
  options: TokenEndpointOptions,
): Promise<TokenGrant> {
  const doFetch = options.fetch ?? fetch;
  let status: number;
  let text: string;
  try {
    const response = await doFetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        client_id: options.clientId,
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        scope: REFRESH_SCOPE,
      }),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    // The cause is not quoted: a transport error can echo the request it failed to send.
    throw new TokenEndpointError(
      timedOut
        ? `token endpoint did not answer within ${options.timeoutMs} ms`
        : 'token endpoint unreachable',
      { permanent: false, code: timedOut ? 'timeout' : 'network' },
    );
  }
  if (status < 200 || status >= 300) throw classifyTokenEndpointFailure(status, text, [refreshToken]);
  return grantOf(text, status);
}

function grantOf(text: string, status: number): TokenGrant {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new TokenEndpointError(`token endpoint answered ${status} without an access token`, {
      permanent: false,
      code: 'bad_response',
      status,
    });
  }
  const grant: TokenGrant = { accessToken: body.access_token };
  if (typeof body.refresh_token === 'string' && body.refresh_token !== '')
    grant.refreshToken = body.refresh_token;
  if (typeof body.id_token === 'string' && body.id_token !== '') grant.idToken = body.id_token;
  const expiresIn = Number(body.expires_in);
  if (body.expires_in !== undefined && Number.isFinite(expiresIn) && expiresIn > 0)
    grant.expiresInSeconds = expiresIn;
  return grant;
}
