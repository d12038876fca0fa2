/**
 * Admin operations on client API keys. A new key's secret is returned once and never stored: the
 * item holds its SHA-256 hex (its item key, what the gateway looks up) and a short prefix for
 * listings. Revoking keeps the item, disabled, so usage records still name a real key.
 *
 * @example
 * ```ts
 * const { key, secret } = await createApiKey(store, { userId: 'usr_…', quotaUsd: '50' });
 * // show `secret` to the admin now; it cannot be recovered later
 * ```
 */
import { BUDGET_PERIODS } from '../billing/key-budget.ts';
import { hashApiKey } from '../domain/api-key-hash.ts';
import type { ApiKey } from '../domain/types.ts';
import type { ConfigAdmin, Stored } from '../store/config-admin.ts';
import { AdminError } from './admin-error.ts';
import { parseOptionalAlertPercent } from './alerts.ts';
import { generateApiKeySecret, listingPrefixOf } from './api-key-secret.ts';
import { type ArchivedFilter, shownBy } from './archived.ts';
import { parseCidrList, parseCount, parseFutureTime, parseModelList, requireText } from './fields.ts';
import { ensureDefaultGroup, getGroup } from './groups.ts';
import { DEFAULT_GROUP_ID, newId } from './ids.ts';
import { parseUsdToNano } from './money.ts';

/** A key as admins see it: everything but the hash, which has no use outside the gateway. */
export type ApiKeyView = Omit<Stored<ApiKey>, 'hash'>;

export interface CreateApiKeyInput {
  userId: string;
  /** Defaults to the `default` group, which is created if needed. */
  groupId?: string;
  name?: string;
  /** ISO date or time after which the key is refused. */
  expiresAt?: string;
  /** Total USD the key may spend. */
  quotaUsd?: string | number;
  /** Models the key may call, as a list or comma-separated text. */
  allowedModels?: string | readonly string[];
  /** CIDR blocks the key may be used from, as a list or comma-separated text. */
  allowedIps?: string | readonly string[];
  /** Requests the key may start per minute (1 or more). */
  requestsPerMinute?: string | number;
  /** USD the key may be billed per `budgetPeriod`; the two come together. */
  budgetUsd?: string | number;
  /** `daily`, `weekly` (from Monday, UTC) or `monthly`. */
  budgetPeriod?: string;
}

export interface CreatedApiKey {
  key: ApiKeyView;
  /** The only time the secret exists outside the client's hands. */
  secret: string;
}

/** A per-minute request limit: 0 would refuse every request, which disabling the key says better. */
function parseRequestRate(value: string | number): number {
  const meaning = ' (requests per minute)';
  const limit = parseCount(value, 'Requests per minute', meaning);
  if (limit === 0) {
    throw AdminError.invalid(`Requests per minute must be 1 or more; to stop a key, disable it.`);
  }
  return limit;
}

function parseBudget(
  usd: string | number | undefined,
  period: string | undefined,
): ApiKey['budget'] | undefined {
  if (usd === undefined && period === undefined) return undefined;
  if (usd === undefined || period === undefined) {
    throw AdminError.invalid('A budget needs both an amount in USD and a period (daily, weekly or monthly).');
  }
  const name = period.trim().toLowerCase();
  const known = BUDGET_PERIODS.find((candidate) => candidate === name);
  if (!known) {
    throw AdminError.invalid(`Budget period must be daily, weekly or monthly, got "${period.slice(0, 40)}".`);
  }
  return { period: known, limitNano: parseUsdToNano(usd, 'Budget') };
}

export function toApiKeyView(key: Stored<ApiKey>): ApiKeyView {
  const { hash: _hash, ...view } = key;
  return view;
}

