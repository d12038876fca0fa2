import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyTokenEndpointFailure, redactTokens } from '#shared/oauth/token-endpoint.ts';
import { unsignedJwt } from '../support/mock-token-endpoint.ts';

describe('token endpoint failures', () => {
  it('treats invalid_grant and the refresh_token_* codes on 400, and any 401, as permanent', () => {
    for (const [status, body] of [
      [400, '{"error":"invalid_grant","error_description":"Invalid refresh token"}'],
      [400, '{"error":{"code":"refresh_token_reused","message":"already used"}}'],
      [400, '{"code":"refresh_token_expired"}'],
      [401, '{"error":{"code":"refresh_token_invalidated"}}'],
      [401, 'Unauthorized'],
    ] as const) {
      assert.equal(classifyTokenEndpointFailure(status, body).permanent, true, `${status} ${body}`);
    }
  });

  it('treats 5xx, 429 and other 400s as transient', () => {
    for (const [status, body] of [
      [500, '{"error":"server_error"}'],
      [503, '<html>Service Unavailable</html>'],
      [429, '{"error":"rate_limited"}'],
      [400, '{"error":"invalid_request","error_description":"missing client_id"}'],
    ] as const) {
      assert.equal(classifyTokenEndpointFailure(status, body).permanent, false, `${status} ${body}`);
    }
  });

  it('says the status, the code and the description, with the spent token masked', () => {
    // Prepare
    const refreshToken = 'v1.MjQ0ZTc0NWQtNWM2Yy00ZDhhLWI0';

    // Act
    const error = classifyTokenEndpointFailure(
      400,
      JSON.stringify({
        error: 'invalid_grant',
        error_description: `Refresh token ${refreshToken} was revoked`,
      }),
      [refreshToken],
    );

    // Assess
    assert.equal(error.message, 'token endpoint answered 400 invalid_grant: Refresh token *** was revoked');
    assert.equal(error.code, 'invalid_grant');
    assert.equal(error.status, 400);
  });

  it('names a non-JSON failure by its status', () => {
    const error = classifyTokenEndpointFailure(502, '<html>Bad Gateway</html>');
    assert.equal(error.code, 'http_502');
    assert.equal(error.message, 'token endpoint answered 502 http_502');
  });
});

describe('redactTokens', () => {
  it('masks JWTs, prefixed keys and random-looking runs, keeping words and error codes', () => {
    const jwt = unsignedJwt({ sub: 'user' });
    const text = `bad ${jwt} rt_abcdef123 sk-proj-abcdef1234 Zx9aQ2LmN4pR7sT1vW3yB5dF refresh_token_invalidated here`;
    assert.equal(redactTokens(text), 'bad *** rt-*** sk-*** *** refresh_token_invalidated here');
  });

  it('masks the given secrets wherever they appear', () => {
    assert.equal(
      redactTokens('token=opaque secret; again opaque secret', ['opaque secret']),
      'token=***; again ***',
    );
  });
});
