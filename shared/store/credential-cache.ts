/**
 * The credentials of the accounts a gateway instance serves. The account listing carries no
 * credentials, only their `credentialsVersion`, which every write of them increments (an admin
 * edit, a token refresh, a reseal). Credentials read for an account are kept while the listing
 * names no newer version: a change is seen as soon as the listing shows it, and the config
 * cache's few seconds running out (on Lambda, before almost every request) costs no read and no
 * KMS call. Invalidation by version, not by time.
 *
 * Reads keep the credentials sealed; they are opened (a KMS Decrypt per data key the instance has
 * not met) the first time an account is chosen. So an instance can read all of a group's
 * credentials ahead ({@link CredentialCache.readAhead}), in the round trip of the caller's records,
 * and its first request takes no read of its own in the slot's wave, while opening only the one
 * account it uses.
 *
 * Concurrent asks for one account share one read, so the gateway can start the read as it takes
 * the account's slot (`willTake` of the account selection) and await the same read after.
 *
 * @example
 * ```ts
 * const credentials = new CredentialCache(directory);
 * await credentials.readAhead('g_1', () => directory.listAccounts()); // once per group and instance
 * const account = await credentials.withCredentials(listed); // undefined: the account is gone
 * ```
 */
import type { Account, ListedAccount } from '../domain/types.ts';
import type { AccountCredentialsReader, StoredCredentials } from './config-directory.ts';

interface Entry {
  /** The version the credentials are known to be at least: what was asked for, then what was read. */
  version: number;
  stored: Promise<StoredCredentials | undefined>;
  /** Opened at the first use, and kept with the entry. */
  opened?: Promise<Account['credentials']>;
}

/** Accounts kept at most; the oldest go first. A pool is far smaller; this only bounds memory. */
const MAX_ENTRIES = 1_000;

/**
 * Accounts of a group read ahead at most: with the caller's four records and the sticky session,
 * the round trip's BatchGetItem stays within DynamoDB's 100 keys, so one request.
 */
export const READ_AHEAD_MAX = 90;

export class CredentialCache {
  readonly #reader: AccountCredentialsReader;
  readonly #entries = new Map<string, Entry>();
  /** Groups whose accounts this instance read ahead (or began to). */
  readonly #groupsAhead = new Set<string>();

  constructor(reader: AccountCredentialsReader) {
    this.#reader = reader;
  }

  /**
   * The listed account with its credentials opened, read only when none are held at the
   * listing's version or later; `undefined` when the account no longer exists.
   */
  async withCredentials(account: ListedAccount): Promise<Account | undefined> {
    const entry = this.#entry(account.id, account.credentialsVersion ?? 0);
    const stored = await entry.stored;
    if (!stored) return undefined;
    if (!entry.opened) {
      const opened = this.#reader.openCredentials(account.id, stored);
      entry.opened = opened;
      // A failed opening (KMS unreachable) is tried again at the next ask, the read is kept.
      opened.catch(() => {
        if (entry.opened === opened) entry.opened = undefined;
      });
    }
    return { ...account, credentials: await entry.opened };
  }

  /**
   * The first time this instance serves `groupId`: waits for the account listing, then asks for
   * the credentials of the group's active accounts it does not hold at their listed version (the
   * most preferred first, at most {@link READ_AHEAD_MAX}) and settles once they are asked, not
   * answered, so reads asked by the caller right after join the same request. Later calls for the
   * group answer `undefined` and read nothing: a warm request never reads ahead, and a version
   * that moves later is read when its account is chosen, as always.
   */
  readAhead(groupId: string, listAccounts: () => Promise<ListedAccount[]>): Promise<void> | undefined {
    if (this.#groupsAhead.has(groupId)) return undefined;
    if (this.#groupsAhead.size >= MAX_ENTRIES) this.#groupsAhead.clear();
    this.#groupsAhead.add(groupId);
    return listAccounts().then(
      (accounts) => {
        const wanted = accounts
          .filter((account) => account.status === 'active' && account.groupIds.includes(groupId))
          .sort((a, b) => a.priority - b.priority)
          .slice(0, READ_AHEAD_MAX);
        for (const account of wanted) this.#entry(account.id, account.credentialsVersion ?? 0);
      },
      // The request that needs the listing meets its failure itself.
      () => {},
    );
  }

  #entry(accountId: string, listedVersion: number): Entry {
    const held = this.#entries.get(accountId);
    if (held && held.version >= listedVersion) return held;
    if (!held && this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const entry: Entry = { version: listedVersion, stored: this.#reader.readCredentials(accountId) };
    this.#entries.set(accountId, entry);
    entry.stored.then(
      (stored) => {
        // A gone account and a failed read are not remembered: the next ask reads again.
        if (stored) entry.version = Math.max(entry.version, stored.version);
        else if (this.#entries.get(accountId) === entry) this.#entries.delete(accountId);
      },
      () => {
        if (this.#entries.get(accountId) === entry) this.#entries.delete(accountId);
      },
    );
    return entry;
  }
}
