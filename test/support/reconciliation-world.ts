/**
 * The people, groups and accounts of the gateway reconciliation test, created the way an admin
 * creates them, and a reader of the books they end up with. Two groups: one bills balances at a
 * rate multiplier, one bills subscriptions (with another multiplier, which subscription windows
 * must ignore); each is served by several accounts behind the failing front, every account with
 * its own upstream key so the mock tells which one served. Some users hold keys in both groups.
 * Limits, balances and quotas are generous: nothing is refused for money.
 *
 * @example
 * ```ts
 * const world = await seedReconciliationWorld(e2e, front.url);
 * const books = await readBooks(e2e, world);
 * books.balances.get(world.callers[0].userId);
 * ```
 */
import { createAccount } from '#shared/admin/account-create.ts';
import { createApiKey, listApiKeys } from '#shared/admin/api-keys.ts';
import { createGroup } from '#shared/admin/groups.ts';
import { assignSubscription } from '#shared/admin/subscriptions.ts';
import { createUser, getUser } from '#shared/admin/users.ts';
import type { BillingMode, Subscription } from '#shared/domain/types.ts';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { scanAll } from '#shared/store/dynamo/query-pages.ts';
import { MARKS } from '#shared/store/dynamo/usage-ledger-effects.ts';
import { usageRecordOf } from '#shared/store/dynamo/usage-record-item.ts';
import type { E2E } from './e2e-stack.ts';
import type { Caller } from './reconciliation-calls.ts';

const USERS = 6;
const ACCOUNTS_PER_GROUP = 4;
/** Users 0–3 hold a key in the balance group, users 2–5 one in the subscription group. */
const BALANCE_USERS = [0, 1, 2, 3];
const SUBSCRIPTION_USERS = [2, 3, 4, 5];
export const OPENING_BALANCE_NANO = 10_000 * 1e9;

export interface WorldCaller extends Caller {
  userId: string;
  keyId: string;
  groupId: string;
  billingMode: BillingMode;
  rateMultiplier: number;
}

export interface ReconciliationWorld {
  /** Every key; all but `refusingCaller` may call any model. */
  callers: WorldCaller[];
  /** Index in `callers` of a key limited to a model no request asks for. */
  refusingCaller: number;
  userIds: string[];
  subscriptions: { userId: string; groupId: string }[];
  /** Account id by the upstream key the mock sees. */
  accountByUpstreamKey: Map<string, string>;
  accountIds: string[];
}

async function groupWithAccounts(
  e2e: E2E,
  baseUrl: string,
  input: Parameters<typeof createGroup>[1],
  accountByUpstreamKey: Map<string, string>,
) {
  const group = await createGroup(e2e.admin, input);
  for (let index = 0; index < ACCOUNTS_PER_GROUP; index += 1) {
    const apiKey = `sk-reconcile-${group.id}-${index}`;
    const account = await createAccount(e2e.admin, {
      type: 'apikey',
      name: `${input.name} account ${index}`,
      baseUrl,
      apiKey,
      groupIds: [group.id],
      priority: index + 1,
    });
    accountByUpstreamKey.set(apiKey, account.id);
  }
  return group;
}

export async function seedReconciliationWorld(e2e: E2E, baseUrl: string): Promise<ReconciliationWorld> {
  const accountByUpstreamKey = new Map<string, string>();
  const metered = await groupWithAccounts(
    e2e,
    baseUrl,
    { name: 'metered', billingMode: 'balance', rateMultiplier: '1.5' },
    accountByUpstreamKey,
  );
  const subscribed = await groupWithAccounts(
    e2e,
    baseUrl,
    {
      name: 'subscribed',
      billingMode: 'subscription',
      rateMultiplier: '2',
      dailyLimitUsd: '100000',
      weeklyLimitUsd: '100000',
      monthlyLimitUsd: '100000',
    },
    accountByUpstreamKey,
  );
  const userIds: string[] = [];
  for (let index = 0; index < USERS; index += 1) {
    const user = await createUser(e2e.admin, {
      email: `reconcile${index}@example.com`,
      balanceUsd: String(OPENING_BALANCE_NANO / 1e9),
      concurrency: 5,
    });
    userIds.push(user.id);
  }
  const callers: WorldCaller[] = [];
  const addKey = async (userId: string, group: typeof metered, extra: { allowedModels?: string[] } = {}) => {
    const { secret, key } = await createApiKey(e2e.admin, {
      userId,
      groupId: group.id,
      quotaUsd: '100000',
      ...extra,
    });
    callers.push({
      secret,
      client: e2e.client(secret),
      userId,
      keyId: key.id,
      groupId: group.id,
      billingMode: group.billingMode,
      rateMultiplier: group.rateMultiplier,
    });
  };
  for (const index of BALANCE_USERS) await addKey(userIds[index] as string, metered);
  const subscriptions: ReconciliationWorld['subscriptions'] = [];
  for (const index of SUBSCRIPTION_USERS) {
    const userId = userIds[index] as string;
    await assignSubscription(e2e.admin, { userId, groupId: subscribed.id, until: '2099-01-01' });
    subscriptions.push({ userId, groupId: subscribed.id });
    await addKey(userId, subscribed);
  }
  const servedCallers = callers.length;
  await addKey(userIds[0] as string, metered, { allowedModels: ['gpt-5-nano'] });
  return {
    callers,
    refusingCaller: servedCallers,
    userIds,
    subscriptions,
    accountByUpstreamKey,
    accountIds: [...accountByUpstreamKey.values()],
  };
}

export interface Books {
  records: UsageRecord[];
  aggregates: Record<string, unknown>[];
  /** Items of either table still carrying a recorder marker. */
  marked: Record<string, unknown>[];
  balances: Map<string, number>;
  keySpend: Map<string, number>;
  subscriptions: Map<string, Subscription | undefined>;
  lastUsedAt: Map<string, number | undefined>;
}

export async function readBooks(e2e: E2E, world: ReconciliationWorld): Promise<Books> {
  const { client, settings } = e2e.stack;
  const usageItems = await scanAll(client, { TableName: settings.tables.usage, ConsistentRead: true });
  const configItems = await scanAll(client, { TableName: settings.tables.config, ConsistentRead: true });
  const balances = new Map<string, number>();
  const keySpend = new Map<string, number>();
  for (const userId of world.userIds) {
    balances.set(userId, (await getUser(e2e.admin, userId)).balanceNano);
    for (const key of await listApiKeys(e2e.admin, userId)) keySpend.set(key.id, key.usedNano ?? 0);
  }
  const subscriptions = new Map<string, Subscription | undefined>();
  for (const ref of world.subscriptions) {
    subscriptions.set(ref.userId, await e2e.admin.get('subscription', ref));
  }
  const lastUsedAt = new Map<string, number | undefined>();
  for (const id of world.accountIds) lastUsedAt.set(id, (await e2e.admin.get('account', id))?.lastUsedAt);
  return {
    records: usageItems.filter((item) => item.kind === 'usage').map(usageRecordOf),
    aggregates: usageItems.filter((item) => item.kind === 'aggregate'),
    marked: [...usageItems, ...configItems].filter((item) => item[MARKS] !== undefined),
    balances,
    keySpend,
    subscriptions,
    lastUsedAt,
  };
}
