/**
 * An upstream account as the store returns it, for tests of code that judges, targets or schedules
 * one: a platform account in good health, with whatever the test changes.
 */
import type { Account, OAuthCredentials } from '#shared/domain/types.ts';

export function storedAccount(overrides: Partial<Account> = {}): Account {
  return {
    id: 'acc_1',
    name: 'a',
    type: 'apikey',
    credentials: { apiKey: 'sk-x' },
    status: 'active',
    priority: 1,
    concurrency: 1,
    modelMapping: {},
    groupIds: ['g'],
    health: { state: 'ok' },
    createdAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

/** A ChatGPT/Codex OAuth account as the store returns it, in good health, with `credentials`. */
export function storedOAuthAccount(credentials: OAuthCredentials, overrides: Partial<Account> = {}): Account {
  return storedAccount({
    name: 'ChatGPT',
    type: 'oauth',
    credentials,
    priority: 50,
    concurrency: 4,
    groupIds: ['default'],
    ...overrides,
  });
}
