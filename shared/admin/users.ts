/**
 * Admin operations on users: create, list, show (with keys and subscriptions), change balance
 * or concurrency, disable and enable. Input is validated here, before any read or write, so a
 * refused request changes nothing whichever front end sent it.
 *
 * @example
 * ```ts
 * const user = await createUser(store, { email: 'ada@example.com', balanceUsd: '10' });
 * user.balanceNano; // 10_000_000_000
 * ```
 */
import type { Status, Subscription, User } from '../domain/types.ts';
import type { Changes, ConfigAdmin, Stored, UpdateOptions } from '../store/config-admin.ts';
import { AdminError } from './admin-error.ts';
import { parseAlertThreshold } from './alerts.ts';
import { type ApiKeyView, toApiKeyView } from './api-keys.ts';
import { type ArchivedFilter, shownBy } from './archived.ts';
import { parseCount, parseEmail, requireText } from './fields.ts';
import { newId } from './ids.ts';
import { parseIdempotencyKey, parseUsdToNano } from './money.ts';

export const DEFAULT_USER_CONCURRENCY = 5;

const CONCURRENCY_MEANING = ' (0 means unlimited)';

export interface CreateUserInput {
  email: string;
  /** Requests in flight at once; default 5, 0 means unlimited. */
  concurrency?: string | number;
  /** Starting balance in USD, e.g. "10" or "0.1"; default 0. */
  balanceUsd?: string | number;
}

export interface UpdateUserInput {
  /** The new balance in USD (replaces the current one). */
  balanceUsd?: string | number;
  concurrency?: string | number;
  /** Alert when the balance falls below this many USD; `none` goes back to the default. */
  lowBalanceAlertUsd?: string | number;
  /** Refuse the change if the user is no longer at this version. */
  ifVersion?: number;
}

export interface UserDetails {
  user: Stored<User>;
  keys: ApiKeyView[];
  subscriptions: Stored<Subscription>[];
}

/**
 * Creates an active user. Emails are unique, checked against the user list before the write;
 * two admins creating the same email in the same instant could both succeed (the table has no
 * email index), which an admin notices in `users list`.
 */
export async function createUser(store: ConfigAdmin, input: CreateUserInput): Promise<Stored<User>> {
  const email = parseEmail(input.email);
  const concurrency =
    input.concurrency === undefined
      ? DEFAULT_USER_CONCURRENCY
      : parseCount(input.concurrency, 'Concurrency', CONCURRENCY_MEANING);
  const balanceNano = input.balanceUsd === undefined ? 0 : parseUsdToNano(input.balanceUsd, 'Balance');
  const taken = (await store.listUsers()).find((user) => user.email === email);
  if (taken) throw AdminError.conflict(`A user with email ${email} already exists (${taken.id}).`);
  return store.insert('user', {
    id: newId('user'),
    email,
    status: 'active',
    concurrency,
    balanceNano,
    createdAt: new Date().toISOString(),
  });
}

