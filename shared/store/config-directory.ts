/**
 * What the gateway and the recorder read from the Config table, behind a small interface so the
 * request logic can be tested against dynalite or an in-memory double alike. The DynamoDB
 * implementation is `shared/store/dynamo/config-directory.ts`; `shared/store/cached-directory.ts`
 * wraps any implementation with the gateway's per-process cache.
 *
 * @example
 * ```ts
 * const key = await directory.findApiKey(sha256Hex(secret));
 * ```
 */
import type {
  Account,
  AccountHealth,
  ApiKey,
  Group,
  ListedAccount,
  RequestDefaults,
  Subscription,
  User,
} from '../domain/types.ts';

/** What a request needs to know about its caller once the key is found, read together. */
export interface CallerRecords {
  user: User | undefined;
  group: Group | undefined;
  subscription: Subscription | undefined;
  requestDefaults: RequestDefaults;
}

export interface ConfigDirectory {
  findApiKey(hash: string): Promise<ApiKey | undefined>;
  getUser(id: string): Promise<User | undefined>;
  getGroup(id: string): Promise<Group | undefined>;
  getSubscription(userId: string, groupId: string): Promise<Subscription | undefined>;
  /**
   * Every account as the listing holds it, without credentials; the scheduler filters by group
   * and model, and the chosen account's credentials are read by key ({@link AccountCredentialsReader}).
   */
  listAccounts(): Promise<ListedAccount[]>;
  getRequestDefaults(): Promise<RequestDefaults>;
  /**
   * The key's user, group and subscription and the request defaults in one round trip (a BatchGetItem):
   * on Lambda the config cache has usually expired, and four reads in one request keep the
   * request's critical path short.
   */
  getCallerRecords(userId: string, groupId: string): Promise<CallerRecords>;
}

/** An account's credentials as stored now, still sealed, and the version they were written at. */
export interface StoredCredentials {
  /** The item's `credentials`, secret fields sealed (`shared/secrets/account-credentials.ts`). */
  sealed: Record<string, unknown> | undefined;
  /** The account's `credentialsVersion` (0 when the item has none). */
  version: number;
}

/**
 * Reads one account's credentials by key (the listing never holds them), and opens them apart:
 * an instance may read credentials it never uses, and opening can cost a KMS call.
 */
export interface AccountCredentialsReader {
  /** Strongly consistent; `undefined` when the account no longer exists. */
  readCredentials(accountId: string): Promise<StoredCredentials | undefined>;
  openCredentials(accountId: string, stored: StoredCredentials): Promise<Account['credentials']>;
}

/** Writes the gateway makes to accounts while serving requests. */
export interface AccountHealthWriter {
  /** Records why an account should not be scheduled (error state, cooldown). */
  setHealth(accountId: string, health: AccountHealth): Promise<void>;
}

/** The items a request's billing check reads, as they stand now. */
export interface BillingState {
  key: ApiKey | undefined;
  user: User | undefined;
  /** Read only when asked for (subscription groups). */
  subscription: Subscription | undefined;
}

/**
 * Strongly consistent reads of what limits a request (key spend, balance, subscription windows),
 * bypassing the config cache: the gateway re-checks billing against them when the request takes
 * its user slot, so a cached value can never let a limit run past the requests in flight.
 */
export interface BillingStateReader {
  /**
   * `loadedSince` (epoch ms): values read from DynamoDB, strongly consistently, at or after it
   * (by this request, on a cold cache) are fresh enough and need no second read.
   */
  readBillingState(
    keyHash: string,
    userId: string,
    subscriptionGroupId?: string,
    loadedSince?: number,
  ): Promise<BillingState>;
}
