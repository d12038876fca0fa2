/**
 * What an upstream error means, read from OpenAI's error body (`error.code`, `error.type`,
 * `error.message`) and not from the status alone: OpenAI answers 403 both for an account that
 * was deactivated and for a request the project may not make (a model it has no access to, a
 * region it does not serve), and only the first says anything about the account.
 *
 * - `account`: the credential, billing or standing of the account (invalid or revoked key,
 *   deactivated account or workspace, `insufficient_quota`, no plan access, 401/402).
 * - `rate_limit`: a 429 that will pass at its reset (not `insufficient_quota`).
 * - `overloaded`: 529, the upstream's own overload answer.
 * - `transient`: other 5xx; nothing is known about the account.
 * - `request`: the request itself (bad parameter, model not found or not allowed, region,
 *   content policy): the client gets OpenAI's answer, no account is touched.
 * - `ambiguous`: a 403 that names none of the above (an HTML page from a proxy, an unknown code):
 *   it may be the account or the request, so one request may take at most one account out of
 *   rotation for it (see `failover-loop` rules in docs/architecture.md).
 *
 * @example
 * ```ts
 * const info = parseUpstreamError(403, '{"error":{"code":"unsupported_country_region_territory",…}}');
 * meaningOf(info); // 'request'
 * ```
 */

export type ErrorMeaning = 'account' | 'rate_limit' | 'overloaded' | 'transient' | 'request' | 'ambiguous';

/** The parts of an upstream error body the gateway acts on. */
export interface UpstreamErrorInfo {
  status: number;
  code: string | undefined;
  type: string | undefined;
  /** `error.message`, or the raw body when it is not OpenAI-shaped. */
  message: string;
  /** ChatGPT backend 429s: seconds until the plan's usage limit resets (`resets_in_seconds`/`resets_at`). */
  resetsInSeconds: number | undefined;
  /**
   * How the body was written: OpenAI's `{"error":{…}}`, the ChatGPT backend's `{"detail":…}`, or
   * anything else (a proxy's HTML page). Only the first may reach a client as it came.
   */
  shape: 'openai' | 'detail' | 'text';
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Reads an error body as OpenAI (or the ChatGPT backend) writes it; any other text is the message. */
export function parseUpstreamError(status: number, body: string, now = Date.now()): UpstreamErrorInfo {
  let error: Record<string, unknown> | undefined;
  let shape: UpstreamErrorInfo['shape'] = 'text';
  try {
    const parsed = JSON.parse(body) as { error?: unknown; detail?: unknown };
    if (typeof parsed.error === 'object' && parsed.error !== null) {
      error = parsed.error as Record<string, unknown>;
      shape = 'openai';
    } else if (typeof parsed.detail === 'string') {
      error = { message: parsed.detail };
      shape = 'detail';
    } else if (typeof parsed.detail === 'object' && parsed.detail !== null) {
      // Older ChatGPT answers nest an OpenAI-style error object in `detail`.
      error = parsed.detail as Record<string, unknown>;
      shape = 'detail';
    }
  } catch {
    // Not JSON (a proxy's HTML page, plain text): the raw text is the message.
  }
  const resetsIn = Number(error?.resets_in_seconds);
  const resetsAt = Number(error?.resets_at);
  let resetsInSeconds: number | undefined;
  if (Number.isFinite(resetsIn) && resetsIn > 0) resetsInSeconds = resetsIn;
  else if (Number.isFinite(resetsAt) && resetsAt * 1000 > now)
    resetsInSeconds = (resetsAt * 1000 - now) / 1000;
  return {
    status,
    code: text(error?.code),
    type: text(error?.type),
    message: text(error?.message) ?? (error ? '' : body),
    resetsInSeconds,
    shape,
  };
}

/** Codes that speak about the account whatever status carries them. */
const ACCOUNT_CODES = new Set([
  'invalid_api_key',
  'account_deactivated',
  'deactivated_workspace',
  'insufficient_quota',
  'billing_hard_limit_reached',
  'billing_not_active',
  'token_expired',
  'token_invalidated',
  'token_revoked',
  'invalid_token',
  'usage_not_included',
  'organization_deactivated',
]);

/** Codes that speak about the request: another account would refuse it the same way. */
const REQUEST_CODES = new Set([
  'model_not_found',
  'unsupported_country_region_territory',
  'unsupported_model',
  'content_policy_violation',
  'invalid_prompt',
  'context_length_exceeded',
  'missing_required_parameter',
  'unsupported_parameter',
  'unsupported_value',
  'invalid_value',
]);

const ACCOUNT_WORDING =
  /\b(deactivated|suspended|banned|revoked|disabled)\b|exceeded your current quota|check your plan and billing|incorrect api key|invalid api key|token (?:has )?expired/i;
const REQUEST_WORDING =
  /does not have access to (?:the )?model|not allowed to (?:use|sample from)|does not exist or you do not have access|country, region, or territory not supported|unsupported_country|content policy|safety system/i;

function codeOf(info: UpstreamErrorInfo): string | undefined {
  return (
    info.code ??
    (info.type && (ACCOUNT_CODES.has(info.type) || REQUEST_CODES.has(info.type)) ? info.type : undefined)
  );
}

export function meaningOf(info: UpstreamErrorInfo): ErrorMeaning {
  const { status } = info;
  const code = codeOf(info);
  if (status === 401 || status === 402) return 'account';
  if (status === 429) {
    // Spent credit, or a ChatGPT plan without Codex: neither passes at a reset.
    const quota =
      code === 'insufficient_quota' ||
      code === 'usage_not_included' ||
      /exceeded your current quota/i.test(info.message);
    return quota ? 'account' : 'rate_limit';
  }
  if (status === 529) return 'overloaded';
  if (status >= 500) return 'transient';
  if (status !== 403) return 'request';
  if (code && ACCOUNT_CODES.has(code)) return 'account';
  if (code && REQUEST_CODES.has(code)) return 'request';
  if (ACCOUNT_WORDING.test(info.message)) return 'account';
  if (REQUEST_WORDING.test(info.message)) return 'request';
  return 'ambiguous';
}

/**
 * The same refusal from two accounts has the same fingerprint: status, code, type and the
 * message with every word that carries a digit (project, organisation and request ids) blanked.
 */
export function refusalFingerprint(info: UpstreamErrorInfo): string {
  const message = info.message
    .slice(0, 500)
    .toLowerCase()
    .replace(/[^\s`'"]*\d[^\s`'"]*/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
  return [info.status, info.code ?? '', info.type ?? '', message].join('|');
}