export async function listUsers(
  store: ConfigAdmin,
  archived: ArchivedFilter = 'exclude',
): Promise<Stored<User>[]> {
  const users = (await store.listUsers()).filter(shownBy(archived));
  return users.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function getUser(store: ConfigAdmin, userId: string): Promise<Stored<User>> {
  const id = requireText(userId, 'User id');
  const user = await store.get('user', id);
  if (!user) throw AdminError.notFound(`User ${id} does not exist.`);
  return user;
}

export async function showUser(store: ConfigAdmin, userId: string): Promise<UserDetails> {
  const user = await getUser(store, userId);
  const [keys, subscriptions] = await Promise.all([
    store.listApiKeys(user.id),
    store.listSubscriptions(user.id),
  ]);
  return { user, keys: keys.map(toApiKeyView), subscriptions };
}

/** Sets the balance (replacing it) and/or the concurrency of a user. */
export async function updateUser(
  store: ConfigAdmin,
  userId: string,
  input: UpdateUserInput,
): Promise<Stored<User>> {
  const id = requireText(userId, 'User id');
  const changes: Changes<'user'> = {};
  if (input.balanceUsd !== undefined) {
    changes.balanceNano = parseUsdToNano(input.balanceUsd, 'Balance');
    // A new balance re-arms the low-balance alert, as a top-up does.
    changes.lowBalanceAlertedAt = undefined;
  }
  if (input.concurrency !== undefined) {
    changes.concurrency = parseCount(input.concurrency, 'Concurrency', CONCURRENCY_MEANING);
  }
  if (input.lowBalanceAlertUsd !== undefined) {
    changes.lowBalanceAlertNano = parseAlertThreshold(input.lowBalanceAlertUsd);
  }
  if (Object.keys(changes).length === 0)
    throw AdminError.invalid('Nothing to change: give a balance, a concurrency or a low-balance alert.');
  return store.update('user', id, changes, { ifVersion: input.ifVersion });
}

export interface AddBalanceOptions {
  /**
   * Applies the addition at most once for this key (`--idempotency-key`, `Idempotency-Key`): a
   * retry after a lost answer gets the first call's answer instead of a second credit.
   */
  idempotencyKey?: string | undefined;
}

/**
 * Adds a USD amount (negative to deduct) to the balance atomically; unlike {@link updateUser} it
 * cannot lose a charge the recorder applies at the same moment. The balance stays within
 * ±MAX_MONEY_NANO whatever it held before (a refusal changes nothing). `replayed` tells a retry
 * that an earlier call with the same idempotency key already applied it.
 */
export async function addToUserBalance(
  store: ConfigAdmin,
  userId: string,
  amountUsd: string | number,
  options: AddBalanceOptions = {},
): Promise<{ user: Stored<User>; replayed: boolean }> {
  const id = requireText(userId, 'User id');
  const deltaNano = parseUsdToNano(amountUsd, 'Amount', { allowNegative: true });
  if (deltaNano === 0) throw AdminError.invalid('Amount must not be 0.');
  if (options.idempotencyKey === undefined)
    return { user: await store.addToBalance(id, deltaNano), replayed: false };
  return store.addToBalanceOnce(id, deltaNano, parseIdempotencyKey(options.idempotencyKey));
}

/**
 * Disables or re-enables a user; the gateway refuses every key of a disabled user. `ifVersion`
 * (the admin API's If-Match) refuses the change when someone changed the user since.
 */
export async function setUserStatus(
  store: ConfigAdmin,
  userId: string,
  status: Status,
  options: UpdateOptions = {},
): Promise<Stored<User>> {
  if (status === 'active') {
    const user = await getUser(store, userId);
    if (user.archivedAt !== undefined) {
      throw AdminError.conflict(`User ${user.id} is archived; unarchive it first, then enable it.`);
    }
    return store.update('user', user.id, { status }, { ifVersion: options.ifVersion ?? user.version ?? 0 });
  }
  return store.update('user', requireText(userId, 'User id'), { status }, options);
}

/**
 * Archives a user who no longer uses the pool: disabled (the gateway refuses every key of
 * theirs), hidden from listings, and kept with their keys, balance and usage history, which
 * keep naming them. Like revoking a key it is safe to repeat. Users are archived rather than
 * deleted because usage records and exports name them; accounts and groups, which hold no
 * history of their own, are deleted instead (once disabled or unused).
 */
export async function archiveUser(
  store: ConfigAdmin,
  userId: string,
  options: UpdateOptions = {},
): Promise<Stored<User>> {
  const user = await getUser(store, userId);
  if (user.archivedAt !== undefined) return user;
  return store.update(
    'user',
    user.id,
    { status: 'disabled', archivedAt: new Date().toISOString() },
    { ifVersion: options.ifVersion ?? user.version ?? 0 },
  );
}

/** Shows an archived user in listings again; the user stays disabled until enabled. */
export async function unarchiveUser(
  store: ConfigAdmin,
  userId: string,
  options: UpdateOptions = {},
): Promise<Stored<User>> {
  const user = await getUser(store, userId);
  if (user.archivedAt === undefined) return user;
  return store.update(
    'user',
    user.id,
    { archivedAt: undefined },
    { ifVersion: options.ifVersion ?? user.version ?? 0 },
  );
}
