/**
 * Serves Config reads from memory for a few seconds. The gateway reads the same key, user,
 * group and account list on every request; a warm Lambda answers them without DynamoDB, and a
 * change made by an admin is seen within `ttlMs`. Misses are cached too, so a flood of bad keys
 * costs one read per key per period. Concurrent misses for one item share one read.
 */
import type { ApiKey, Group, ListedAccount, RequestDefaults, Subscription, User } from '../domain/types.ts';
import type { BillingState, BillingStateReader, CallerRecords, ConfigDirectory } from './config-directory.ts';

interface Entry<T> {
  value: Promise<T>;
  /** When its read started: a read started after a request arrived saw every earlier write. */
  loadedAt: number;
  expiresAt: number;
}

/** Entries kept at most; the oldest go first. Bounds memory under a flood of distinct keys. */
const MAX_ENTRIES = 10_000;

export class CachedConfigDirectory implements ConfigDirectory, BillingStateReader {
  private readonly entries = new Map<string, Entry<unknown>>();

  constructor(
    private readonly inner: ConfigDirectory & BillingStateReader,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private fresh<T>(key: string, now: number): Promise<T> | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expiresAt > now ? (hit.value as Promise<T>) : undefined;
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const hit = this.fresh<T>(key, now);
    if (hit) return hit;
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { value, loadedAt: now, expiresAt: now + this.ttlMs });
    // A failed read is not remembered: the next request tries again.
    value.catch(() => this.entries.delete(key));
    return value;
  }

  /**
   * Forgets every entry, as when each one's time is up. The bench calls it before every request
   * of its cold-cache phase, which is what a Lambda instance serving ~20 s streams sees.
   */
  clear(): void {
    this.entries.clear();
  }

  /** Forgets the account list, so this process sees a health change it just made. */
  invalidateAccounts(): void {
    this.entries.delete('accounts');
  }

  findApiKey(hash: string): Promise<ApiKey | undefined> {
    return this.cached(`key:${hash}`, () => this.inner.findApiKey(hash));
  }
  getUser(id: string): Promise<User | undefined> {
    return this.cached(`user:${id}`, () => this.inner.getUser(id));
  }
  getGroup(id: string): Promise<Group | undefined> {
    return this.cached(`group:${id}`, () => this.inner.getGroup(id));
  }
  getSubscription(userId: string, groupId: string): Promise<Subscription | undefined> {
    return this.cached(`sub:${userId}:${groupId}`, () => this.inner.getSubscription(userId, groupId));
  }
  listAccounts(): Promise<ListedAccount[]> {
    return this.cached('accounts', () => this.inner.listAccounts());
  }
  getRequestDefaults(): Promise<RequestDefaults> {
    return this.cached('requestDefaults', () => this.inner.getRequestDefaults());
  }

  /** From the cache when all four are fresh; otherwise one batch read that refreshes all four. */
  async getCallerRecords(userId: string, groupId: string): Promise<CallerRecords> {
    const names = {
      user: `user:${userId}`,
      group: `group:${groupId}`,
      subscription: `sub:${userId}:${groupId}`,
      requestDefaults: 'requestDefaults',
    };
    const now = this.now();
    const hits = Object.values(names).map((name) => this.fresh(name, now));
    if (hits.every((hit) => hit !== undefined)) {
      const [user, group, subscription, requestDefaults] = (await Promise.all(hits)) as [
        CallerRecords['user'],
        CallerRecords['group'],
        CallerRecords['subscription'],
        RequestDefaults,
      ];
      return { user, group, subscription, requestDefaults };
    }
    const batch = this.inner.getCallerRecords(userId, groupId);
    this.cached(names.user, async () => (await batch).user);
    this.cached(names.group, async () => (await batch).group);
    this.cached(names.subscription, async () => (await batch).subscription);
    this.cached(names.requestDefaults, async () => (await batch).requestDefaults);
    return batch;
  }

  /**
   * The billing state as DynamoDB holds it now: the entries themselves when this request's own
   * reads loaded them (all three read at or after `loadedSince`, which the directory does with
   * strongly consistent reads: a cold cache costs no second read), else one strongly consistent
   * batch read of the inner directory, whose values then refresh the entries.
   */
  async readBillingState(
    keyHash: string,
    userId: string,
    subscriptionGroupId?: string,
    loadedSince?: number,
  ): Promise<BillingState> {
    const names = {
      key: `key:${keyHash}`,
      user: `user:${userId}`,
      ...(subscriptionGroupId === undefined ? {} : { subscription: `sub:${userId}:${subscriptionGroupId}` }),
    };
    const now = this.now();
    const recent = Object.values(names).map((name) => {
      const entry = this.entries.get(name);
      return entry && entry.expiresAt > now && loadedSince !== undefined && entry.loadedAt >= loadedSince
        ? entry.value
        : undefined;
    });
    if (recent.every((value) => value !== undefined)) {
      const [key, user, subscription] = (await Promise.all(recent)) as [
        BillingState['key'],
        BillingState['user'],
        BillingState['subscription'],
      ];
      return { key, user, subscription };
    }
    const state = await this.inner.readBillingState(keyHash, userId, subscriptionGroupId);
    const refreshed = this.now();
    const keep = (name: string, value: unknown) => {
      this.entries.delete(name);
      this.entries.set(name, {
        value: Promise.resolve(value),
        loadedAt: refreshed,
        expiresAt: refreshed + this.ttlMs,
      });
    };
    keep(names.key, state.key);
    keep(names.user, state.user);
    if (names.subscription !== undefined) keep(names.subscription, state.subscription);
    return state;
  }
}
