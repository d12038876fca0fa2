/**
 * What `ensureFreshToken` throws when an OAuth account's token is expired and could not be made
 * fresh in time. The gateway treats it like an upstream failure of that account before the first
 * byte: exclude the account, release its slot and fail over to the next one, recording
 * {@link TokenRefreshError.upstreamStatus} as the status that account "answered". The message
 * names the account and the reason, never a token.
 *
 * @example
 * ```ts
 * try {
 *   account = await tokens.ensureFreshToken(account);
 * } catch (error) {
 *   if (error instanceof TokenRefreshError) return { kind: 'failover', upstreamStatus: error.upstreamStatus };
 *   throw error;
 * }
 * ```
 */

/**
 * `rejected`: the endpoint refused the refresh token (or there is none); the account is in error
 * state. `unavailable`: the endpoint failed or timed out; later attempts may succeed. `busy`:
 * another refresher held the lease and no fresh token appeared within the wait.
 */
export type TokenRefreshFailureKind = 'rejected' | 'unavailable' | 'busy';

export class TokenRefreshError extends Error {
  readonly accountId: string;
  readonly kind: TokenRefreshFailureKind;
  /** 401 when the account's credentials are dead (as an upstream 401 would say), else 503. */
  readonly upstreamStatus: number;

  constructor(accountId: string, kind: TokenRefreshFailureKind, reason: string) {
    super(`account ${accountId}: access token expired and not refreshed (${reason})`);
    this.name = 'TokenRefreshError';
    this.accountId = accountId;
    this.kind = kind;
    this.upstreamStatus = kind === 'rejected' ? 401 : 503;
  }
}
