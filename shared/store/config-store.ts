/**
 * What the gateway and the recorder read from the Config table, behind a small interface so the
 * request logic can be tested against dynalite or an in-memory double alike.
 *
 * @example
 * ```ts
 * const key = await directory.findApiKey(sha256Hex(secret));
 * ```
 */
import type { Account, AccountHealth, ApiKey, Group, Settings, Subscription, User } from '../domain/types.ts';

export interface ConfigDirectory {
  findApiKey(hash: string): Promise<ApiKey | undefined>;
  getUser(id: string): Promise<User | undefined>;
  getGroup(id: string): Promise<Group | undefined>;
  getSubscription(userId: string, groupId: string): Promise<Subscription | undefined>;
  /** Every account, credentials included; the scheduler filters by group and model. */
  listAccounts(): Promise<Account[]>;
  getSettings(): Promise<Settings>;
}

/** Writes the gateway makes to accounts while serving requests. */
export interface AccountHealthWriter {
  /** Records why an account should not be scheduled (error state, cooldown). */
  setHealth(accountId: string, health: AccountHealth): Promise<void>;
}
