/**
 * OpenAI-shaped error bodies, so that code under test (and the official SDK) sees errors exactly as the
 * real API would send them: `{ "error": { "message", "type", "param", "code" } }`.
 */

/** The JSON body of an OpenAI API error response. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Builds an OpenAI-shaped error body. */
export function openAIError(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/**
 * Masks a credential the way OpenAI does in "Incorrect API key provided" messages: a short prefix and
 * the last four characters stay visible, everything else becomes `*`. Short tokens are fully masked.
 */
export function maskToken(token: string): string {
  if (token.length < 12) return '*'.repeat(token.length);
  const prefix = Math.min(8, Math.floor(token.length / 4));
  return `${token.slice(0, prefix)}${'*'.repeat(token.length - prefix - 4)}${token.slice(-4)}`;
}

/** The 401 OpenAI sends when the bearer token is not a valid key. */
export function invalidApiKeyError(token: string): OpenAIErrorBody {
  return openAIError(
    `Incorrect API key provided: ${maskToken(token)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    'invalid_request_error',
    'invalid_api_key',
  );
}

/** The 401 OpenAI sends when there is no bearer token at all. */
export function missingApiKeyError(): OpenAIErrorBody {
  return openAIError(
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
    'invalid_request_error',
  );
}

/** The 400 OpenAI sends when the request body is not a JSON object. */
export function invalidJsonError(): OpenAIErrorBody {
  return openAIError(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    'invalid_request_error',
  );
}

/** The 400 OpenAI sends when a required body field is absent. */
export function missingParameterError(param: string): OpenAIErrorBody {
  return openAIError(
    `Missing required parameter: '${param}'.`,
    'invalid_request_error',
    'missing_required_parameter',
    param,
  );
}

/** What the mock knows about the request when it has to invent an error body. */
export interface ErrorContext {
  model: string;
  token: string;
  requestId: string;
}

/**
 * The body the real API typically returns for `status`, used when an `error` behaviour has no `body`.
 * 429 is a rate limit (not an exhausted quota); 503 and 529 are overload errors.
 */
export function defaultErrorBody(status: number, { model, token, requestId }: ErrorContext): OpenAIErrorBody {
  switch (status) {
    case 400:
      return openAIError('Invalid request (mock upstream).', 'invalid_request_error');
    case 401:
      return invalidApiKeyError(token);
    case 403:
      return openAIError(
        `Project \`proj_mock\` does not have access to model \`${model}\``,
        'invalid_request_error',
        'model_not_found',
      );
    case 404:
      return openAIError(
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    case 422:
      return openAIError('Unprocessable request (mock upstream).', 'invalid_request_error');
    case 429:
      return openAIError(
        `Rate limit reached for ${model} in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
        'requests',
        'rate_limit_exceeded',
      );
    case 503:
    case 529:
      return openAIError(
        'The server is overloaded or not ready yet.',
        'server_error',
        'server_is_overloaded',
      );
    default:
      return status >= 500
        ? openAIError(
            `The server had an error while processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if the error persists. (Please include the request ID ${requestId} in your message.)`,
            'server_error',
          )
        : openAIError(`Request failed with status ${status} (mock upstream).`, 'invalid_request_error');
  }
}

/** The 429 api.openai.com sends when the organisation's credit is spent: not a rate limit. */
export function insufficientQuotaError(): OpenAIErrorBody {
  return openAIError(
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    'insufficient_quota',
    'insufficient_quota',
  );
}

/**
 * The ChatGPT Codex backend's 429 when the plan's usage limit is reached: its own shape, with the
 * reset both as seconds from now and as a Unix time (`resetsInSeconds` undefined leaves it out, as
 * older answers and some clients' readings do).
 */
export function chatgptUsageLimitError(resetsInSeconds: number | undefined, resetsAt?: number) {
  return {
    error: {
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: 'plus',
      ...(resetsAt === undefined ? {} : { resets_at: resetsAt }),
      eligible_promo: null,
      ...(resetsInSeconds === undefined ? {} : { resets_in_seconds: resetsInSeconds }),
    },
  };
}

/** The Codex backend's 429 for a ChatGPT plan that does not include Codex at all: not a rate limit. */
export function chatgptUsageNotIncludedError() {
  return {
    error: {
      type: 'usage_not_included',
      message: 'Codex is not included in your plan. Upgrade to Plus to use Codex.',
      plan_type: 'free',
    },
  };
}

/** The ChatGPT backend's bare `{"detail": …}` errors (a 401 `Unauthorized`, a 400 for a model it does not serve). */
export function chatgptDetailError(detail: string) {
  return { detail };
}

/** The ChatGPT backend's 401 for an access token it revoked, with the status repeated in the body. */
export function chatgptTokenInvalidatedError() {
  return {
    error: {
      message: 'Your authentication token has been invalidated. Please try signing in again.',
      type: 'invalid_request_error',
      code: 'token_invalidated',
      param: null,
    },
    status: 401,
  };
}

/** The older ChatGPT 401 whose `detail` is itself an OpenAI-style error object. */
export function chatgptExpiredTokenDetail() {
  return {
    detail: {
      message: 'Your authentication token has expired. Please try signing in again.',
      type: 'invalid_request_error',
      param: null,
      code: 'token_expired',
    },
  };
}

/** The HTML page Cloudflare answers chatgpt.com requests it blocks with (403, `text/html`). */
export function cloudflareBlockPage(): string {
  return [
    '<!DOCTYPE html>',
    '<html class="no-js" lang="en-US">',
    '<head>',
    '<title>Attention Required! | Cloudflare</title>',
    '<meta charset="UTF-8" />',
    '<meta name="robots" content="noindex, nofollow" />',
    '</head>',
    '<body>',
    '  <div id="cf-wrapper">',
    '    <h1 data-translate="block_headline">Sorry, you have been blocked</h1>',
    '    <h2 class="cf-subheadline">You are unable to access chatgpt.com</h2>',
    '    <span class="cf-footer-item">Cloudflare Ray ID: <strong class="font-semibold">9ef4d8725d06a6c8</strong></span>',
    '  </div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
