/**
 * The opened credentials of the accounts a gateway instance serves. The account listing carries
 * no credentials, only their `credentialsVersion`, which every write of them increments (an admin
 * edit, a token refresh, a reseal). Credentials read for an account are kept while the listing
 * names no newer version: a change is seen as soon as the listing shows it, and the config
 * cache's few seconds running out (on Lambda, before almost every request) costs no read and no
 * KMS call. Invalidation by version, not by time.
 *
 * Concurrent asks for one account share one read, so the gateway can start the read as it takes
 * the account's slot (`willTake` of the account selection) and await the same read after.
 *
 * @example
 * ```ts
 * const credentials = new CredentialCache(directory);
 * const account = await credentials.withCredentials(listed); // undefined: the account is gone
 * ```
 */
import type { Account, ListedAccount } from '../domain/types.ts';
import type { AccountCredentialsReader, StoredCredentials } from './config-directory.ts';

interface Entry {
  /** The version the credentials are known to be at least: what was asked for, then what was read. */
  version: number;
  value: Promise<StoredCredentials | undefined>;
}

/** Accounts kept at most; the oldest go first. A pool is far smaller; this only bounds memory. */
const MAX_ENTRIES = 1_000;

export class CredentialCache {
  readonly #reader: AccountCredentialsReader;
  readonly #entries = new Map<string, Entry>();

  constructor(reader: AccountCredentialsReader) {
    this.#reader = reader;
  }

  /**
   * The listed account with its credentials opened, read only when none are held at the
   * listing's version or later; `undefined` when the account no longer exists.
   */
  async withCredentials(account: ListedAccount): Promise<Account | undefined> {
    const stored = await this.#credentials(account.id, account.credentialsVersion ?? 0);
    return stored && { ...account, credentials: stored.credentials };
  }

  #credentials(accountId: string, listedVersion: number): Promise<StoredCredentials | undefined> {
    const held = this.#entries.get(accountId);
    if (held && held.version >= listedVersion) return held.value;
    if (!held && this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const entry: Entry = { version: listedVersion, value: this.#reader.readCredentials(accountId) };
    this.#entries.set(accountId, entry);
    entry.value.then(
      (stored) => {
        // A gone account and a failed read are not remembered: the next ask reads again.
        if (stored) entry.version = Math.max(entry.version, stored.version);
        else if (this.#entries.get(accountId) === entry) this.#entries.delete(accountId);
      },
      () => {
        if (this.#entries.get(accountId) === entry) this.#entries.delete(accountId);
      },
    );
    return entry.value;
  }
}
