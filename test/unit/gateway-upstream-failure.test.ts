import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '#shared/domain/types.ts';
import {
  judgeUpstreamFailure,
  parseDurationSeconds,
  resetAfterSeconds,
} from '#shared/gateway/upstream-failure.ts';

const account = (customErrorCodes?: number[]): Account => ({
  id: 'acc_1',
  name: 'a',
  type: 'apikey',
  credentials: { apiKey: 'sk-x' },
  status: 'active',
  priority: 1,
  concurrency: 1,
  modelMapping: {},
  groupIds: ['g'],
  health: { state: 'ok' },
  createdAt: '2026-01-01T00:00:00Z',
  ...(customErrorCodes ? { customErrorCodes } : {}),
});
const settings = { rateLimitCooldownSeconds: 300, overloadCooldownSeconds: 600 };
const NOW = 1_800_000_000_000;

describe('judgeUpstreamFailure', () => {
  it('puts the account into error state on 401 and 403', () => {
    for (const status of [401, 403]) {
      const verdict = judgeUpstreamFailure(account(), status, {}, 'bad key sk-abcdefghijkl', settings, NOW);
      assert.equal(verdict.failover, true);
      assert.equal(verdict.health?.state, 'error');
      assert.equal(verdict.health?.reason, `upstream ${status}: bad key sk-[redacted]`);
    }
  });

  it('cools a 429 down until the longest reset the headers give, else the default', () => {
    const withReset = judgeUpstreamFailure(
      account(),
      429,
      {
        'x-codex-primary-reset-after-seconds': '30',
        'x-codex-secondary-reset-after-seconds': '90',
        'retry-after': '5',
      },
      '',
      settings,
      NOW,
    );
    assert.deepEqual([withReset.health?.state, withReset.health?.until], ['rate_limited', NOW + 90_000]);
    const without = judgeUpstreamFailure(account(), 429, {}, '', settings, NOW);
    assert.equal(without.health?.until, NOW + 300_000);
  });

  it('marks 529 overloaded for the cooldown and fails over on other 5xx without marking', () => {
    assert.equal(judgeUpstreamFailure(account(), 529, {}, '', settings, NOW).health?.until, NOW + 600_000);
    assert.deepEqual(judgeUpstreamFailure(account(), 502, {}, '', settings, NOW), { failover: true });
  });

  it('leaves the client’s own 4xx alone', () => {
    for (const status of [400, 404, 422])
      assert.deepEqual(judgeUpstreamFailure(account(), status, {}, '', settings, NOW), { failover: false });
  });

  it('handles only the custom error codes of an account that has them', () => {
    assert.deepEqual(judgeUpstreamFailure(account([429]), 500, {}, '', settings, NOW), { failover: false });
    assert.equal(judgeUpstreamFailure(account([429]), 429, {}, '', settings, NOW).failover, true);
    assert.equal(judgeUpstreamFailure(account([400]), 400, {}, '', settings, NOW).failover, true);
  });
});

describe('reset headers', () => {
  it('parses OpenAI durations and plain seconds', () => {
    assert.equal(parseDurationSeconds('6m0s'), 360);
    assert.equal(parseDurationSeconds('1h2m3.5s'), 3723.5);
    assert.equal(parseDurationSeconds('20ms'), 0.02);
    assert.equal(parseDurationSeconds('17'), 17);
    assert.equal(parseDurationSeconds('soon'), undefined);
  });

  it('reads retry-after as an HTTP date', () => {
    const date = new Date(NOW + 42_000).toUTCString();
    assert.equal(resetAfterSeconds({ 'retry-after': date }, NOW), 42);
  });
});
