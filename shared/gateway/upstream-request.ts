/**
 * Step 9: what goes upstream. The body gets the mapped model (and, for OAuth accounts,
 * `store:false` and `stream:true`, which the ChatGPT backend requires); only whitelisted client
 * headers pass, and the credential is the platform's, never the client's.
 */
import type { Account, ApiKeyCredentials, OAuthCredentials } from '../domain/types.ts';
import { GatewayError } from '../errors.ts';
import { applyDefaultInstructions } from './codex-client.ts';

/** Client headers that reach the upstream; everything else (Authorization first) stays here. */
const FORWARDED_HEADERS = new Set([
  'accept-language',
  'content-type',
  'user-agent',
  'originator',
  'session_id',
  'session-id',
  'thread-id',
  'conversation_id',
  'x-client-request-id',
]);
const FORWARDED_PREFIX = 'x-codex-';

export interface UpstreamTarget {
  url: string;
  headers: Record<string, string>;
  /** Sent once: `sendUpstream` takes it and leaves it empty (the attempt outlives the send). */
  body: Buffer;
  /** The model named in the upstream body. */
  modelSent: string;
  /** True when the upstream streams although the client asked for one JSON response. */
  upstreamStreams: boolean;
  /** The account's outbound proxy, if it has one (a secret: it may carry credentials). */
  proxyUrl?: string;
}

export interface UpstreamRequestInput {
  account: Account;
  clientHeaders: Record<string, string | undefined>;
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
  isCodexClient: boolean;
  defaultInstructions: string;
  chatgptBaseUrl: string;
  /**
   * The platform endpoint under `/v1`: `chat/completions` for a Chat Completions client on an
   * API-key account, which gets its body as it came (Chat Completions has no `instructions`).
   * ChatGPT accounts always get `responses`.
   */
  platformEndpoint?: 'responses' | 'chat/completions';
}

/** The upstream model for a requested one; accounts without a mapping take any model as is. */
export function mappedModel(account: Account, model: string): string {
  return account.modelMapping[model] ?? model;
}

export function forwardedHeaders(clientHeaders: Record<string, string | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(clientHeaders)) {
    if (value === undefined) continue;
    if (FORWARDED_HEADERS.has(name) || name.startsWith(FORWARDED_PREFIX)) headers[name] = value;
  }
  headers['content-type'] = 'application/json';
  return headers;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function buildUpstreamRequest(input: UpstreamRequestInput): UpstreamTarget {
  const { account } = input;
  const oauth = account.type === 'oauth';
  const modelSent = mappedModel(account, input.model);
  const endpoint = oauth ? 'responses' : (input.platformEndpoint ?? 'responses');
  let body: Record<string, unknown> = { ...input.body, model: modelSent };
  if (!input.isCodexClient && endpoint === 'responses')
    body = applyDefaultInstructions(body, input.defaultInstructions, oauth);
  const headers = forwardedHeaders(input.clientHeaders);
  if (account.userAgent) headers['user-agent'] = account.userAgent;
  let url: string;
  if (oauth) {
    const credentials = account.credentials as OAuthCredentials;
    body.store = false;
    body.stream = true;
    url = `${trimSlash(account.baseUrl ?? input.chatgptBaseUrl)}/responses`;
    headers.authorization = `Bearer ${credentials.accessToken}`;
    if (credentials.chatgptAccountId) headers['chatgpt-account-id'] = credentials.chatgptAccountId;
    headers['openai-beta'] = 'responses=experimental';
    headers.originator ??= 'codex_cli_rs';
  } else {
    const credentials = account.credentials as ApiKeyCredentials;
    // Both `https://host` and `https://host/v1` are common ways to write a base URL.
    const base = trimSlash(account.baseUrl ?? 'https://api.openai.com');
    url = base.endsWith('/v1') ? `${base}/${endpoint}` : `${base}/v1/${endpoint}`;
    headers.authorization = `Bearer ${credentials.apiKey}`;
  }
  const upstreamStreams = body.stream === true;
  headers.accept = upstreamStreams ? 'text/event-stream' : 'application/json';
  return {
    url,
    headers,
    body: serialise(body),
    modelSent,
    upstreamStreams,
    ...(account.credentials.proxyUrl ? { proxyUrl: account.credentials.proxyUrl } : {}),
  };
}

/**
 * JSON.parse reads any depth, JSON.stringify recurses and overflows the stack on a body nested
 * some thousands deep: that is the client's doing, so it gets a 400, not a 500.
 */
function serialise(body: Record<string, unknown>): Buffer {
  try {
    return Buffer.from(JSON.stringify(body));
  } catch (error) {
    if (error instanceof RangeError) throw GatewayError.invalidRequest('Request body is nested too deeply');
    throw error;
  }
}
