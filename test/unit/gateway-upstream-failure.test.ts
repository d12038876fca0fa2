import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '#shared/domain/types.ts';
import {
  type ErrorMeaning,
  meaningOf,
  parseUpstreamError,
  refusalFingerprint,
} from '#shared/gateway/upstream-error-meaning.ts';
import {
  judgeUpstreamFailure,
  messageRetrySeconds,
  parseDurationSeconds,
  resetAfterSeconds,
} from '#shared/gateway/upstream-failure.ts';
import { storedAccount } from '../support/account-fixture.ts';
import { chatgptTokenInvalidatedError } from '../support/mock-upstream/errors.ts';

const account = (customErrorCodes?: number[]): Account =>
  storedAccount({ ...(customErrorCodes ? { customErrorCodes } : {}) });
const settings = {
  rateLimitCooldownSeconds: 300,
  overloadCooldownSeconds: 600,
  accountErrorRecheckSeconds: 900,
};
const NOW = 1_800_000_000_000;

const body = (
  message: string,
  type: string | null,
  code: string | null = null,
  param: string | null = null,
) => JSON.stringify({ error: { message, type, param, code } });

/**
 * Error bodies as OpenAI's platform API and the ChatGPT Codex backend send them (wording from
 * OpenAI's error-code guide), with the meaning each must have.
 */
const REAL_ERRORS: [string, number, string, ErrorMeaning][] = [
  [
    'invalid_api_key',
    401,
    body(
      'Incorrect API key provided: sk-proj-********************************************Z789. You can find your API key at https://platform.openai.com/account/api-keys.',
      'invalid_request_error',
      'invalid_api_key',
    ),
    'account',
  ],
  [
    'account_deactivated',
    401,
    body(
      'This key is associated with a deactivated account. If you feel this is an error, contact us through our help center at help.openai.com.',
      'invalid_request_error',
      'account_deactivated',
    ),
    'account',
  ],
  [
    'no organization',
    401,
    body(
      'You must be a member of an organization to use the API.',
      'invalid_request_error',
      'no_organization',
    ),
    'account',
  ],
  [
    'ChatGPT token expired',
    401,
    body('Provided authentication token is expired. Please try signing in again.', null, 'token_expired'),
    'account',
  ],
  [
    'insufficient_quota',
    429,
    body(
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      'insufficient_quota',
      'insufficient_quota',
    ),
    'account',
  ],
  [
    'rate_limit_exceeded',
    429,
    body(
      'Rate limit reached for gpt-4o in organization org-abc123 on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2.002s. Visit https://platform.openai.com/account/rate-limits to learn more.',
      'tokens',
      'rate_limit_exceeded',
    ),
    'rate_limit',
  ],
  [
    'ChatGPT usage_limit_reached',
    429,
    JSON.stringify({
      error: {
        type: 'usage_limit_reached',
        message: 'The usage limit has been reached',
        resets_in_seconds: 1234,
      },
    }),
    'rate_limit',
  ],
  [
    'workspace deactivated (402)',
    402,
    JSON.stringify({ detail: { code: 'deactivated_workspace' } }),
    'account',
  ],
  [
    'ChatGPT plan without Codex',
    403,
    JSON.stringify({ error: { type: 'usage_not_included', message: 'Upgrade to use Codex' } }),
    'account',
  ],
  [
    'unsupported_country_region_territory',
    403,
    body(
      'Country, region, or territory not supported',
      'request_forbidden',
      'unsupported_country_region_territory',
    ),
    'request',
  ],
  [
    'project without access to the model',
    403,
    body(
      'Project `proj_Ab12Cd34` does not have access to model `gpt-5`',
      'invalid_request_error',
      'model_not_found',
    ),
    'request',
  ],
  [
    'model not allowed, no code',
    403,
    body('You are not allowed to sample from this model', 'invalid_request_error'),
    'request',
  ],
  [
    'model_not_found (404)',
    404,
    body(
      'The model `gpt-9` does not exist or you do not have access to it.',
      'invalid_request_error',
      'model_not_found',
    ),
    'request',
  ],
  [
    'unsupported parameter',
    400,
    body(
      "Unsupported parameter: 'temperature' is not supported with this model.",
      'invalid_request_error',
      'unsupported_parameter',
      'temperature',
    ),
    'request',
  ],
  [
    'content policy',
    400,
    body(
      'Your request was rejected as a result of our safety system.',
      'invalid_request_error',
      'content_policy_violation',
    ),
    'request',
  ],
  [
    'context length',
    400,
    body(
      'Your input exceeds the context window of this model. Please adjust your input and try again.',
      'invalid_request_error',
      'context_length_exceeded',
      'input',
    ),
    'request',
  ],
  [
    'server_error',
    500,
    body('The server had an error while processing your request. Sorry about that!', 'server_error'),
    'transient',
  ],
  [
    'engine overloaded (503)',
    503,
    body('The engine is currently overloaded, please try again later.', 'server_error'),
    'transient',
  ],
  ['overloaded (529)', 529, body('The server is overloaded or not ready yet.', 'server_error'), 'overloaded'],
  [
    'ChatGPT plan without Codex (429)',
    429,
    JSON.stringify({ error: { type: 'usage_not_included', message: 'Upgrade to Plus to use Codex' } }),
    'account',
  ],
  ['ChatGPT bare 401', 401, JSON.stringify({ detail: 'Unauthorized' }), 'account'],
  ['ChatGPT token_invalidated', 401, JSON.stringify(chatgptTokenInvalidatedError()), 'account'],
  [
    'ChatGPT model not served (400 detail)',
    400,
    JSON.stringify({
      detail: "The 'gpt-5.1-codex' model is not supported when using Codex with a ChatGPT account.",
    }),
    'request',
  ],
  ['a proxy’s HTML 403', 403, '<html><body><h1>403 Forbidden</h1></body></html>', 'ambiguous'],
  ['a 403 with an unknown code', 403, body('Forbidden', 'permission_error', 'something_new'), 'ambiguous'],
];

