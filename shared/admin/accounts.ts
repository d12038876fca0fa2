/**
 * Admin operations on upstream accounts once they exist: list and show without credentials,
 * disable/enable, tune priority, concurrency, model mapping, error codes and egress, manage
 * group membership, read or clear the health state the gateway sets on failures, and delete.
 * Creating one, where credentials go in, is `account-create.ts`, which shares the checks of the
 * fields both take (concurrency, error codes) from here.
 *
 * Credentials never come out: every result is an {@link AccountView}.
 *
 * @example
 * ```ts
 * await updateAccount(store, 'acc_…', { modelMapping: ['gpt-5=gpt-5.1-codex'] });
 * await setAccountStatus(store, 'acc_…', 'disabled');
 * ```
 */
import type { Account, AccountHealth, Status } from '../domain/types.ts';
import type { ConfigAdmin, Stored, UpdateOptions } from '../store/config-admin.ts';
import { parseProxyUrl, parseUserAgent } from './account-egress.ts';
import { AdminError } from './admin-error.ts';
import { parseCount, parseModelMapping, requireText } from './fields.ts';
import { ensureDefaultGroup, getGroup } from './groups.ts';
import { DEFAULT_GROUP_ID } from './ids.ts';

/** An account as admins see it: no credentials, only when an OAuth token expires. */
export type AccountView = Omit<Stored<Account>, 'credentials'> & { tokenExpiresAt?: string };

/** `from=to` pairs as a list, a comma-separated text or an object (see `parseModelMapping`). */
export type ModelMappingInput = readonly string[] | string | Record<string, unknown>;
/** `401,403,429` or a list; an empty one removes the custom codes (the error's meaning decides). */
export type ErrorCodesInput = string | readonly (string | number)[];

export interface UpdateAccountInput {
  priority?: string | number;
  concurrency?: string | number;
  /** Replaces the whole mapping; an empty one means every model, unmapped. */
  modelMapping?: ModelMappingInput;
  /** Replaces the custom error codes; an empty list removes them. */
  customErrorCodes?: ErrorCodesInput;
  /** Replaces the User-Agent; an empty one sends the client's again. */
  userAgent?: string;
  /** Replaces the proxy; an empty one sends the account's traffic direct again. */
  proxyUrl?: string;
  ifVersion?: number;
}

export function toAccountView(account: Stored<Account>): AccountView {
  const { credentials, ...view } = account;
  const expiresAt = 'expiresAt' in credentials ? credentials.expiresAt : undefined;
  return expiresAt === undefined ? view : { ...view, tokenExpiresAt: expiresAt };
}

export async function getAccount(store: ConfigAdmin, accountId: string): Promise<AccountView> {
  return toAccountView(await readAccount(store, accountId));
}

export async function listAccounts(store: ConfigAdmin): Promise<AccountView[]> {
  const accounts = await store.listAccounts();
  return accounts
    .sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt))
    .map(toAccountView);
}

/** Changes priority, concurrency and/or the model mapping in one conditional write. */
export async function updateAccount(
  store: ConfigAdmin,
  accountId: string,
  input: UpdateAccountInput,
): Promise<AccountView> {
  const id = requireText(accountId, 'Account id');
  const changes: Partial<
    Pick<Account, 'priority' | 'concurrency' | 'modelMapping' | 'customErrorCodes' | 'userAgent'>
  > = {};
  if (input.priority !== undefined)
    changes.priority = parseCount(input.priority, 'Priority', ' (lower is preferred)');
  if (input.concurrency !== undefined) changes.concurrency = parseAccountConcurrency(input.concurrency);
  if (input.modelMapping !== undefined) changes.modelMapping = parseModelMapping(input.modelMapping);
  // An empty list is stored as such: the gateway treats it as "no custom codes".
  if (input.customErrorCodes !== undefined)
    changes.customErrorCodes = parseErrorCodes(input.customErrorCodes);
  // Present but undefined: the attribute is removed.
  if (input.userAgent !== undefined)
    changes.userAgent = input.userAgent === '' ? undefined : parseUserAgent(input.userAgent);
  const proxy =
    input.proxyUrl === undefined
      ? undefined
      : { url: input.proxyUrl === '' ? undefined : parseProxyUrl(input.proxyUrl) };
  if (Object.keys(changes).length === 0 && !proxy) {
    throw AdminError.invalid(
      'Nothing to change: give a priority, a concurrency, a model mapping, custom error codes, a User-Agent or a proxy.',
    );
  }
  let updated =
    Object.keys(changes).length > 0
      ? await store.update('account', id, changes, { ifVersion: input.ifVersion })
      : undefined;
  // The proxy is sealed into the credentials by its own write, pinned to the version just written.
  if (proxy)
    updated = await store.setAccountProxy(id, proxy.url, { ifVersion: updated?.version ?? input.ifVersion });
  return toAccountView(updated as Stored<Account>);
}

