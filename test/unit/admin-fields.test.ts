import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminError } from '#shared/admin/admin-error.ts';
import {
  parseBillingMode,
  parseCount,
  parseEmail,
  parseFutureTime,
  parseGroupId,
  parseHttpUrl,
  parseIsoTime,
  parseModelList,
  parseModelMapping,
  parsePositiveNumber,
  requireText,
} from '#shared/admin/fields.ts';

function invalid(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof AdminError && error.kind === 'invalid' && pattern.test(error.message);
}

describe('admin field checks', () => {
  it('lower-cases a valid email and refuses malformed ones', () => {
    assert.equal(parseEmail(' Ada@Example.COM '), 'ada@example.com');
    for (const bad of ['ada', 'ada@', '@example.com', 'ada@example', 'a b@example.com', 'ada@@example.com']) {
      assert.throws(() => parseEmail(bad), invalid(/is not a valid email address\./), bad);
    }
    assert.throws(() => parseEmail(undefined), invalid(/^Email is required\.$/));
  });

  it('reads whole counts from digits or numbers and refuses the rest', () => {
    assert.equal(parseCount('0', 'Concurrency'), 0);
    assert.equal(parseCount(12, 'Concurrency'), 12);
    for (const bad of ['-1', '1.5', 'five', '', '1e2', -3]) {
      assert.throws(
        () => parseCount(bad, 'Concurrency', ' (0 means unlimited)'),
        invalid(/^Concurrency must be a whole number of 0 or more \(0 means unlimited\)/),
      );
    }
  });

  it('reads positive multipliers and refuses zero, negatives and junk', () => {
    assert.equal(parsePositiveNumber('1.5', 'Rate multiplier'), 1.5);
    assert.equal(parsePositiveNumber(0.25, 'Rate multiplier'), 0.25);
    for (const bad of ['0', '-1', 'x', 'Infinity', '']) {
      assert.throws(() => parsePositiveNumber(bad, 'Rate multiplier'), invalid(/greater than 0/));
    }
  });

  it('accepts http and https URLs, drops a trailing slash, refuses other schemes and embedded credentials', () => {
    assert.equal(parseHttpUrl('https://api.openai.com/', 'Base URL'), 'https://api.openai.com');
    assert.equal(parseHttpUrl('http://127.0.0.1:9000/proxy', 'Base URL'), 'http://127.0.0.1:9000/proxy');
    for (const bad of ['ftp://host', 'localhost:9000', 'not a url', 'file:///etc/passwd']) {
      assert.throws(
        () => parseHttpUrl(bad, 'Base URL'),
        invalid(/must be an http:\/\/ or https:\/\/ URL/),
        bad,
      );
    }
    assert.throws(
      () => parseHttpUrl('https://user:pw@host', 'Base URL'),
      invalid(/must not contain a user name or password/),
    );
  });

  it('reads ISO dates as 00:00 UTC and date-times in canonical form', () => {
    assert.equal(parseIsoTime('2027-01-01', 'Expiry'), '2027-01-01T00:00:00.000Z');
    assert.equal(parseIsoTime('2027-01-01T12:30:00+02:00', 'Expiry'), '2027-01-01T10:30:00.000Z');
    for (const bad of ['2027-13-01', '2027-02-30', '01/02/2027', 'tomorrow', '2027-1-1']) {
      assert.throws(() => parseIsoTime(bad, 'Expiry'), invalid(/Expiry/), bad);
    }
  });

  it('refuses a time that is not after now', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    assert.equal(parseFutureTime('2030-01-02', 'End date', now), '2030-01-02T00:00:00.000Z');
    assert.throws(
      () => parseFutureTime('2030-01-01', 'End date', now),
      invalid(/End date must be in the future/),
    );
  });

  it('knows the two billing modes, balance by default', () => {
    assert.equal(parseBillingMode(undefined), 'balance');
    assert.equal(parseBillingMode('subscription'), 'subscription');
    assert.throws(
      () => parseBillingMode('prepaid'),
      invalid(/Billing mode must be "balance" or "subscription"/),
    );
  });

  it('accepts readable group ids and refuses others', () => {
    assert.equal(parseGroupId('team-a_1'), 'team-a_1');
    for (const bad of ['Team', '-x', '', 'a b', 'x'.repeat(64)]) {
      assert.throws(() => parseGroupId(bad), invalid(/Group id/), bad);
    }
  });

  it('reads model lists from text or arrays, de-duplicated, refusing empty names', () => {
    assert.deepEqual(parseModelList('gpt-5, gpt-5-mini ,gpt-5'), ['gpt-5', 'gpt-5-mini']);
    assert.deepEqual(parseModelList(['o3']), ['o3']);
    assert.throws(() => parseModelList('gpt-5,'), invalid(/comma-separated list of model names/));
  });

  it('reads model mappings from pairs, JSON text or objects', () => {
    assert.deepEqual(parseModelMapping(['gpt-5=gpt-5.1-codex', 'a = b']), {
      'gpt-5': 'gpt-5.1-codex',
      a: 'b',
    });
    assert.deepEqual(parseModelMapping('{"gpt-5":"gpt-5.1"}'), { 'gpt-5': 'gpt-5.1' });
    assert.deepEqual(parseModelMapping({}), {});
    assert.throws(() => parseModelMapping(['gpt-5']), invalid(/must look like requested=upstream/));
    assert.throws(
      () => parseModelMapping(['=x']),
      invalid(/needs both a requested and an upstream model name/),
    );
    assert.throws(() => parseModelMapping('{nope'), invalid(/not valid JSON/));
    assert.throws(() => parseModelMapping('["a"]'), invalid(/must be an object/));
    assert.throws(
      () => parseModelMapping('{"a":1}'),
      invalid(/needs both a requested and an upstream model name/),
    );
  });

  it('requires non-empty text without echoing it', () => {
    assert.equal(requireText('  x ', 'Name'), 'x');
    assert.throws(() => requireText('   ', 'The access token'), invalid(/^The access token is required\.$/));
    assert.throws(
      () => requireText('secret-value-x', 'The access token', 4),
      invalid(/^The access token must be at most 4 characters\.$/),
    );
  });
});
