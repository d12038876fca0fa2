/**
 * Admin operations on groups: the unit that ties keys to accounts and carries the price
 * multiplier and the billing mode. The `default` group (balance billing, multiplier 1) is made
 * on first use, so a key or an account created without a group always lands somewhere real.
 *
 * @example
 * ```ts
 * await createGroup(store, { name: 'Pro', billingMode: 'subscription', dailyLimitUsd: '5' });
 * ```
 */
import type { Account, Group } from '../domain/types.ts';
import type { ConfigAdmin, Stored } from '../store/config-admin.ts';
import { AdminError } from './admin-error.ts';
import { parseBillingMode, parseGroupId, parsePositiveNumber, requireText } from './fields.ts';
import { DEFAULT_GROUP_ID, newId } from './ids.ts';
import { parseUsdToNano } from './money.ts';

export interface CreateGroupInput {
  /** Optional readable id (`team-a`); a `grp_…` id is generated otherwise. */
  id?: string;
  name: string;
  /** Multiplies what a request costs; default 1. */
  rateMultiplier?: string | number;
  /** `balance` (default) or `subscription`. */
  billingMode?: string;
  /** Subscription limits in USD per day, week and month. */
  dailyLimitUsd?: string | number;
  weeklyLimitUsd?: string | number;
  monthlyLimitUsd?: string | number;
}

export interface UpdateGroupInput {
  name?: string;
  rateMultiplier?: string | number;
  billingMode?: string;
  /** USD per window; `none` removes the limit. */
  dailyLimitUsd?: string | number;
  weeklyLimitUsd?: string | number;
  monthlyLimitUsd?: string | number;
  /** Succeed only if the group is still at this version. */
  ifVersion?: number | undefined;
}

export interface GroupDetails {
  group: Stored<Group>;
  /** The accounts serving this group, without credentials. */
  accounts: Pick<Account, 'id' | 'name' | 'type' | 'status'>[];
}

export async function createGroup(store: ConfigAdmin, input: CreateGroupInput): Promise<Stored<Group>> {
  const id = input.id === undefined ? newId('group') : parseGroupId(input.id);
  const name = requireText(input.name, 'Group name');
  const rateMultiplier =
    input.rateMultiplier === undefined ? 1 : parsePositiveNumber(input.rateMultiplier, 'Rate multiplier');
  const billingMode = parseBillingMode(input.billingMode);
  const limits = {
    dailyLimitNano: optionalUsd(input.dailyLimitUsd, 'Daily limit'),
    weeklyLimitNano: optionalUsd(input.weeklyLimitUsd, 'Weekly limit'),
    monthlyLimitNano: optionalUsd(input.monthlyLimitUsd, 'Monthly limit'),
  };
  const hasLimits = Object.values(limits).some((limit) => limit !== undefined);
  if (hasLimits && billingMode !== 'subscription') {
    throw AdminError.invalid(
      'Daily, weekly and monthly limits apply only to groups with billing mode "subscription".',
    );
  }
  const group: Group = { id, name, rateMultiplier, billingMode, createdAt: new Date().toISOString() };
  for (const [field, limit] of Object.entries(limits)) {
    if (limit !== undefined) Object.assign(group, { [field]: limit });
  }
  return store.insert('group', group);
}

const LIMITS = [
  ['dailyLimitUsd', 'dailyLimitNano', 'Daily limit'],
  ['weeklyLimitUsd', 'weeklyLimitNano', 'Weekly limit'],
  ['monthlyLimitUsd', 'monthlyLimitNano', 'Monthly limit'],
] as const;

/**
 * Changes a group's name, multiplier, billing mode or limits (`none` removes a limit). The
 * result must still make sense: limits only on a subscription group. A changed multiplier or
 * mode applies to requests admitted from then on; recorded charges never change.
 */
