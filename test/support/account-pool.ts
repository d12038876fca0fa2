/**
 * A group served by several upstream accounts, preferred in a fixed order, for tests of failover
 * and sticky sessions: every account has its own upstream key, so the mock's `authorization`
 * header tells which account each attempt used.
 *
 * @example
 * ```ts
 * const { secret, accountIds, attempts } = await seedAccountPool(e2e, 2);
 * e2e.mock.enqueue({ kind: 'error', status: 429 });
 * await call(e2e.stack.url, secret, body);
 * attempts(); // [0, 1]: the first account failed, the second served
 * ```
 */
import { randomBytes } from 'node:crypto';
import { createAccount } from '#shared/admin/accounts.ts';
import type { ConfigAdmin } from '#shared/admin/config-admin.ts';
import type { E2E } from './e2e-stack.ts';

/** One more platform account in the group, pointed at `baseUrl` with its own upstream key. */
async function addAccount(
  admin: ConfigAdmin,
  input: { name: string; groupId: string; baseUrl: string; apiKey: string; priority: number },
): Promise<string> {
  const account = await createAccount(admin, {
    type: 'apikey',
    name: input.name,
    baseUrl: input.baseUrl,
    apiKey: input.apiKey,
    groupIds: [input.groupId],
    priority: input.priority,
  });
  return account.id;
}

export interface AccountPoolOptions {
  /** The user's concurrency; default 5. */
  userConcurrency?: number;
  /** Base URL of the most preferred account; default the mock. */
  firstBaseUrl?: string;
  /** Concurrency of the most preferred account; default that of a new account. */
  firstConcurrency?: number;
}

/**
 * A user with a key in a fresh group of `count` accounts, priority 1, 2, … so the first is tried
 * first. `attempts()` lists, for every request the mock received, the index of the account it
 * came from (-1 for a request from elsewhere).
 */
export async function seedAccountPool(e2e: E2E, count: number, options: AccountPoolOptions = {}) {
  const tag = randomBytes(4).toString('hex');
  const keys = Array.from({ length: count }, (_, i) => `sk-pool-${tag}-account-${i}`);
  const seeded = await e2e.seed({
    user: { concurrency: options.userConcurrency ?? 5 },
    account: {
      priority: 1,
      apiKey: keys[0],
      baseUrl: options.firstBaseUrl ?? e2e.mock.url,
      ...(options.firstConcurrency ? { concurrency: options.firstConcurrency } : {}),
    },
  });
  const accountIds = [seeded.accountId];
  for (const [i, apiKey] of keys.entries()) {
    if (i === 0) continue;
    const name = `pool ${tag} account ${i}`;
    const input = { name, groupId: seeded.groupId, baseUrl: e2e.mock.url, apiKey, priority: i + 1 };
    accountIds.push(await addAccount(e2e.admin, input));
  }
  const attempts = () =>
    e2e.mock.requests.map((request) =>
      keys.indexOf(request.headers.authorization?.replace('Bearer ', '') ?? ''),
    );
  return { ...seeded, keys, accountIds, attempts };
}