export async function createApiKey(store: ConfigAdmin, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const userId = requireText(input.userId, 'User id');
  const name = input.name === undefined ? '' : requireText(input.name, 'Key name');
  const expiresAt =
    input.expiresAt === undefined ? undefined : parseFutureTime(input.expiresAt, 'Expiry', new Date());
  const quotaNano = input.quotaUsd === undefined ? undefined : parseUsdToNano(input.quotaUsd, 'Quota');
  const allowedModels = input.allowedModels === undefined ? undefined : parseModelList(input.allowedModels);
  const allowedIps = input.allowedIps === undefined ? undefined : parseCidrList(input.allowedIps);
  const requestsPerMinute =
    input.requestsPerMinute === undefined ? undefined : parseRequestRate(input.requestsPerMinute);
  const budget = parseBudget(input.budgetUsd, input.budgetPeriod);
  const groupId = input.groupId === undefined ? DEFAULT_GROUP_ID : requireText(input.groupId, 'Group id');

  const user = await store.get('user', userId);
  if (!user) throw AdminError.notFound(`User ${userId} does not exist.`);
  if (user.archivedAt !== undefined) {
    throw AdminError.conflict(`User ${userId} is archived; unarchive and enable it before giving it a key.`);
  }
  const group =
    groupId === DEFAULT_GROUP_ID ? await ensureDefaultGroup(store) : await getGroup(store, groupId);

  const secret = generateApiKeySecret();
  const key: ApiKey = {
    id: newId('apiKey'),
    hash: hashApiKey(secret),
    prefix: listingPrefixOf(secret),
    userId: user.id,
    groupId: group.id,
    name,
    status: 'active',
    createdAt: new Date().toISOString(),
  };
  if (expiresAt !== undefined) key.expiresAt = expiresAt;
  if (quotaNano !== undefined) key.quotaNano = quotaNano;
  if (allowedModels !== undefined) key.allowedModels = allowedModels;
  if (allowedIps !== undefined) key.allowedIps = allowedIps;
  if (requestsPerMinute !== undefined) key.requestsPerMinute = requestsPerMinute;
  if (budget !== undefined) key.budget = budget;
  const stored = await store.insert('apiKey', key);
  return { key: toApiKeyView(stored), secret };
}

export async function listApiKeys(store: ConfigAdmin, userId: string): Promise<ApiKeyView[]> {
  const id = requireText(userId, 'User id');
  if (!(await store.get('user', id))) throw AdminError.notFound(`User ${id} does not exist.`);
  const keys = await store.listApiKeys(id);
  return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(toApiKeyView);
}

/**
 * Every key of every user (archived users' keys only when `archived` says so), oldest first: one
 * listing of users, then one of each user's keys.
 */
export async function listAllApiKeys(
  store: ConfigAdmin,
  archived: ArchivedFilter = 'exclude',
): Promise<ApiKeyView[]> {
  const users = (await store.listUsers()).filter(shownBy(archived));
  const perUser = await Promise.all(users.map((user) => store.listApiKeys(user.id)));
  return perUser
    .flat()
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map(toApiKeyView);
}

export interface ApiKeyLimitsInput {
  /** CIDR blocks, or `none` to allow every address again. */
  allowedIps?: string | readonly string[] | undefined;
  /** Requests per minute (1 or more), or `none`. */
  requestsPerMinute?: string | number | undefined;
  /** USD per `budgetPeriod`, or `none` (without a period) to remove the budget. */
  budgetUsd?: string | number | undefined;
  budgetPeriod?: string | undefined;
  /** Percent of the quota or budget at which to alert first (1–100), or `none` for the default. */
  alertPercent?: string | number | undefined;
  ifVersion?: number | undefined;
}

const isNone = (value: unknown): boolean =>
  typeof value === 'string' && value.trim().toLowerCase() === 'none';

/**
 * Changes a key's limits (IP allow-list, requests per minute, budget) and its alert percent in
 * place: the gateway applies them once its config cache has expired. `none` removes a limit;
 * fields not given stay. A changed budget starts unalerted.
 */