export async function updateGroup(
  store: ConfigAdmin,
  groupId: string,
  input: UpdateGroupInput,
): Promise<Stored<Group>> {
  const group = await getGroup(store, groupId);
  const changes: Partial<Group> = {};
  if (input.name !== undefined) changes.name = requireText(input.name, 'Group name');
  if (input.rateMultiplier !== undefined) {
    changes.rateMultiplier = parsePositiveNumber(input.rateMultiplier, 'Rate multiplier');
  }
  if (input.billingMode !== undefined) changes.billingMode = parseBillingMode(input.billingMode);
  for (const [field, stored, label] of LIMITS) {
    const value = input[field];
    if (value === undefined) continue;
    Object.assign(changes, {
      [stored]: String(value).trim().toLowerCase() === 'none' ? undefined : parseUsdToNano(value, label),
    });
  }
  if (Object.keys(changes).length === 0) {
    throw AdminError.invalid('Nothing to change: give a name, multiplier, billing mode or limit.');
  }
  const after = { ...group, ...changes };
  const hasLimits = LIMITS.some(([, stored]) => after[stored] !== undefined);
  if (hasLimits && after.billingMode !== 'subscription') {
    throw AdminError.invalid(
      'Daily, weekly and monthly limits apply only to groups with billing mode "subscription"; remove them (none) first.',
    );
  }
  return store.update('group', group.id, changes, { ifVersion: input.ifVersion ?? group.version ?? 0 });
}

/** The `default` group, created (balance billing, multiplier 1) if it does not exist yet. */
export async function ensureDefaultGroup(store: ConfigAdmin): Promise<Stored<Group>> {
  const existing = await store.get('group', DEFAULT_GROUP_ID);
  if (existing) return existing;
  try {
    return await store.insert('group', {
      id: DEFAULT_GROUP_ID,
      name: 'Default',
      rateMultiplier: 1,
      billingMode: 'balance',
      createdAt: new Date().toISOString(),
    });
  } catch (error) {
    // Another admin created it between our read and our write: theirs is as good as ours.
    if (error instanceof AdminError && error.kind === 'conflict') return getGroup(store, DEFAULT_GROUP_ID);
    throw error;
  }
}

export async function getGroup(store: ConfigAdmin, groupId: string): Promise<Stored<Group>> {
  const id = requireText(groupId, 'Group id');
  const group = await store.get('group', id);
  if (!group) throw AdminError.notFound(`Group ${id} does not exist.`);
  return group;
}

export async function listGroups(store: ConfigAdmin): Promise<Stored<Group>[]> {
  const groups = await store.listGroups();
  return groups.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function showGroup(store: ConfigAdmin, groupId: string): Promise<GroupDetails> {
  const group = await getGroup(store, groupId);
  const accounts = (await store.listAccounts())
    .filter((account) => account.groupIds.includes(group.id))
    .map(({ id, name, type, status }) => ({ id, name, type, status }));
  return { group, accounts };
}

function optionalUsd(value: string | number | undefined, field: string): number | undefined {
  return value === undefined ? undefined : parseUsdToNano(value, field);
}

/**
 * Deletes a group nobody uses: no account serves it, no key and no subscription names it
 * (revoked keys included, so a key can never come back into a missing group). Usage records keep
 * its id.
 */
export async function deleteGroup(
  store: ConfigAdmin,
  groupId: string,
  options: { ifVersion?: number | undefined } = {},
): Promise<{ id: string; deleted: true }> {
  const group = await getGroup(store, groupId);
  const [accounts, subscriptions, users] = await Promise.all([
    store.listAccounts(),
    store.listSubscriptions(),
    store.listUsers(),
  ]);
  const keys = (await Promise.all(users.map((user) => store.listApiKeys(user.id)))).flat();
  const usedBy = [
    [accounts.filter((account) => account.groupIds.includes(group.id)).length, 'account(s) serve it'],
    [keys.filter((key) => key.groupId === group.id).length, 'API key(s) use it'],
    [
      subscriptions.filter((subscription) => subscription.groupId === group.id).length,
      'subscription(s) name it',
    ],
  ] as const;
  const inUse = usedBy.filter(([count]) => count > 0).map(([count, what]) => `${count} ${what}`);
  if (inUse.length > 0) throw AdminError.conflict(`Group ${group.id} is in use: ${inUse.join(', ')}.`);
  await store.remove('group', group.id, { ifVersion: options.ifVersion ?? group.version ?? 0 });
  return { id: group.id, deleted: true };
}
