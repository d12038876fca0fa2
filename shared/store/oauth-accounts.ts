/**
 * The OAuth accounts the token refresher keeps fresh: strongly consistent reads, and writes
 * conditioned on the refresh token that was spent still being the stored one, so a slow or
 * superseded refresher never overwrites newer credentials. The DynamoDB implementation is
 * `shared/store/dynamo/oauth-account-store.ts`; the lease that makes a refresher the only one of
 * an account is `RefreshLeases` (`shared/store/refresh-leases.ts`).
 *
 * @example
 * ```ts
 * const account = await accounts.getAccount('acc_1');
 * await accounts.saveRefreshed('acc_1', spentRefreshToken, { accessToken, refreshToken, refreshedAt });
 * ```
 */
import type { Account, AccountHealth } from '../domain/types.ts';

/** New credentials after a successful refresh. */
export interface RefreshedCredentials {
  accessToken: string;
  refreshToken: string;
  /** ISO; absent when neither the endpoint nor the token says (the old value is then removed). */
  expiresAt?: string;
  /** Set only when the account had none and the new tokens name one. */
  chatgptAccountId?: string;
  /** ISO time of the refresh. */
  refreshedAt: string;
}

/** A failed refresh, as recorded on the account. */
export interface RefreshFailure {
  /** The failure count the account had when it was read, which the write is conditioned on. */
  previousFailures: number;
  /** The new count; ignored when `health` is set (entering error state starts the count afresh). */
  failures: number;
  /** Why, without any secret. */
  reason: string;
  /** Error state to enter, when this failure is the last straw. */
  health?: AccountHealth;
}

export interface OAuthAccountStore {
  /** A strongly consistent read: what a refresher decides on must include the latest refresh. */
  getAccount(accountId: string): Promise<Account | undefined>;
  /**
   * Every OAuth account, credentials included (each read by key: the listing holds none); the
   * caller filters the ones it may refresh.
   */
  listAccounts(): Promise<Account[]>;
  /**
   * Writes the new tokens, clears the failure count, and touches nothing else: only if the stored
   * refresh token is still `spentRefreshToken`, so a newer token is never overwritten. Resolves the
   * updated account, or `undefined` when the condition failed (the account changed or is gone).
   */
  saveRefreshed(
    accountId: string,
    spentRefreshToken: string,
    credentials: RefreshedCredentials,
  ): Promise<Account | undefined>;
  /**
   * Records a failure under the same condition (an account without a refresh token:
   * `spentRefreshToken` undefined), plus the count read before. False when the condition failed.
   */
  recordFailure(
    accountId: string,
    spentRefreshToken: string | undefined,
    failure: RefreshFailure,
  ): Promise<boolean>;
}
