/**
 * The lease that makes one token refresher at a time the only one of an OAuth account, across
 * every gateway instance and the schedule: OpenAI rotates refresh tokens, so a token spent twice is
 * a dead account. The DynamoDB implementation is `shared/store/dynamo/oauth-refresh-leases.ts`.
 *
 * @example
 * ```ts
 * if (await leases.acquire(account.id, holder, nowSeconds + 45, nowSeconds)) {
 *   // … spend the refresh token, then save the new tokens …
 *   await leases.release(account.id, holder);
 * }
 * ```
 */

export interface RefreshLeases {
  /** Takes the account's refresh lease until `expiresAt` (epoch s) if free or expired at `nowSeconds`. */
  acquire(accountId: string, holder: string, expiresAt: number, nowSeconds: number): Promise<boolean>;
  /** Frees the lease if `holder` still has it. */
  release(accountId: string, holder: string): Promise<void>;
}
