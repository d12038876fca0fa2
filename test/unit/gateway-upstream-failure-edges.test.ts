/**
 * The edges of what an upstream error does to an account: where the reset is read from when
 * several places name one, header values that are empty, spent or in the past, durations in
 * every unit, the length of a health reason, and custom error codes that list nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '#shared/domain/types.ts';
import { parseUpstreamError } from '#shared/gateway/upstream-error-meaning.ts';
import {
  judgeUpstreamFailure,
  messageRetrySeconds,
  parseDurationSeconds,
  rateLimitSeconds,
  resetAfterSeconds,
} from '#shared/gateway/upstream-failure.ts';
import { storedAccount } from '../support/account-fixture.ts';

const NOW = 1_900_000_000_000;
const settings = {
  rateLimitCooldownSeconds: 45,
  overloadCooldownSeconds: 75,
  accountErrorRecheckSeconds: 120,
};
const account = (customErrorCodes?: number[]): Account =>
  storedAccount({
    id: 'acc_edges',
    type: 'oauth',
    credentials: { accessToken: 'at-x' },
    ...(customErrorCodes ? { customErrorCodes } : {}),
  });
const judge = (status: number, text: string, headers: Record<string, string> = {}, codes?: number[]) =>
  judgeUpstreamFailure(account(codes), parseUpstreamError(status, text, NOW), headers, settings, NOW);
const usageLimit = (resetsInSeconds: number) =>
  JSON.stringify({
    error: {
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      resets_in_seconds: resetsInSeconds,
    },
  });

describe('parseDurationSeconds', () => {
  const cases: [string, number | undefined][] = [
    ['2h', 7200],
    ['3m', 180],
    ['1.5', 1.5],
    ['1.25', 1.25],
    [' 17 ', 17],
    ['250ms', 0.25],
    ['1h0m1s', 3601],
    ['5x', undefined],
    ['10s5', undefined],
    ['x10s', undefined],
    ['', undefined],
    ['1.5.5', undefined],
    ['-3', undefined],
  ];
  for (const [text, seconds] of cases) {
    it(`reads ${JSON.stringify(text)} as ${seconds}`, () => {
      assert.equal(parseDurationSeconds(text), seconds);
    });
  }
});

describe('resetAfterSeconds', () => {
  it('counts a spent Codex window exactly at 100 %, and only the spent one when one window names no percent', () => {
    const headers = {
      'x-codex-primary-used-percent': '100',
      'x-codex-primary-reset-after-seconds': '600',
      'x-codex-secondary-reset-after-seconds': '400000',
    };
    assert.equal(resetAfterSeconds(headers, NOW), 600);
    assert.equal(
      resetAfterSeconds({ ...headers, 'x-codex-primary-used-percent': '99.5' }, NOW),
      undefined,
      'no window is spent',
    );
  });

  it('counts every Codex window when none names a percent, and takes an empty percent for none', () => {
    const headers = {
      'x-codex-primary-reset-after-seconds': '600',
      'x-codex-secondary-reset-after-seconds': '4000',
    };
    assert.equal(resetAfterSeconds(headers, NOW), 4000);
    assert.equal(resetAfterSeconds({ ...headers, 'x-codex-primary-used-percent': ' ' }, NOW), 4000);
    assert.equal(resetAfterSeconds({ ...headers, 'x-codex-primary-used-percent': 'n/a' }, NOW), 4000);
  });

  it('counts an x-ratelimit bucket whose remaining count is not given, and not one with room left', () => {
    assert.equal(resetAfterSeconds({ 'x-ratelimit-reset-requests': '12s' }, NOW), 12);
    assert.equal(
      resetAfterSeconds({ 'x-ratelimit-reset-tokens': '12s', 'x-ratelimit-remaining-tokens': '1' }, NOW),
      undefined,
    );
    assert.equal(resetAfterSeconds({ 'x-ratelimit-reset-': '12s' }, NOW), undefined, 'no bucket name');
    assert.equal(resetAfterSeconds({ 'not-x-ratelimit-reset-requests': '12s' }, NOW), undefined);
    assert.equal(resetAfterSeconds({ 'x-ratelimit-reset-requests': 'soon' }, NOW), undefined);
  });

  it('ignores a retry-after date in the past and one that is no date, and a reset of zero', () => {
    assert.equal(resetAfterSeconds({ 'retry-after': new Date(NOW - 5000).toUTCString() }, NOW), undefined);
    assert.equal(resetAfterSeconds({ 'retry-after': 'whenever' }, NOW), undefined);
    assert.equal(resetAfterSeconds({ 'retry-after': '0' }, NOW), undefined);
    assert.equal(resetAfterSeconds({}, NOW), undefined);
  });
});

describe('messageRetrySeconds', () => {
  it('reads hours and ignores a wait of zero', () => {
    assert.equal(messageRetrySeconds('Please TRY AGAIN IN 1h.'), 3600);
    assert.equal(messageRetrySeconds('Please try again in 0s.'), undefined);
  });
});

describe('rateLimitSeconds', () => {
  it('prefers the body’s reset to the headers, the headers to the message, and the message to the default', () => {
    const message = 'Rate limited. Please try again in 20s.';
    const info = (resetsIn?: number) => ({
      ...parseUpstreamError(429, JSON.stringify({ error: { message } }), NOW),
      resetsInSeconds: resetsIn,
    });
    const headers = { 'retry-after': '7' };
    assert.equal(rateLimitSeconds(info(900), headers, settings, NOW), 900);
    assert.equal(rateLimitSeconds(info(), headers, settings, NOW), 7);
    assert.equal(rateLimitSeconds(info(), {}, settings, NOW), 20);
    const plain = parseUpstreamError(429, '{"error":{"message":"slow down"}}', NOW);
    assert.equal(rateLimitSeconds(plain, {}, settings, NOW), 45);
  });
});

describe('judgeUpstreamFailure', () => {
  it('writes the health with its time, and a ChatGPT usage limit until its reset however the headers disagree', () => {
    const verdict = judge(429, usageLimit(5000), { 'x-codex-primary-reset-after-seconds': '60' });
    assert.deepEqual(verdict, {
      meaning: 'rate_limit',
      failover: true,
      health: {
        state: 'rate_limited',
        reason: 'upstream 429: The usage limit has been reached',
        until: NOW + 5_000_000,
        updatedAt: new Date(NOW).toISOString(),
      },
      fingerprint: '429||usage_limit_reached|the usage limit has been reached',
    });
  });

  it('marks an overloaded upstream for the overload cooldown, and an account error until the re-check', () => {
    assert.deepEqual(judge(529, '').health, {
      state: 'overloaded',
      reason: 'upstream 529: ',
      until: NOW + 75_000,
      updatedAt: new Date(NOW).toISOString(),
    });
    assert.deepEqual(judge(402, '{"detail":"Payment required"}').health, {
      state: 'error',
      reason: 'upstream 402: Payment required',
      until: NOW + 120_000,
      updatedAt: new Date(NOW).toISOString(),
    });
  });

  it('cuts a long upstream message to 300 characters in the reason', () => {
    const long = 'x'.repeat(400);
    const reason = judge(401, JSON.stringify({ detail: long })).health?.reason ?? '';
    assert.equal(reason, `upstream 401: ${'x'.repeat(299)}…`);
  });

  it('rounds the cooldown to whole milliseconds', () => {
    assert.equal(judge(429, '', { 'retry-after': '0.0016' }).health?.until, NOW + 2);
  });

  it('treats an empty list of custom error codes as none', () => {
    assert.equal(judge(401, '').health?.state, 'error');
    assert.equal(judge(401, '', {}, []).health?.state, 'error');
    const ambiguous = judge(403, 'Forbidden', {}, []);
    assert.equal(ambiguous.deferredHealth?.state, 'error');
  });

  it('marks a listed status with the health its meaning gives, and fails it over', () => {
    const listed429 = judge(429, usageLimit(30), {}, [429, 400]);
    assert.deepEqual([listed429.health?.state, listed429.health?.until], ['rate_limited', NOW + 30_000]);
    const listed400 = judge(400, '{"error":{"message":"bad","code":"invalid_value"}}', {}, [429, 400]);
    assert.deepEqual(
      [listed400.meaning, listed400.failover, listed400.health?.state],
      ['request', true, 'error'],
    );
    const unlisted400 = judge(400, '{"error":{"message":"bad"}}', {}, [429]);
    assert.deepEqual([unlisted400.failover, unlisted400.health], [false, undefined]);
  });

  it('neither marks nor defers a transient error or a request refusal', () => {
    for (const verdict of [judge(500, ''), judge(400, '{"error":{"message":"bad"}}')]) {
      assert.equal(verdict.health, undefined);
      assert.equal(verdict.deferredHealth, undefined);
      assert.equal('health' in verdict, false);
    }
  });
});
