/**
 * Which accounts may serve a request and in what order they are preferred (docs/architecture.md, request step 6):
 * pure functions over the account list, so the whole policy is unit-tested without DynamoDB.
 *
 * Order: the sticky account if it has room; then lowest priority value; then least loaded
 * (in-flight / concurrency); then least recently used (`lastUsedAt`, never-used first). Accounts
 * that tie on all of these are shuffled, so equal accounts share the load instead of the first
 * one in the list taking it all.
 *
 * @example
 * ```ts
 * const candidates = candidatesFor(accounts, { groupId: 'g_1', model: 'gpt-5', excluded: new Set() }, Date.now());
 * const tiers = priorityTiers(candidates, Math.random); // [[best tier, LRU first], [next tier], …]
 * ```
 */
import { healthHolds } from '../domain/account-health.ts';
import type { NoAccountsReason } from '../domain/errors.ts';
import type { ListedAccount } from '../domain/types.ts';

export interface CandidateFilter {
  groupId: string;
  model: string;
  excluded: ReadonlySet<string>;
}

/** Active, healthy (or past its cooldown) and able to hold at least one request at `nowMs`. */
export function isSchedulable(account: ListedAccount, nowMs: number): boolean {
  if (account.status !== 'active' || !(account.concurrency >= 1)) return false;
  return !healthHolds(account.health, nowMs);
}

/** An empty mapping serves every model; otherwise the requested model must be one of its keys. */
export function supportsModel(account: ListedAccount, model: string): boolean {
  const mapping = account.modelMapping ?? {};
  return Object.keys(mapping).length === 0 || Object.hasOwn(mapping, model);
}

export function candidatesFor(
  accounts: readonly ListedAccount[],
  filter: CandidateFilter,
  nowMs: number,
): ListedAccount[] {
  return accounts.filter(
    (account) =>
      account.groupIds.includes(filter.groupId) &&
      !filter.excluded.has(account.id) &&
      isSchedulable(account, nowMs) &&
      supportsModel(account, filter.model),
  );
}

/**
 * Says which of the filters emptied the list, so an admin (and the user) can tell a missing
 * account from a model nobody maps from a pool that is only cooling down. It names neither
 * accounts nor their errors.
 */
export function noCandidateReason(
  accounts: readonly ListedAccount[],
  filter: Omit<CandidateFilter, 'excluded'>,
  nowMs: number,
): NoAccountsReason {
  const inGroup = accounts.filter((account) => account.groupIds.includes(filter.groupId));
  if (inGroup.length === 0) return { kind: 'no_group_account' };
  const forModel = inGroup.filter((account) => supportsModel(account, filter.model));
  if (forModel.length === 0) return { kind: 'no_model_account', model: filter.model };
  const active = forModel.filter((account) => account.status === 'active' && account.concurrency >= 1);
  if (active.length === 0) return { kind: 'all_disabled' };
  const untils = active.map((account) => account.health.until ?? Number.POSITIVE_INFINITY);
  const soonest = Math.min(...untils);
  if (!Number.isFinite(soonest)) return { kind: 'all_in_error' };
  return {
    kind: 'all_cooling_down',
    untilMs: soonest,
    retryAfterSeconds: Math.max(0, soonest - nowMs) / 1000,
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** Candidates grouped by priority, lowest value first; each tier least recently used first. */
export function priorityTiers(candidates: readonly ListedAccount[], random: () => number): ListedAccount[][] {
  const ordered = shuffled(candidates, random).sort(
    (a, b) => a.priority - b.priority || (a.lastUsedAt ?? -1) - (b.lastUsedAt ?? -1),
  );
  const tiers: ListedAccount[][] = [];
  for (const account of ordered) {
    const tier = tiers.at(-1);
    if (tier?.[0]?.priority === account.priority) tier.push(account);
    else tiers.push([account]);
  }
  return tiers;
}

/** An account whose slot partition was read for this selection. */
export interface ProbedAccount {
  account: ListedAccount;
  inFlight: number;
  hasRoom: boolean;
}

/** in-flight / concurrency: 0 idle, 1 full, above 1 when the concurrency was lowered under load. */
export function loadOf(probed: ProbedAccount): number {
  return probed.inFlight / probed.account.concurrency;
}

/**
 * Best first: with room before full; among those with room the sticky account first; then
 * priority, load, and the input order (which priorityTiers made least recently used first).
 */
export function rankProbed<T extends ProbedAccount>(probed: readonly T[], stickyAccountId?: string): T[] {
  const stickyFirst = (p: ProbedAccount) => (p.hasRoom && p.account.id === stickyAccountId ? 0 : 1);
  return [...probed].sort(
    (a, b) =>
      Number(b.hasRoom) - Number(a.hasRoom) ||
      stickyFirst(a) - stickyFirst(b) ||
      a.account.priority - b.account.priority ||
      loadOf(a) - loadOf(b),
  );
}
