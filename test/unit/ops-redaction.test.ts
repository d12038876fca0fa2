import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPS_MESSAGE_MAX_LENGTH, toStoredOpsRecord } from '#shared/ops/ops-record.ts';
import { redactAndCap, redactSecrets } from '#shared/ops/redact.ts';

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzEyMyIsImV4cCI6MTg5MzQ1NjAwMH0.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLWp3dA';

describe('redactSecrets', () => {
  for (const [name, text, secret] of [
    [
      'a platform key',
      'Incorrect API key provided: sk-proj-AbC123dEf456GhI789.',
      'sk-proj-AbC123dEf456GhI789',
    ],
    ['a quotagate key', 'key sk-qg-Zm9vYmFyYmF6cXV4cXV1eA was refused', 'sk-qg-Zm9vYmFyYmF6cXV4cXV1eA'],
    ['a bearer header', 'authorization: Bearer abc.def-123_XYZ', 'abc.def-123_XYZ'],
    ['a JWT on its own', `token expired (${JWT})`, JWT],
    ['a refresh token', 'refresh failed for rt_9f8e7d6c5b4a3210.xyz', 'rt_9f8e7d6c5b4a3210.xyz'],
    ['an api_key pair', 'GET /x?api_key=hunter2hunter2&x=1', 'hunter2hunter2'],
    ['a JSON secret field', '{"access_token": "opaque-value-42", "ok": true}', 'opaque-value-42'],
    ['an x-api-key header', 'x-api-key: plain-secret-value', 'plain-secret-value'],
    [
      'a key masked by the upstream',
      'Incorrect API key provided: sk-upst************************Z789. You can find your API key at …',
      'Z789',
    ],
    ['a masked key cut with an ellipsis', 'key sk-upst****…Z789 refused', 'Z789'],
    ['a masked JWT', 'token eyJhbGci****…Qx7w is invalid', 'Qx7w'],
    ['a cut refresh token', 'refresh token rt_…9f8e was revoked', '9f8e'],
    ['a masked value of unknown kind', 'Incorrect API key provided: abcd****************wxyz.', 'wxyz'],
  ] as const) {
    it(`removes ${name}`, () => {
      // Act
      const redacted = redactSecrets(text);

      // Assess
      assert.ok(!redacted.includes(secret), redacted);
      assert.match(redacted, /redacted/);
    });
  }

  it('leaves ordinary error text alone', () => {
    const text = 'Upstream rate limit exceeded, please retry later (account acc_1, model gpt-5.1)';
    assert.equal(redactSecrets(text), text);
  });

  it('caps long text after redacting, marking the cut', () => {
    // Act
    const capped = redactAndCap(`${'x'.repeat(50)} sk-${'a'.repeat(40)}`, 60);

    // Assess
    assert.equal(capped.length, 60);
    assert.ok(capped.endsWith('…'));
    assert.ok(!capped.includes('aaaaaa'));
  });
});

describe('toStoredOpsRecord', () => {
  const at = Date.parse('2026-11-27T10:15:30.123Z');

  it('adds the ISO time, the UTC day and an expiry 30 days on, in epoch seconds', () => {
    // Act
    const stored = toStoredOpsRecord({
      requestId: 'req_1',
      at,
      route: '/v1/responses',
      method: 'post',
      status: 502,
      errorType: 'upstream_error',
      message: 'Upstream service temporarily unavailable',
      accountId: 'acc_1',
      upstreamStatus: 503,
      latencyMs: 812.4,
    });

    // Assess
    assert.equal(stored.time, '2026-11-27T10:15:30.123Z');
    assert.equal(stored.day, '2026-11-27');
    assert.equal(stored.expiresAt, Math.floor(at / 1000) + 30 * 86_400);
    assert.equal(stored.method, 'POST');
    assert.equal(stored.latencyMs, 812);
    assert.equal(stored.upstreamStatus, 503);
    assert.equal(stored.userId, undefined);
  });

  it('redacts secrets in every text field and caps the message', () => {
    // Act
    const stored = toStoredOpsRecord({
      requestId: 'req_2',
      at,
      route: '/v1/responses',
      method: 'POST',
      status: 401,
      errorType: 'authentication_error',
      message: `Invalid key Bearer sk-live-0123456789abcdef ${'y'.repeat(5000)}`,
      userId: 'sk-leaked-0123456789',
      latencyMs: 3,
    });

    // Assess
    const text = JSON.stringify(stored);
    assert.ok(!text.includes('0123456789abcdef'));
    assert.ok(!text.includes('sk-leaked-0123456789'));
    assert.equal(stored.message.length, OPS_MESSAGE_MAX_LENGTH);
  });
});
