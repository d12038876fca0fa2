import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  GatewayError,
  mapUpstreamError,
  sseErrorFrame,
} from '#shared/errors.ts';

describe('GatewayError', () => {
  it('is an Error named GatewayError whose body carries code and param only when it has them', () => {
    const plain = new GatewayError(400, 'invalid_request_error', 'bad');
    const full = new GatewayError(400, 'invalid_request_error', 'bad', 'CODE', 'model');
    assert.ok(plain instanceof Error);
    assert.equal(plain.name, 'GatewayError');
    assert.deepEqual(plain.toBody(), { error: { type: 'invalid_request_error', message: 'bad' } });
    assert.deepEqual(full.toBody(), {
      error: { type: 'invalid_request_error', message: 'bad', code: 'CODE', param: 'model' },
    });
  });

  it('builds each kind with its status and OpenAI type', () => {
    const kinds = [
      [GatewayError.invalidRequest('x'), 400, 'invalid_request_error', 'x'],
      [GatewayError.invalidRequest('x', 413), 413, 'invalid_request_error', 'x'],
      [GatewayError.unauthorized(), 401, 'authentication_error', 'Invalid API key'],
      [GatewayError.forbidden('x', 'C'), 403, 'permission_error', 'x'],
      [GatewayError.rateLimited('x', 'C'), 429, 'rate_limit_error', 'x'],
      [GatewayError.notFound('x'), 404, 'not_found_error', 'x'],
      [GatewayError.internal(), 500, 'api_error', 'Internal error, please retry later'],
    ] as const;
    for (const [error, status, type, message] of kinds) {
      assert.deepEqual([error.status, error.type, error.message], [status, type, message]);
    }
  });

  it('sends Retry-After on every 429 and 503 only: the named seconds rounded up, at least 1, else the default', () => {
    assert.deepEqual(GatewayError.rateLimited('x').responseHeaders(), {
      'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS),
    });
    assert.deepEqual(GatewayError.rateLimited('x').retryAfter(2.1).responseHeaders(), { 'retry-after': '3' });
    assert.deepEqual(GatewayError.rateLimited('x').retryAfter(0.2).responseHeaders(), { 'retry-after': '1' });
    assert.deepEqual(new GatewayError(503, 'upstream_error', 'x').retryAfter(7).responseHeaders(), {
      'retry-after': '7',
    });
    assert.deepEqual(GatewayError.rateLimited('x').retryAfter(undefined).retryAfterSeconds, undefined);
    assert.deepEqual(GatewayError.rateLimited('x').retryAfter(Number.NaN).retryAfterSeconds, undefined);
    assert.deepEqual(GatewayError.forbidden('x').retryAfter(9).responseHeaders(), {});
    assert.deepEqual(new GatewayError(502, 'upstream_error', 'x').responseHeaders(), {});
  });

  it('carries the headers a refusal calls for, beside Retry-After on a 429', () => {
    const notAllowed = new GatewayError(405, 'invalid_request_error', 'x').withHeaders({ allow: 'POST' });
    assert.deepEqual(notAllowed.responseHeaders(), { allow: 'POST' });
    const limited = GatewayError.rateLimited('x').retryAfter(4).withHeaders({ 'x-limit': 'rpm' });
    assert.deepEqual(limited.responseHeaders(), { 'retry-after': '4', 'x-limit': 'rpm' });
  });
});

describe('mapUpstreamError', () => {
  it('answers the last upstream status as docs/architecture.md tabulates it', () => {
    const table = [
      [401, 502, 'upstream_error', 'Upstream authentication failed, please contact administrator'],
      [403, 502, 'upstream_error', 'Upstream access forbidden, please contact administrator'],
      [429, 429, 'rate_limit_error', 'Upstream rate limit exceeded, please retry later'],
      [529, 503, 'upstream_error', 'Upstream service overloaded, please retry later'],
      [500, 502, 'upstream_error', 'Upstream service temporarily unavailable'],
      [502, 502, 'upstream_error', 'Upstream service temporarily unavailable'],
      [503, 502, 'upstream_error', 'Upstream service temporarily unavailable'],
      [504, 502, 'upstream_error', 'Upstream service temporarily unavailable'],
      [418, 502, 'upstream_error', 'Upstream request failed'],
      [0, 502, 'upstream_error', 'Upstream request failed'],
    ] as const;
    for (const [upstream, status, type, message] of table) {
      const error = mapUpstreamError(upstream);
      assert.deepEqual([error.status, error.type, error.message], [status, type, message], String(upstream));
    }
  });
});

describe('sseErrorFrame', () => {
  it("is the Responses API's error event: code (else the type), message, param and sequence number", () => {
    const frame = sseErrorFrame(GatewayError.rateLimited('slow down', 'USAGE_LIMIT_EXCEEDED'), 7);
    assert.ok(frame.startsWith('event: error\ndata: ') && frame.endsWith('\n\n'));
    assert.deepEqual(JSON.parse(frame.slice('event: error\ndata: '.length)), {
      type: 'error',
      code: 'USAGE_LIMIT_EXCEEDED',
      message: 'slow down',
      param: null,
      sequence_number: 7,
    });
    const untyped = sseErrorFrame(new GatewayError(502, 'upstream_error', 'gone'));
    assert.deepEqual(JSON.parse(untyped.slice('event: error\ndata: '.length)), {
      type: 'error',
      code: 'upstream_error',
      message: 'gone',
      param: null,
      sequence_number: 0,
    });
  });
});
