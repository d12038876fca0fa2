import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account, OAuthCredentials } from '#shared/domain/types.ts';
import { chatgptAccountIdOf, jwtClaimsOf, jwtExpiresAtMs } from '#shared/oauth/jwt-claims.ts';
import {
  accessTokenExpiresAtMs,
  isDueForScheduledRefresh,
  isExpiredForRequest,
  isRefreshable,
  UNKNOWN_EXPIRY_REFRESH_MS,
} from '#shared/oauth/token-expiry.ts';
import { storedOAuthAccount } from '../support/account-fixture.ts';
import { unsignedJwt } from '../support/mock-token-endpoint.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const MINUTE = 60_000;

const oauthAccount = (credentials: OAuthCredentials, fields: Partial<Account> = {}): Account =>
  storedOAuthAccount(credentials, {
    createdAt: new Date(NOW - 30 * 24 * 60 * MINUTE).toISOString(),
    ...fields,
  });

const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

describe('JWT claims', () => {
  it('reads the ChatGPT account id from the https://api.openai.com/auth claim', () => {
    const token = unsignedJwt({ 'https://api.openai.com/auth': { chatgpt_account_id: 'ws-42' } });
    assert.equal(chatgptAccountIdOf(token), 'ws-42');
  });

  it('reads exp in milliseconds', () => {
    assert.equal(jwtExpiresAtMs(unsignedJwt({ exp: 1_800_000_000 })), 1_800_000_000_000);
  });

  it('yields nothing, without throwing, for opaque tokens, broken payloads and missing claims', () => {
    for (const token of [
      undefined,
      '',
      'rt_opaque',
      'a.b',
      'x.!!!.y',
      `a.${Buffer.from('[1]').toString('base64url')}.c`,
    ]) {
      assert.equal(jwtClaimsOf(token), undefined, String(token));
      assert.equal(chatgptAccountIdOf(token), undefined);
      assert.equal(jwtExpiresAtMs(token), undefined);
    }
    assert.equal(chatgptAccountIdOf(unsignedJwt({ 'https://api.openai.com/auth': 'ws-42' })), undefined);
    assert.equal(
      chatgptAccountIdOf(unsignedJwt({ 'https://api.openai.com/auth': { chatgpt_account_id: '' } })),
      undefined,
    );
    assert.equal(jwtExpiresAtMs(unsignedJwt({ exp: '1800000000' })), undefined);
  });
});

describe('token expiry decisions', () => {
  it('prefers the stored expiresAt to the token exp claim, and falls back to it', () => {
    const accessToken = unsignedJwt({ exp: (NOW + 10 * MINUTE) / 1000 });
    assert.equal(accessTokenExpiresAtMs({ accessToken, expiresAt: at(5 * MINUTE) }), NOW + 5 * MINUTE);
    assert.equal(accessTokenExpiresAtMs({ accessToken }), NOW + 10 * MINUTE);
    assert.equal(accessTokenExpiresAtMs({ accessToken, expiresAt: 'not a date' }), NOW + 10 * MINUTE);
    assert.equal(accessTokenExpiresAtMs({ accessToken: 'opaque' }), undefined);
  });

  it('refreshes before a request once the token is expired or has a minute or less left', () => {
    assert.equal(isExpiredForRequest({ accessToken: 'a', expiresAt: at(-1) }, NOW), true);
    assert.equal(isExpiredForRequest({ accessToken: 'a', expiresAt: at(MINUTE) }, NOW), true);
    assert.equal(isExpiredForRequest({ accessToken: 'a', expiresAt: at(MINUTE + 1_000) }, NOW), false);
    assert.equal(isExpiredForRequest({ accessToken: 'a' }, NOW), false);
  });

  it('schedules a refresh for tokens that expire within the window, expired ones included', () => {
    const due = (offsetMs: number) =>
      isDueForScheduledRefresh(oauthAccount({ accessToken: 'a', expiresAt: at(offsetMs) }), NOW, 1800);
    assert.equal(due(-MINUTE), true);
    assert.equal(due(30 * MINUTE), true);
    assert.equal(due(30 * MINUTE + 1_000), false);
  });

  it('schedules a token of unknown expiry once it is 8 days old, counted from the last refresh or the creation', () => {
    const unknown = { accessToken: 'opaque' };
    const created = (ageMs: number, fields: Partial<Account> = {}) =>
      oauthAccount(unknown, { createdAt: new Date(NOW - ageMs).toISOString(), ...fields });
    assert.equal(isDueForScheduledRefresh(created(UNKNOWN_EXPIRY_REFRESH_MS), NOW, 1800), true);
    assert.equal(isDueForScheduledRefresh(created(UNKNOWN_EXPIRY_REFRESH_MS - MINUTE), NOW, 1800), false);
    const refreshedYesterday = created(UNKNOWN_EXPIRY_REFRESH_MS * 2, {
      tokenRefreshedAt: at(-24 * 60 * MINUTE),
    });
    assert.equal(isDueForScheduledRefresh(refreshedYesterday, NOW, 1800), false);
  });

  it('considers only active OAuth accounts out of error state that have a refresh token', () => {
    const credentials = { accessToken: 'a', refreshToken: 'r' };
    assert.equal(isRefreshable(oauthAccount(credentials), NOW), true);
    assert.equal(
      isRefreshable(oauthAccount(credentials, { health: { state: 'rate_limited', until: NOW } }), NOW),
      true,
    );
    assert.equal(isRefreshable(oauthAccount(credentials, { health: { state: 'error' } }), NOW), false);
    const rechecked = { state: 'error', until: NOW } as const;
    assert.equal(isRefreshable(oauthAccount(credentials, { health: rechecked }), NOW), true);
    assert.equal(isRefreshable(oauthAccount(credentials, { health: rechecked }), NOW - 1), false);
    assert.equal(isRefreshable(oauthAccount(credentials, { status: 'disabled' }), NOW), false);
    assert.equal(isRefreshable(oauthAccount({ accessToken: 'a' }), NOW), false);
    assert.equal(isRefreshable(oauthAccount(credentials, { type: 'apikey' }), NOW), false);
  });
});