describe('meaningOf, on real OpenAI error bodies', () => {
  for (const [name, status, text, expected] of REAL_ERRORS) {
    it(`reads ${name} (${status}) as ${expected}`, () => {
      assert.equal(meaningOf(parseUpstreamError(status, text, NOW)), expected);
    });
  }

  it('reads the message from every shape of body and says which shape it was', () => {
    const shapes = [
      body('Bad input', 'invalid_request_error'),
      JSON.stringify({ detail: 'Unauthorized' }),
      JSON.stringify({
        detail: { message: 'Your authentication token has expired.', code: 'token_expired' },
      }),
      '<html><title>Just a moment...</title></html>',
      JSON.stringify({ message: 'not an error object' }),
    ].map((text) => parseUpstreamError(401, text, NOW));
    assert.deepEqual(
      shapes.map((info) => [info.shape, info.message, info.code]),
      [
        ['openai', 'Bad input', undefined],
        ['detail', 'Unauthorized', undefined],
        ['detail', 'Your authentication token has expired.', 'token_expired'],
        ['text', '<html><title>Just a moment...</title></html>', undefined],
        ['text', '{"message":"not an error object"}', undefined],
      ],
    );
  });

  it('reads the ChatGPT backend’s reset from resets_in_seconds or resets_at', () => {
    const inSeconds = parseUpstreamError(429, JSON.stringify({ error: { resets_in_seconds: 90 } }), NOW);
    const at = parseUpstreamError(429, JSON.stringify({ error: { resets_at: NOW / 1000 + 42 } }), NOW);
    assert.deepEqual([inSeconds.resetsInSeconds, at.resetsInSeconds], [90, 42]);
  });

  it('gives the same refusal from two projects the same fingerprint, and different refusals different ones', () => {
    const a = parseUpstreamError(
      403,
      body('Access denied for project proj_AAA111 (req_1a2b)', 'permission_error'),
    );
    const b = parseUpstreamError(
      403,
      body('Access denied for project proj_BBB222 (req_9z8y)', 'permission_error'),
    );
    const other = parseUpstreamError(403, body('Blocked by policy', 'permission_error'));
    assert.equal(refusalFingerprint(a), refusalFingerprint(b));
    assert.notEqual(refusalFingerprint(a), refusalFingerprint(other));
  });
});

const judge = (status: number, text: string, headers: Record<string, string> = {}, codes?: number[]) =>
  judgeUpstreamFailure(account(codes), parseUpstreamError(status, text, NOW), headers, settings, NOW);