/** Disables or re-enables an account; the gateway never schedules a disabled one. */
export async function setAccountStatus(
  store: ConfigAdmin,
  accountId: string,
  status: Status,
  options: UpdateOptions = {},
): Promise<AccountView> {
  return toAccountView(
    await store.update('account', requireText(accountId, 'Account id'), { status }, options),
  );
}

/** Adds the account to a group (which must exist); already being a member is not an error. */
export function addAccountToGroup(
  store: ConfigAdmin,
  accountId: string,
  groupId: string,
): Promise<AccountView> {
  return changeMembership(store, accountId, groupId, async (groupIds, id) => {
    if (groupIds.includes(id)) return undefined;
    if (id === DEFAULT_GROUP_ID) await ensureDefaultGroup(store);
    else await getGroup(store, id);
    return [...groupIds, id];
  });
}

export function removeAccountFromGroup(
  store: ConfigAdmin,
  accountId: string,
  groupId: string,
): Promise<AccountView> {
  return changeMembership(store, accountId, groupId, async (groupIds, id) => {
    if (!groupIds.includes(id)) throw AdminError.notFound(`Account ${accountId} is not in group ${id}.`);
    return groupIds.filter((member) => member !== id);
  });
}

export async function getAccountHealth(store: ConfigAdmin, accountId: string): Promise<AccountHealth> {
  return (await readAccount(store, accountId)).health;
}

/** Puts the account back in rotation: clears an error state or a cooldown the gateway set. */
export async function clearAccountHealth(
  store: ConfigAdmin,
  accountId: string,
  options: UpdateOptions = {},
): Promise<AccountView> {
  const id = requireText(accountId, 'Account id');
  const health: AccountHealth = { state: 'ok', updatedAt: new Date().toISOString() };
  return toAccountView(await store.update('account', id, { health }, options));
}

/** Membership edits read, change and write the list; a concurrent admin edit makes us re-read. */
async function changeMembership(
  store: ConfigAdmin,
  accountId: string,
  groupId: string,
  change: (groupIds: string[], groupId: string) => Promise<string[] | undefined>,
): Promise<AccountView> {
  const id = requireText(groupId, 'Group id');
  for (let attempt = 1; ; attempt += 1) {
    const account = await readAccount(store, accountId);
    const groupIds = await change(account.groupIds, id);
    if (groupIds === undefined) return toAccountView(account);
    try {
      return toAccountView(
        await store.update('account', account.id, { groupIds }, { ifVersion: account.version ?? 0 }),
      );
    } catch (error) {
      if (!(error instanceof AdminError) || error.kind !== 'conflict' || attempt >= 3) throw error;
    }
  }
}

async function readAccount(store: ConfigAdmin, accountId: string): Promise<Stored<Account>> {
  const id = requireText(accountId, 'Account id');
  const account = await store.get('account', id);
  if (!account) throw AdminError.notFound(`Account ${id} does not exist.`);
  return account;
}

/** At least one slot: an account with none would be listed and never scheduled. */
export function parseAccountConcurrency(value: string | number): number {
  const concurrency = parseCount(value, 'Account concurrency');
  if (concurrency < 1) throw AdminError.invalid('Account concurrency must be at least 1.');
  return concurrency;
}

/** HTTP error statuses (400–599), each once, in order; an empty text or list means none. */
export function parseErrorCodes(value: ErrorCodesInput): number[] {
  const items = typeof value === 'string' ? value.split(',') : [...value];
  const texts = items.map((item) => String(item).trim()).filter((item) => item !== '');
  const codes = texts.map((item) => (/^\d{3}$/.test(item) ? Number(item) : Number.NaN));
  const bad = texts.find((_, i) => !((codes[i] as number) >= 400 && (codes[i] as number) <= 599));
  if (bad !== undefined) {
    throw AdminError.invalid(`Custom error codes must be HTTP error statuses (400–599), got "${bad}".`);
  }
  return [...new Set(codes)].sort((a, b) => a - b);
}

/**
 * Deletes an account and its credentials for good. It must be disabled first, so no new request
 * picks it while in-flight ones finish; usage and ops records keep its id, so history and
 * exports are unchanged.
 */
export async function deleteAccount(
  store: ConfigAdmin,
  accountId: string,
  options: { ifVersion?: number | undefined } = {},
): Promise<{ id: string; deleted: true }> {
  const account = await getAccount(store, accountId);
  if (account.status !== 'disabled') {
    throw AdminError.conflict(`Account ${account.id} is active; disable it first, then delete it.`);
  }
  await store.remove('account', account.id, { ifVersion: options.ifVersion ?? account.version ?? 0 });
  return { id: account.id, deleted: true };
}
