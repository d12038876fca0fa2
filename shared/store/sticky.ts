/**
 * Sticky sessions: which account served a session last, so the next request of the session goes
 * to the same account and keeps its prompt cache. A binding lapses at its `expiresAt`. The
 * DynamoDB implementation is `shared/store/dynamo/sticky-store.ts`.
 *
 * @example
 * ```ts
 * await store.bind('g_1', hash, 'acct_1', nowSeconds + 3600);
 * (await store.find('g_1', hash, nowSeconds))?.accountId; // 'acct_1'
 * ```
 */

/** The account a session was last served by. */
export interface StickySession {
  accountId: string;
  /** Epoch seconds the binding lapses. */
  expiresAt: number;
}

/** Reads and writes sessions' bindings; a read never sees a lapsed binding. */
export interface StickyStore {
  /** The session's binding, or undefined when there is none or it expired before `nowSeconds`. */
  find(groupId: string, sessionHash: string, nowSeconds: number): Promise<StickySession | undefined>;
  /** Binds (or rebinds) the session to `accountId` until `expiresAt` (epoch seconds). */
  bind(groupId: string, sessionHash: string, accountId: string, expiresAt: number): Promise<void>;
}
