import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminError } from '#shared/admin/admin-error.ts';
import { OPS_QUERY_DEFAULT_LIMIT, parseOpsQuery } from '#shared/ops/ops-query.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const DAY = 86_400_000;

describe('parseOpsQuery', () => {
  it('reads the last 24 hours (plus a minute of clock skew) when no range is given', () => {
    // Act
    const query = parseOpsQuery({}, NOW);

    // Assess
    assert.equal(query.toMs, NOW + 60_000);
    assert.equal(query.fromMs, NOW + 60_000 - DAY);
    assert.equal(query.limit, OPS_QUERY_DEFAULT_LIMIT);
  });

  it('reads a bare day in "to" as inclusive and an ISO time as exclusive', () => {
    assert.deepEqual(
      [parseOpsQuery({ from: '2026-11-01', to: '2026-11-02' }, NOW)].map((q) => [q.fromMs, q.toMs]),
      [[Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-03T00:00:00Z')]],
    );
    const iso = parseOpsQuery({ from: '2026-11-01T10:00:00Z', to: '2026-11-01T12:00:00+01:00' }, NOW);
    assert.equal(iso.toMs, Date.parse('2026-11-01T11:00:00Z'));
  });

  it('reads an exact status and a status class', () => {
    assert.deepEqual(parseOpsQuery({ status: '429' }, NOW).status, { min: 429, max: 429 });
    assert.deepEqual(parseOpsQuery({ status: '5xx' }, NOW).status, { min: 500, max: 599 });
  });

  it('keeps the id filters and the error type', () => {
    // Act
    const query = parseOpsQuery(
      { type: 'rate_limit_error', user: 'usr_1', key: 'key_1', account: 'acc_1', limit: '5' },
      NOW,
    );

    // Assess
    assert.equal(query.errorType, 'rate_limit_error');
    assert.equal(query.userId, 'usr_1');
    assert.equal(query.apiKeyId, 'key_1');
    assert.equal(query.accountId, 'acc_1');
    assert.equal(query.limit, 5);
  });

  for (const [params, message] of [
    [{ from: 'yesterday' }, /"from" must be a UTC day/],
    [{ from: '2026-02-30' }, /"from" must be a UTC day/],
    [{ to: '2026-11-01T10:00:00' }, /"to" must be a UTC day .* with a zone/],
    [{ from: '2026-11-02', to: '2026-11-01' }, /"from" must be before "to"/],
    [{ from: '2026-09-01', to: '2026-11-01' }, /longer than 31 days/],
    [{ status: '6xx' }, /"status" must be a status/],
    [{ limit: '0' }, /"limit" must be a whole number from 1 to 1000/],
    [{ limit: '1001' }, /"limit" must be a whole number/],
    [{ user: 'usr 1; drop' }, /"user" is not a valid id/],
    [{ cursor: 'anything' }, /"cursor" is not a cursor/],
  ] as const) {
    it(`refuses ${JSON.stringify(params)} with an invalid-input error`, () => {
      assert.throws(
        () => parseOpsQuery(params, NOW),
        (error: unknown) =>
          error instanceof AdminError && error.kind === 'invalid' && message.test(error.message),
      );
    });
  }
});
