import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { sessionHashOf } from '#shared/concurrency/session-hash.ts';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const SESSION = '0199a7c3-5b1e-7f00-9a2b-3c4d5e6f7a8b';

describe('sessionHashOf', () => {
  it('hashes the session-id header that Codex sends', () => {
    // Prepare
    const headers = { 'session-id': SESSION };

    // Act
    const hash = sessionHashOf(headers, {});

    // Assess
    assert.equal(hash, sha256(SESSION));
  });

  it('gives one conversation the same hash whichever identity the client sends', () => {
    // Prepare
    const sources: [Record<string, string>, unknown][] = [
      [{ 'session-id': SESSION }, {}],
      [{ session_id: SESSION }, {}],
      [{ 'thread-id': SESSION }, {}],
      [{}, { prompt_cache_key: SESSION }],
    ];

    // Act
    const hashes = new Set(sources.map(([headers, body]) => sessionHashOf(headers, body)));

    // Assess
    assert.deepEqual([...hashes], [sha256(SESSION)]);
  });

  it('prefers session-id, then session_id, then thread-id, then prompt_cache_key', () => {
    // Prepare
    const headers = { 'thread-id': 'c', session_id: 'b', 'session-id': 'a' };
    const body = { prompt_cache_key: 'd' };

    // Act
    const ordered = [
      sessionHashOf(headers, body),
      sessionHashOf({ 'thread-id': 'c', session_id: 'b' }, body),
      sessionHashOf({ 'thread-id': 'c' }, body),
      sessionHashOf({}, body),
    ];

    // Assess
    assert.deepEqual(ordered, ['a', 'b', 'c', 'd'].map(sha256));
  });

  it('matches header names case-insensitively, in records and in Web Headers', () => {
    // Prepare
    const record = { 'Session-Id': SESSION };
    const web = new Headers({ 'Thread-ID': SESSION });

    // Act
    const fromRecord = sessionHashOf(record, undefined);
    const fromHeaders = sessionHashOf(web, undefined);

    // Assess
    assert.equal(fromRecord, sha256(SESSION));
    assert.equal(fromHeaders, sha256(SESSION));
  });

  it('reads the first value of a repeated header, and the first present one among equal names', () => {
    assert.equal(sessionHashOf({ 'session-id': [SESSION, 'other'] }, undefined), sha256(SESSION));
    assert.equal(
      sessionHashOf({ 'session-id': undefined, 'Session-Id': SESSION }, undefined),
      sha256(SESSION),
    );
  });

  it('trims the identity before hashing it, and a header beats the body', () => {
    assert.equal(sessionHashOf({ 'session-id': `  ${SESSION} ` }, undefined), sha256(SESSION));
    assert.equal(sessionHashOf({}, { prompt_cache_key: ` ${SESSION}\t` }), sha256(SESSION));
    assert.equal(sessionHashOf({ 'thread-id': SESSION }, { prompt_cache_key: 'cache-key' }), sha256(SESSION));
  });

  it('skips blank values and returns undefined without any identity', () => {
    // Prepare
    const headers = { 'session-id': '  ', session_id: ['', 'x'], 'thread-id': ' \t ' };
    const bodies: unknown[] = [{ prompt_cache_key: 42 }, { prompt_cache_key: '' }, 'text', null, [SESSION]];

    // Act
    const hashes = bodies.map((body) => sessionHashOf(headers, body));

    // Assess
    assert.deepEqual(hashes, [undefined, undefined, undefined, undefined, undefined]);
  });
});