export async function setApiKeyLimits(
  store: ConfigAdmin,
  keyId: string,
  input: ApiKeyLimitsInput,
): Promise<ApiKeyView> {
  const id = requireText(keyId, 'Key id');
  const changes: Pick<
    ApiKey,
    | 'allowedIps'
    | 'requestsPerMinute'
    | 'budget'
    | 'alertPercent'
    | 'budgetAlertPeriod'
    | 'budgetAlertPercent'
  > = {};
  const given: string[] = [];
  if (input.allowedIps !== undefined) {
    given.push('allowedIps');
    if (!isNone(input.allowedIps)) changes.allowedIps = parseCidrList(input.allowedIps);
  }
  if (input.requestsPerMinute !== undefined) {
    given.push('requestsPerMinute');
    if (!isNone(input.requestsPerMinute))
      changes.requestsPerMinute = parseRequestRate(input.requestsPerMinute);
  }
  if (input.budgetUsd !== undefined || input.budgetPeriod !== undefined) {
    given.push('budget');
    const removed = isNone(input.budgetUsd) && input.budgetPeriod === undefined;
    if (!removed) changes.budget = parseBudget(input.budgetUsd, input.budgetPeriod);
    given.push('budgetAlertPeriod', 'budgetAlertPercent');
  }
  if (input.alertPercent !== undefined) {
    given.push('alertPercent');
    const percent = parseOptionalAlertPercent(input.alertPercent);
    if (percent !== undefined) changes.alertPercent = percent;
  }
  if (given.length === 0) {
    throw AdminError.invalid(
      'Nothing to change: give allowed IPs, requests per minute, a budget or an alert percent (none removes one).',
    );
  }
  const key = await store.findApiKeyById(id);
  if (!key) throw AdminError.notFound(`API key ${id} does not exist.`);
  if (input.ifVersion !== undefined && input.ifVersion !== (key.version ?? 0)) {
    throw AdminError.conflict(`API key ${id} changed since version ${input.ifVersion}; read it again.`);
  }
  // A limit given as none is named with an undefined value, which the store removes.
  const update = Object.fromEntries(given.map((field) => [field, changes[field as keyof typeof changes]]));
  const changed = await store.update('apiKey', { hash: key.hash, id: key.id }, update, {
    ifVersion: key.version ?? 0,
  });
  return toApiKeyView(changed);
}

/**
 * Disables a key until it is enabled again (the gateway answers 401 meanwhile), or enables it.
 * A revoked key stays disabled: enabling it is refused. Setting the status it already has
 * changes nothing, so scripts can retry.
 */
export async function setApiKeyStatus(
  store: ConfigAdmin,
  keyId: string,
  status: 'active' | 'disabled',
  options: { ifVersion?: number | undefined } = {},
): Promise<ApiKeyView> {
  const id = requireText(keyId, 'Key id');
  const key = await store.findApiKeyById(id);
  if (!key) throw AdminError.notFound(`API key ${id} does not exist.`);
  if (status === 'active' && key.revokedAt !== undefined) {
    throw AdminError.conflict(`API key ${id} was revoked at ${key.revokedAt}; create a new key instead.`);
  }
  if (options.ifVersion !== undefined && options.ifVersion !== (key.version ?? 0)) {
    throw AdminError.conflict(`API key ${id} changed since version ${options.ifVersion}; read it again.`);
  }
  if (key.status === status) return toApiKeyView(key);
  const changed = await store.update(
    'apiKey',
    { hash: key.hash, id: key.id },
    { status },
    { ifVersion: key.version ?? 0 },
  );
  return toApiKeyView(changed);
}

/**
 * Disables a key for good; the gateway answers 401 from then on. Revoking a revoked key changes
 * nothing and is not an error, so scripts can retry.
 */
export async function revokeApiKey(store: ConfigAdmin, keyId: string): Promise<ApiKeyView> {
  const id = requireText(keyId, 'Key id');
  const key = await store.findApiKeyById(id);
  if (!key) throw AdminError.notFound(`API key ${id} does not exist.`);
  if (key.revokedAt !== undefined) return toApiKeyView(key);
  const revoked = await store.update(
    'apiKey',
    { hash: key.hash, id: key.id },
    { status: 'disabled', revokedAt: new Date().toISOString() },
    { ifVersion: key.version ?? 0 },
  );
  return toApiKeyView(revoked);
}
