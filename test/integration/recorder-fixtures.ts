/**
 * The Config data and usage events of the recorder tests: four users, groups in both billing
 * modes (multipliers 1.5, 0.8 and 2), five keys, three subscriptions and three accounts.
 */
import type { Account, ApiKey, Group, Subscription, User } from '#shared/domain/types.ts';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { servedRequestEvent } from '../support/usage-event-fixture.ts';

/** The tests' "now": events start shortly before it. */
export const T0 = Date.parse('2026-11-27T12:00:00.000Z');
const CREATED = '2026-01-01T00:00:00.000Z';

export const GROUPS: Group[] = [
  { id: 'g_bal', name: 'Balance', rateMultiplier: 1.5, billingMode: 'balance', createdAt: CREATED },
  { id: 'g_cheap', name: 'Cheap', rateMultiplier: 0.8, billingMode: 'balance', createdAt: CREATED },
  {
    id: 'g_sub',
    name: 'Subscription',
    rateMultiplier: 2,
    billingMode: 'subscription',
    dailyLimitNano: 50_000_000_000,
    createdAt: CREATED,
  },
];

export const USERS: User[] = ['u_1', 'u_2', 'u_3', 'u_4'].map((id) => ({
  id,
  email: `${id}@example.com`,
  status: 'active',
  concurrency: 0,
  balanceNano: 1_000_000_000_000,
  createdAt: CREATED,
}));

export const KEYS: ApiKey[] = [
  ['k_1', 'u_1', 'g_bal'],
  ['k_2', 'u_2', 'g_cheap'],
  ['k_3', 'u_3', 'g_sub'],
  ['k_4', 'u_4', 'g_sub'],
  ['k_5', 'u_1', 'g_sub'],
].map(([id, userId, groupId]) => ({
  id: id as string,
  hash: `hash-${id}`,
  prefix: 'qg-test',
  userId: userId as string,
  groupId: groupId as string,
  name: `key ${id}`,
  status: 'active',
  createdAt: CREATED,
}));

export const SUBSCRIPTIONS: Subscription[] = ['u_3', 'u_4', 'u_1'].map((userId) => ({
  userId,
  groupId: 'g_sub',
  status: 'active',
  expiresAt: '2027-06-01T00:00:00.000Z',
  createdAt: CREATED,
}));

export const ACCOUNTS: Account[] = ['a_1', 'a_2', 'a_3'].map((id) => ({
  id,
  name: id,
  type: 'oauth',
  credentials: { accessToken: 'not-a-real-token' },
  status: 'active',
  priority: 1,
  concurrency: 4,
  modelMapping: {},
  groupIds: ['g_bal', 'g_cheap', 'g_sub'],
  health: { state: 'ok' },
  createdAt: CREATED,
}));

export function groupOf(key: ApiKey): Group {
  const group = GROUPS.find((candidate) => candidate.id === key.groupId);
  if (!group) throw new Error(`no group ${key.groupId}`);
  return group;
}

/** A usage event of `key`, overridable field by field. */
/**
 * What the default usage of {@link usageEvent} bills, worked out by hand for each group:
 * gpt-5.1-codex at $1.25 / $0.125 / $10 per 1M tokens, 8_000 uncached + 4_000 cached input and
 * 900 output tokens = 10_000_000 + 500_000 + 9_000_000 = 19_500_000 nano-USD list cost; a
 * balance pays it × 1.5 (g_bal) or × 0.8 (g_cheap), a subscription window takes the list cost.
 */
export const DEFAULT_EVENT_BILLED_NANO: Readonly<Record<string, number>> = {
  g_bal: 29_250_000,
  g_cheap: 15_600_000,
  g_sub: 19_500_000,
};

export function usageEvent(
  requestId: string,
  key: ApiKey,
  overrides: Partial<UsageEventDetail> = {},
): UsageEventDetail {
  const group = groupOf(key);
  return servedRequestEvent({
    requestId,
    startedAt: new Date(T0 - 2000).toISOString(),
    endedAt: new Date(T0 - 500).toISOString(),
    userId: key.userId,
    apiKeyId: key.id,
    groupId: key.groupId,
    accountId: 'a_1',
    billingMode: group.billingMode,
    rateMultiplier: group.rateMultiplier,
    modelRequested: 'gpt-5.1-codex',
    modelSent: 'gpt-5.1-codex',
    stream: true,
    usage: { inputTokens: 12_000, cachedInputTokens: 4_000, outputTokens: 900, reasoningTokens: 300 },
    durationMs: 1500,
    firstTokenMs: 300,
    ...overrides,
  });
}
