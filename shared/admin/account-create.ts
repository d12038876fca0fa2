/**
 * Where an account's credentials go in: creating an account (a platform API key or ChatGPT OAuth
 * tokens, with its settings and groups) and sealing the credentials of accounts stored before
 * sealing existed. Everything after creation that reads or edits an account without its
 * credentials is `accounts.ts`; the proxy, sealed into the credentials, is set there through the
 * store's own write.
 *
 * Credentials never come out: the result is an {@link AccountView}, and no message echoes a value.
 *
 * @example
 * ```ts
 * await createAccount(store, { type: 'apikey', name: 'platform', apiKey: 'sk-…' });
 * await resealAccounts(store); // { accounts: 3, sealed: [] } once every account is sealed
 * ```
 */
import type { Account } from '../domain/types.ts';
import type { ConfigAdmin } from '../store/config-admin.ts';
import { parseProxyUrl, parseUserAgent, proxyEndpointOf } from './account-egress.ts';
import {
  type AccountView,
  type ErrorCodesInput,
  type ModelMappingInput,
  parseAccountConcurrency,
  parseErrorCodes,
  toAccountView,
} from './accounts.ts';
import { AdminError } from './admin-error.ts';
import {
  parseCount,
  parseHttpUrl,
  parseIsoTime,
  parseModelMapping,
  requireCredential,
  requireText,
} from './fields.ts';
import { ensureDefaultGroup, getGroup } from './groups.ts';
import { DEFAULT_GROUP_ID, newId } from './ids.ts';

export const DEFAULT_ACCOUNT_CONCURRENCY = 10;
/** Lower is preferred; the middle of the range leaves room on both sides. */
export const DEFAULT_ACCOUNT_PRIORITY = 50;
export const DEFAULT_PLATFORM_BASE_URL = 'https://api.openai.com';

export interface CreateAccountInput {
  type: string;
  name: string;
  /** Upstream base URL; platform accounts default to https://api.openai.com. */
  baseUrl?: string;
  /** Platform API key (type `apikey`). */
  apiKey?: string;
  /** OAuth credentials (type `oauth`). */
  accessToken?: string;
  refreshToken?: string;
  chatgptAccountId?: string;
  /** ISO time the access token expires. */
  expiresAt?: string;
  priority?: string | number;
  concurrency?: string | number;
  /** Groups served; defaults to the `default` group, created if needed. */
  groupIds?: string | readonly string[];
  modelMapping?: ModelMappingInput;
  /** Upstream statuses that mark this account (and only these); never what fails over. */
  customErrorCodes?: ErrorCodesInput;
  /** User-Agent sent upstream instead of the client's. */
  userAgent?: string;
  /** HTTP(S) proxy for the account's upstream traffic; may carry credentials (a secret). */
  proxyUrl?: string;
}

export async function createAccount(store: ConfigAdmin, input: CreateAccountInput): Promise<AccountView> {
  const name = requireText(input.name, 'Account name');
  const type = input.type;
  if (type !== 'apikey' && type !== 'oauth') {
    throw AdminError.invalid(`Account type must be "apikey" or "oauth", got "${type}".`);
  }
  const priority =
    input.priority === undefined
      ? DEFAULT_ACCOUNT_PRIORITY
      : parseCount(input.priority, 'Priority', ' (lower is preferred)');
  const concurrency =
    input.concurrency === undefined
      ? DEFAULT_ACCOUNT_CONCURRENCY
      : parseAccountConcurrency(input.concurrency);
  const modelMapping = input.modelMapping === undefined ? {} : parseModelMapping(input.modelMapping);
  const requestedGroups = input.groupIds === undefined ? [DEFAULT_GROUP_ID] : parseGroupIds(input.groupIds);
  const account: Account = {
    id: newId('account'),
    name,
    type,
    credentials: type === 'apikey' ? apiKeyCredentials(input) : oauthCredentials(input),
    status: 'active',
    priority,
    concurrency,
    modelMapping,
    groupIds: requestedGroups,
    health: { state: 'ok' },
    createdAt: new Date().toISOString(),
  };
  const customErrorCodes =
    input.customErrorCodes === undefined ? [] : parseErrorCodes(input.customErrorCodes);
  if (customErrorCodes.length > 0) account.customErrorCodes = customErrorCodes;
  if (input.userAgent !== undefined) account.userAgent = parseUserAgent(input.userAgent);
  if (input.proxyUrl !== undefined) {
    account.credentials.proxyUrl = parseProxyUrl(input.proxyUrl);
    account.proxyEndpoint = proxyEndpointOf(account.credentials.proxyUrl);
  }
  if (type === 'apikey')
    account.baseUrl = parseHttpUrl(input.baseUrl ?? DEFAULT_PLATFORM_BASE_URL, 'Base URL');
  else if (input.baseUrl !== undefined) account.baseUrl = parseHttpUrl(input.baseUrl, 'Base URL');

  for (const groupId of requestedGroups) {
    if (groupId === DEFAULT_GROUP_ID) await ensureDefaultGroup(store);
    else await getGroup(store, groupId);
  }
  return toAccountView(await store.insert('account', account));
}

/**
 * Seals the credentials of every account stored before sealing existed, one conditional write
 * each; accounts already sealed are left alone, so running it again changes nothing.
 */
export async function resealAccounts(store: ConfigAdmin): Promise<{ accounts: number; sealed: string[] }> {
  const accounts = await store.listAccounts();
  const sealed: string[] = [];
  for (const account of accounts) if (await store.sealAccountCredentials(account.id)) sealed.push(account.id);
  return { accounts: accounts.length, sealed };
}

function parseGroupIds(value: string | readonly string[]): string[] {
  const ids = (typeof value === 'string' ? value.split(',') : [...value]).map((id) => id.trim());
  if (ids.length === 0 || ids.some((id) => id === '')) {
    throw AdminError.invalid('Groups must be a comma-separated list of group ids.');
  }
  return [...new Set(ids)];
}

/** Messages here name the missing flag's meaning, never the value: the value is a secret. */
function apiKeyCredentials(input: CreateAccountInput): Account['credentials'] {
  if (
    input.accessToken !== undefined ||
    input.refreshToken !== undefined ||
    input.chatgptAccountId !== undefined
  ) {
    throw AdminError.invalid('OAuth tokens and a ChatGPT account id apply only to accounts of type "oauth".');
  }
  if (input.expiresAt !== undefined)
    throw AdminError.invalid('A token expiry applies only to accounts of type "oauth".');
  return { apiKey: requireCredential(input.apiKey, 'The upstream API key', 4096) };
}

function oauthCredentials(input: CreateAccountInput): Account['credentials'] {
  if (input.apiKey !== undefined)
    throw AdminError.invalid('An upstream API key applies only to accounts of type "apikey".');
  const credentials: Account['credentials'] = {
    accessToken: requireCredential(input.accessToken, 'The access token', 8192),
  };
  if (input.refreshToken !== undefined)
    credentials.refreshToken = requireCredential(input.refreshToken, 'The refresh token', 8192);
  if (input.chatgptAccountId !== undefined) {
    credentials.chatgptAccountId = requireCredential(input.chatgptAccountId, 'The ChatGPT account id', 200);
  }
  if (input.expiresAt !== undefined) credentials.expiresAt = parseIsoTime(input.expiresAt, 'Token expiry');
  return credentials;
}
