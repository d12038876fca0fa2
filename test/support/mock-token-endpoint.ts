/**
 * quotagate's stand-in for OpenAI's OAuth token endpoint (`POST https://auth.openai.com/oauth/token`),
 * on 127.0.0.1 with an ephemeral port. It takes the refresh grant Codex CLI sends, as JSON or as a
 * form, and answers in the mode the test sets:
 *
 * - `success`: new tokens, the refresh token rotated (as OpenAI does). A refresh token it has
 *   already accepted once is refused with 400 `invalid_grant`, as the real endpoint refuses a
 *   reused one. {@link MockTokenEndpoint.spentTwice} lists every token that arrived again after
 *   being accepted (in any mode), so tests can assert that none ever does. A token sent again
 *   after a refusal or a timeout was never spent, so retrying it is fine.
 * - `invalid_grant`: 400 `{"error":"invalid_grant","error_description":…}`. The description quotes
 *   the refresh token back on purpose, so tests prove quotagate masks what an endpoint echoes.
 * - `server_error`: 500 with an OAuth error body.
 * - `timeout`: never answers (until `close()`).
 *
 * `delayMs` holds every answer that long first, and `held` (when set) until it resolves, so a test
 * can act while a refresh is known to be at the endpoint; the access and id tokens are unsigned
 * JWTs that carry `exp` and the `https://api.openai.com/auth` claim with `chatgptAccountId`.
 *
 * @example
 * ```ts
 * const endpoint = await startMockTokenEndpoint();
 * endpoint.mode = 'invalid_grant';
 * // … QG_OAUTH_TOKEN_URL = endpoint.url …
 * await endpoint.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type TokenEndpointMode = 'success' | 'invalid_grant' | 'server_error' | 'timeout';

/** One refresh request as the endpoint received it. */
export interface TokenRequest {
  contentType: string;
  grantType: string | undefined;
  clientId: string | undefined;
  scope: string | undefined;
  refreshToken: string | undefined;
}

/** Tokens the endpoint issued for one successful refresh. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  /** The refresh token spent for these. */
  spent: string;
}

export interface MockTokenEndpoint {
  /** Full token URL, e.g. `http://127.0.0.1:41234/oauth/token`. */
  readonly url: string;
  mode: TokenEndpointMode;
  /** Held before every answer, in ms. */
  delayMs: number;
  /** When set, every answer waits for it (after `delayMs`): a gate the test opens. */
  held: Promise<void> | undefined;
  /** `expires_in` of issued tokens; `undefined` leaves it out of the response. */
  expiresInSeconds: number | undefined;
  /** The ChatGPT account id put in the tokens' auth claim. */
  chatgptAccountId: string;
  /** Every refresh request, in arrival order. */
  readonly requests: TokenRequest[];
  /** Every successful refresh, in order. */
  readonly issued: IssuedTokens[];
  /** Refresh tokens that arrived again after the endpoint had accepted them: must stay empty. */
  spentTwice(): string[];
  close(): Promise<void>;
}

/** An unsigned JWT with the given claims (`alg: none`), shaped like OpenAI's. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
}

function parseBody(contentType: string, raw: string): Record<string, unknown> {
  if (contentType.includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(raw));
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

export async function startMockTokenEndpoint(
  options: Partial<
    Pick<MockTokenEndpoint, 'mode' | 'delayMs' | 'expiresInSeconds' | 'chatgptAccountId'>
  > = {},
): Promise<MockTokenEndpoint> {
  const requests: TokenRequest[] = [];
  const issued: IssuedTokens[] = [];
  const accepted = new Set<string>();
  const reused: string[] = [];
  let sequence = 0;

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  const answer = (request: TokenRequest, response: ServerResponse) => {
    const token = request.refreshToken;
    if (request.grantType !== 'refresh_token' || !token)
      return json(response, 400, {
        error: 'invalid_request',
        error_description: 'refresh_token grant required',
      });
    if (endpoint.mode === 'server_error')
      return json(response, 500, { error: 'server_error', error_description: 'temporarily unavailable' });
    if (endpoint.mode === 'invalid_grant') {
      return json(response, 400, {
        error: 'invalid_grant',
        error_description: `Refresh token ${token} has been revoked`,
      });
    }
    if (accepted.has(token)) {
      return json(response, 400, {
        error: 'invalid_grant',
        error_description: 'Your refresh token has already been used to generate a new access token.',
      });
    }
    accepted.add(token);
    sequence += 1;
    const now = Math.floor(Date.now() / 1000);
    const auth = { 'https://api.openai.com/auth': { chatgpt_account_id: endpoint.chatgptAccountId } };
    const lifetime = endpoint.expiresInSeconds ?? 864_000;
    const tokens: IssuedTokens = {
      accessToken: unsignedJwt({ exp: now + lifetime, iat: now, ...auth }),
      refreshToken: `rt_${sequence}_${randomBytes(24).toString('base64url')}`,
      idToken: unsignedJwt({ exp: now + 3600, email: 'user@example.test', ...auth }),
      spent: token,
    };
    issued.push(tokens);
    return json(response, 200, {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      id_token: tokens.idToken,
      token_type: 'Bearer',
      ...(endpoint.expiresInSeconds === undefined ? {} : { expires_in: endpoint.expiresInSeconds }),
    });
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    if (incoming.method !== 'POST' || incoming.url !== '/oauth/token')
      return json(response, 404, { error: 'not_found' });
    const contentType = incoming.headers['content-type'] ?? '';
    const body = parseBody(contentType, Buffer.concat(chunks).toString('utf8'));
    const request: TokenRequest = {
      contentType,
      grantType: text(body.grant_type),
      clientId: text(body.client_id),
      scope: text(body.scope),
      refreshToken: text(body.refresh_token),
    };
    requests.push(request);
    if (request.refreshToken && accepted.has(request.refreshToken)) reused.push(request.refreshToken);
    if (endpoint.mode === 'timeout') return; // Held open until close() drops the connection.
    if (endpoint.delayMs > 0) await sleep(endpoint.delayMs);
    await endpoint.held;
    answer(request, response);
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch(() => response.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const endpoint: MockTokenEndpoint = {
    url: `http://127.0.0.1:${port}/oauth/token`,
    mode: options.mode ?? 'success',
    delayMs: options.delayMs ?? 0,
    held: undefined,
    expiresInSeconds: 'expiresInSeconds' in options ? options.expiresInSeconds : 864_000,
    chatgptAccountId: options.chatgptAccountId ?? 'chatgpt-acc-mock',
    requests,
    issued,
    spentTwice: () => [...reused],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return endpoint;
}
