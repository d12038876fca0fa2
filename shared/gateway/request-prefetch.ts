/**
 * Reads the streaming route starts before its caller is fully known, so that on a cold config
 * cache (every request of a Lambda instance that streams for ~20 s) the request reaches the
 * upstream after three DynamoDB round trips:
 *
 * 1. the key item, alongside the account list (neither needs the other);
 * 2. the caller's user, group, subscription and the settings in one batch, alongside the sticky
 *    session named by the request's headers (its key needs only the key's group) and, on the
 *    first request of an instance for the group, the credentials of the group's accounts (this
 *    round trip then waits for the account list too);
 * 3. the user's slot and the account's slot, together (see `take-slots.ts`).
 *
 * Warm, steps 1–2 come from the cache and only the sticky read remains, beside step 3; the
 * account's slot follows it, or joins it for a session this instance served before
 * (`shared/concurrency/recent-sessions.ts`).
 *
 * @example
 * ```ts
 * const prefetch = prefetchForResponses(request, deps);
 * const caller = await authenticate(request, deps.directory, prefetch.onKey);
 * const sticky = prefetch.sticky(caller.group.id, sessionHash);
 * ```
 */

import type { ApiKey } from '../domain/types.ts';
import type { StickySession } from '../store/sticky.ts';
import type { GatewayDeps } from './deps.ts';
import type { GatewayRequest } from './http.ts';

export interface ResponsesPrefetch {
  /**
   * Called by `authenticate` once the key is active: starts the header session's sticky read,
   * after a new instance's credentials read of the key's group has been asked for, if it makes one.
   */
  onKey: (key: ApiKey) => Promise<void> | undefined;
  /** The binding of `sessionHash` in `groupId`: the read already started, or a new one. */
  sticky: (
    groupId: string,
    sessionHash: string | undefined,
  ) => Promise<StickySession | undefined> | undefined;
}

export function prefetchForResponses(request: GatewayRequest, deps: GatewayDeps): ResponsesPrefetch {
  // Cached for everyone, so a flood of bad keys costs one list per cache period, not one each.
  deps.directory.listAccounts().catch(() => {});
  // The body may name the session too (`prompt_cache_key`); it is parsed only after the key is checked.
  const headerHash = deps.sessionHashOf(request.headers, {});
  let early: { groupId: string; read: Promise<StickySession | undefined> } | undefined;
  return {
    onKey(key) {
      const startSticky = () => {
        if (headerHash) early = { groupId: key.groupId, read: deps.lookupSticky(key.groupId, headerHash) };
      };
      const ahead = deps.readCredentialsAhead(key.groupId);
      if (ahead) return ahead.then(startSticky);
      startSticky();
      return undefined;
    },
    sticky(groupId, sessionHash) {
      if (!sessionHash) return undefined;
      if (early && early.groupId === groupId && sessionHash === headerHash) return early.read;
      return deps.lookupSticky(groupId, sessionHash);
    },
  };
}
