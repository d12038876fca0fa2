/**
 * What this instance last saw of each session's binding (what its latest request read or bound),
 * so that the next request of a known session can take its account's slot in the same wave as
 * the binding's read instead of after it (account-selector.ts). It is a guess, never an
 * authority: the binding read from the State table decides, and a wrong guess only costs the
 * guessed slot's Put and its release.
 *
 * Bounded: the least recently used session is forgotten past `maxSessions`, so a key holder that
 * sends many session ids costs other sessions at most the wave they would spend without it, and
 * the memory stays a few hundred KB. Keyed by group, as bindings are, so a session id seen in one
 * group names nothing in another.
 *
 * @example
 * ```ts
 * const recent = new RecentSessions();
 * recent.note('g_1', hash, { accountId: 'acct_1', expiresAt: nowSeconds + 3600 });
 * recent.accountOf('g_1', hash, nowSeconds); // 'acct_1'
 * ```
 */
import type { StickySession } from '../store/sticky.ts';

/** About 200 bytes a session (a 64-character hash, two ids, the Map's entry). */
export const RECENT_SESSIONS_MAX = 4096;

export class RecentSessions {
  readonly #maxSessions: number;
  readonly #sessions = new Map<string, StickySession>();

  constructor(maxSessions = RECENT_SESSIONS_MAX) {
    this.#maxSessions = maxSessions;
  }

  /** Sessions remembered (never more than `maxSessions`). */
  get size(): number {
    return this.#sessions.size;
  }

  /** The account the session was last seen bound to, unless that binding has lapsed by `nowSeconds`. */
  accountOf(groupId: string, sessionHash: string, nowSeconds: number): string | undefined {
    const key = `${groupId}#${sessionHash}`;
    const seen = this.#sessions.get(key);
    if (!seen) return undefined;
    this.#sessions.delete(key);
    if (seen.expiresAt < nowSeconds) return undefined;
    // Re-inserted so the Map's order stays least recently used first.
    this.#sessions.set(key, seen);
    return seen.accountId;
  }

  /** Records what a read found or a selection bound; `undefined` (no binding) forgets the session. */
  note(groupId: string, sessionHash: string, binding: StickySession | undefined): void {
    const key = `${groupId}#${sessionHash}`;
    this.#sessions.delete(key);
    if (!binding) return;
    this.#sessions.set(key, binding);
    if (this.#sessions.size > this.#maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
  }
}
