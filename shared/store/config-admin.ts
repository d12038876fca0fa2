/**
 * The storage the admin operations (`shared/admin/`) need, and nothing more: conditional
 * inserts, conditional updates that can be pinned to a version, reads and a few listings. The
 * DynamoDB implementation is `shared/store/dynamo/config-admin.ts`; it writes the item layout of
 * `shared/store/dynamo/config-items.ts`, so the gateway reads exactly what an admin wrote.
 *
 * Every admin write bumps a `version` counter and sets `updatedAt`. An update given `ifVersion`
 * succeeds only if the item still has that version, which is how two admins editing the same
 * account cannot silently overwrite each other. Items written by other code may have no version
 * yet; they count as version 0.
 *
 * @example
 * ```ts
 * const account = await store.get('account', 'acc_123');
 * await store.update('account', 'acc_123', { groupIds: [...] }, { ifVersion: account?.version ?? 0 });
 * ```
 */
import type { Account, ApiKey, Group, Subscription, User } from '../domain/types.ts';

/** Bookkeeping each admin write maintains on an item. */
export interface Revision {
  version: number;
  updatedAt: string;
}

/** An entity as read back from storage: revision fields are absent on items no admin wrote. */
export type Stored<T> = T & Partial<Revision>;

export interface ConfigEntities {
  user: User;
  apiKey: ApiKey;
  group: Group;
  account: Account;
  subscription: Subscription;
}

export type EntityKind = keyof ConfigEntities;

/** How each kind is addressed. API keys are stored under the hash of their secret. */
export interface EntityRefs {
  user: string;
  apiKey: { hash: string; id: string };
  group: string;
  account: string;
  subscription: { userId: string; groupId: string };
}

/** Fields that name an entity or its history; an update never changes them. */
type IdentityField = 'id' | 'hash' | 'userId' | 'groupId' | 'createdAt';

/**
 * Fields to set. A field present with the value `undefined` is removed from the item, so an
 * optional setting (an expiry, a limit) can be cleared.
 */
export type Changes<K extends EntityKind> = Partial<Omit<ConfigEntities[K], IdentityField>>;

export interface UpdateOptions {
  /** Succeed only if the item is still at this version (0: never written by an admin). */
  ifVersion?: number;
}

/** What a top-up returns: the user after it, and whether this call only replayed an earlier one. */
export interface BalanceChange {
  user: Stored<User>;
  replayed: boolean;
}

export interface ConfigAdmin {
  /** Writes a new entity with version 1; `conflict` when its key is taken. */
  insert<K extends EntityKind>(kind: K, entity: ConfigEntities[K]): Promise<Stored<ConfigEntities[K]>>;
  /** A strongly consistent read, so a version read here can pin the next update. */
  get<K extends EntityKind>(kind: K, ref: EntityRefs[K]): Promise<Stored<ConfigEntities[K]> | undefined>;
  /** Changes an existing entity; `not_found` when absent, `conflict` when `ifVersion` is stale. */
  update<K extends EntityKind>(
    kind: K,
    ref: EntityRefs[K],
    changes: Changes<K>,
    options?: UpdateOptions,
  ): Promise<Stored<ConfigEntities[K]>>;
  /**
   * Adds a (possibly negative) amount to a user's balance atomically, so a top-up never races
   * with the charges the recorder applies at the same time. `invalid` when the stored balance
   * would pass ±MAX_MONEY_NANO (nothing is changed), `not_found` when there is no such user.
   */
  addToBalance(userId: string, deltaNano: number): Promise<Stored<User>>;
  /**
   * {@link addToBalance} at most once per `idempotencyKey`: a retry gets the first call's answer
   * (`replayed`), a key reused for another user or amount is a `conflict`.
   */
  addToBalanceOnce(userId: string, deltaNano: number, idempotencyKey: string): Promise<BalanceChange>;
  /**
   * Deletes an account or a group item for good; `not_found` when absent, `conflict` when
   * `ifVersion` is stale. Usage and ops records keep naming it: they are never touched.
   */
  remove(kind: 'account' | 'group', id: string, options?: UpdateOptions): Promise<void>;
  listUsers(): Promise<Stored<User>[]>;
  listGroups(): Promise<Stored<Group>[]>;
  listAccounts(): Promise<Stored<Account>[]>;
  listApiKeys(userId: string): Promise<Stored<ApiKey>[]>;
  /** Finds a key by its public id, which is not part of its item key. */
  findApiKeyById(id: string): Promise<Stored<ApiKey> | undefined>;
  /** The subscriptions of one user, or of everyone when no user is given. */
  listSubscriptions(userId?: string): Promise<Stored<Subscription>[]>;
  /**
   * Seals the credentials of an account written before sealing existed (see
   * `secrets/account-credentials.ts`); true when it changed anything. Never needs to decrypt.
   */
  sealAccountCredentials(accountId: string): Promise<boolean>;
  /**
   * Sets the account's outbound proxy (sealed into its credentials, its `scheme://host:port` as
   * `proxyEndpoint`), or removes both when `proxyUrl` is undefined.
   */
  setAccountProxy(
    accountId: string,
    proxyUrl: string | undefined,
    options?: UpdateOptions,
  ): Promise<Stored<Account>>;
}
