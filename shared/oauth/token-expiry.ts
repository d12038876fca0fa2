/**
 * When an OAuth account's access token expires and whether it is time to refresh it. The expiry
 * is the stored `credentials.expiresAt` (written by the admin or by the last refresh), else the
 * access token's own `exp` claim. The two callers ask different questions:
 *
 * - the gateway, before a request: has the token expired, or will it within
 *   {@link REQUEST_EXPIRY_MARGIN_SECONDS}? An unknown expiry counts as valid here: the upstream's
 *   401 is the judge, and a request should not wait on a refresh nobody knows is needed.
 * - the schedule: will it expire within the refresh window (30 minutes by default)? An unknown
 *   expiry is due once the token is older than {@link UNKNOWN_EXPIRY_REFRESH_MS} (8 days, Codex
 *   CLI's own refresh interval; its tokens last about 10), counted from quotagate's last refresh
 *   or, before the first one, from when the account was created.
 *
 * @example
 * ```ts
 * isExpiredForRequest(account.credentials, Date.now()); // true: refresh before sending
 * isDueForScheduledRefresh(account, Date.now(), 1800); // true: expires within 30 minutes
 * ```
 */
import { inErrorState } from '../domain/account-health.ts';
import type { Account, OAuthCredentials } from '../domain/types.ts';
import { jwtExpiresAtMs } from './jwt-claims.ts';

/** A token this close to its expiry is refreshed before a request rather than sent. */
export const REQUEST_EXPIRY_MARGIN_SECONDS = 60;
/** Codex CLI's TOKEN_REFRESH_INTERVAL: how old a token of unknown expiry may get. */
export const UNKNOWN_EXPIRY_REFRESH_MS = 8 * 24 * 3600 * 1000;

/** Epoch ms the access token expires, or `undefined` when neither the record nor the token says. */
export function accessTokenExpiresAtMs(credentials: OAuthCredentials): number | undefined {
  if (credentials.expiresAt !== undefined) {
    const stored = Date.parse(credentials.expiresAt);
    if (!Number.isNaN(stored)) return stored;
  }
  return jwtExpiresAtMs(credentials.accessToken);
}

/** True when the token is known to expire within `seconds` of `nowMs` (or already has). */
export function expiresWithin(credentials: OAuthCredentials, nowMs: number, seconds: number): boolean {
  const expiresAt = accessTokenExpiresAtMs(credentials);
  return expiresAt !== undefined && expiresAt - nowMs <= seconds * 1000;
}

/** The gateway's question: refresh before sending this request? */
export function isExpiredForRequest(credentials: OAuthCredentials, nowMs: number): boolean {
  return expiresWithin(credentials, nowMs, REQUEST_EXPIRY_MARGIN_SECONDS);
}

/**
 * Whether the schedule should look at this account at all: an active OAuth account that is not in
 * error state and has a refresh token to spend. An account in error stays out until an admin
 * clears it (or, for an error the gateway set with an expiry, until its re-check time), so a
 * revoked refresh token is not sent again every five minutes.
 */
export function isRefreshable(account: Account, nowMs: number): boolean {
  return (
    account.type === 'oauth' &&
    account.status === 'active' &&
    !inErrorState(account.health, nowMs) &&
    Boolean((account.credentials as OAuthCredentials).refreshToken)
  );
}

/** The schedule's question: does this account's token expire within `windowSeconds`? */
export function isDueForScheduledRefresh(account: Account, nowMs: number, windowSeconds: number): boolean {
  const credentials = account.credentials as OAuthCredentials;
  if (accessTokenExpiresAtMs(credentials) !== undefined)
    return expiresWithin(credentials, nowMs, windowSeconds);
  const since = Date.parse(account.tokenRefreshedAt ?? account.createdAt);
  return Number.isNaN(since) || nowMs - since >= UNKNOWN_EXPIRY_REFRESH_MS;
}
