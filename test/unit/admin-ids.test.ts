import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKeySecret, listingPrefixOf } from '#shared/admin/api-key-secret.ts';
import { newId } from '#shared/admin/ids.ts';
import { hashApiKey } from '#shared/domain/api-key-hash.ts';

describe('admin ids and key secrets', () => {
  it('makes prefixed ids that say what they name', () => {
    assert.match(newId('user'), /^usr_[0-9a-z]{12}$/);
    assert.match(newId('apiKey'), /^key_[0-9a-z]{12}$/);
    assert.match(newId('group'), /^grp_[0-9a-z]{12}$/);
    assert.match(newId('account'), /^acc_[0-9a-z]{12}$/);
  });

  it('does not repeat ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('user')));
    assert.equal(ids.size, 10_000);
  });

  it('makes sk-qg- secrets with 43 base64url characters of randomness', () => {
    const secret = generateApiKeySecret();
    assert.match(secret, /^sk-qg-[A-Za-z0-9_-]{43}$/);
    assert.notEqual(generateApiKeySecret(), secret);
  });

  it('keeps a listing prefix that reveals only six random characters', () => {
    const secret = generateApiKeySecret();
    assert.equal(listingPrefixOf(secret), secret.slice(0, 12));
  });

  it('hashes a secret to the lower-case sha256 hex the gateway looks up', () => {
    assert.equal(hashApiKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