describe('judgeUpstreamFailure', () => {
  it('marks an account-level error with an expiry, never for good, and fails over', () => {
    const verdict = judge(401, REAL_ERRORS[0]?.[2] as string);
    assert.equal(verdict.failover, true);
    assert.equal(verdict.health?.state, 'error');
    assert.equal(verdict.health?.until, NOW + 900_000);
    assert.match(verdict.health?.reason ?? '', /^upstream 401: Incorrect API key provided: /);
    assert.ok(!verdict.health?.reason?.includes('Z789'), verdict.health?.reason);
  });

  it('treats insufficient_quota as an account error, not a rate limit', () => {
    const verdict = judge(429, REAL_ERRORS[4]?.[2] as string, { 'retry-after': '5' });
    assert.deepEqual([verdict.health?.state, verdict.health?.until], ['error', NOW + 900_000]);
  });

  it('sends a request-level refusal back without failover or mark', () => {
    for (const [, status, text, meaning] of REAL_ERRORS) {
      if (meaning !== 'request') continue;
      const verdict = judge(status, text);
      assert.deepEqual(
        [verdict.failover, verdict.health, verdict.deferredHealth],
        [false, undefined, undefined],
      );
    }
  });

  it('defers the mark of an ambiguous 403 and fails over', () => {
    const verdict = judge(403, '<html>Forbidden</html>');
    assert.equal(verdict.failover, true);
    assert.equal(verdict.health, undefined);
    assert.deepEqual(
      [verdict.deferredHealth?.state, verdict.deferredHealth?.until],
      ['error', NOW + 900_000],
    );
  });

  it('cools a 429 down until the longest reset the headers give, else the message, else the default', () => {
    const withReset = judge(429, '', {
      'x-codex-primary-reset-after-seconds': '30',
      'x-codex-secondary-reset-after-seconds': '90',
      'retry-after': '5',
    });
    assert.deepEqual([withReset.health?.state, withReset.health?.until], ['rate_limited', NOW + 90_000]);
    assert.equal(judge(429, REAL_ERRORS[5]?.[2] as string).health?.until, NOW + 2_002);
    assert.equal(judge(429, REAL_ERRORS[6]?.[2] as string).health?.until, NOW + 1_234_000);
    assert.equal(judge(429, '').health?.until, NOW + 300_000);
  });

  it('waits only for the Codex window that is spent, not the weekly one', () => {
    const verdict = judge(429, '', {
      'x-codex-primary-used-percent': '100',
      'x-codex-primary-reset-after-seconds': '600',
      'x-codex-secondary-used-percent': '40',
      'x-codex-secondary-reset-after-seconds': '400000',
    });
    assert.equal(verdict.health?.until, NOW + 600_000);
  });

  it('marks 529 overloaded for the cooldown and fails over on other 5xx without marking', () => {
    assert.equal(judge(529, '').health?.until, NOW + 600_000);
    const verdict = judge(502, '');
    assert.deepEqual([verdict.failover, verdict.health], [true, undefined]);
  });

  it('fails over on 402 and marks the account', () => {
    const verdict = judge(402, '');
    assert.deepEqual([verdict.failover, verdict.health?.state], [true, 'error']);
  });

  it('lets custom error codes decide what marks, never what fails over', () => {
    const unlisted401 = judge(401, REAL_ERRORS[0]?.[2] as string, {}, [429]);
    assert.deepEqual([unlisted401.failover, unlisted401.health], [true, undefined]);
    const unlisted500 = judge(500, '', {}, [429]);
    assert.deepEqual([unlisted500.failover, unlisted500.health], [true, undefined]);
    assert.equal(judge(429, '', {}, [429]).health?.state, 'rate_limited');
    const listed500 = judge(500, '', {}, [500]);
    assert.deepEqual([listed500.failover, listed500.health?.state], [true, 'error']);
    const listedAmbiguous = judge(403, 'Forbidden', {}, [403]);
    assert.deepEqual([listedAmbiguous.health?.state, listedAmbiguous.deferredHealth], ['error', undefined]);
  });
});

describe('reset headers and wording', () => {
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

  it('counts only the x-ratelimit buckets that have no room left', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '20s',
      'x-ratelimit-remaining-tokens': '5000',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    assert.equal(resetAfterSeconds(headers, NOW), 20);
  });

  it('reads "try again in …" from the message', () => {
    assert.equal(messageRetrySeconds('Please try again in 20s.'), 20);
    assert.equal(messageRetrySeconds('Please try again in 1m30s. Visit …'), 90);
    assert.equal(messageRetrySeconds('Please try again in 120ms.'), 0.12);
    assert.equal(messageRetrySeconds('Please try again later.'), undefined);
  });
});
