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
import { type CreateAccountInput, createAccount } from '#shared/admin/account-create.ts';
import type { ConfigAdmin } from '#shared/store/config-admin.ts';
import type { E2E } from './e2e-stack.ts';

/**
 * What makes an account of the pool: a platform key, or a ChatGPT (OAuth) account on the mock's
 * Codex backend path whose access token is `secret`, valid for years.
 */
type Credentials = Pick<CreateAccountInput, 'type'> & Partial<CreateAccountInput>;

function credentialsOf(e2e: E2E, secret: string, oauth: boolean): Credentials {
  if (!oauth) return { type: 'apikey', baseUrl: e2e.mock.url, apiKey: secret };
  return {
    type: 'oauth',
    baseUrl: `${e2e.mock.url}/backend-api/codex`,
    apiKey: undefined,
    accessToken: secret,
    refreshToken: `rt_${secret}`,
    chatgptAccountId: `chatgpt-${secret}`,
    expiresAt: '2099-01-01T00:00:00Z',
  };
}

/** One more account in the group with its own upstream credential. */
async function addAccount(
  admin: ConfigAdmin,
  input: { name: string; groupId: string; priority: number; credentials: Credentials },
): Promise<string> {
  const account = await createAccount(admin, {
    name: input.name,
    groupIds: [input.groupId],
    priority: input.priority,
    ...input.credentials,
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
  /** ChatGPT (OAuth) accounts instead of platform keys; `keys` are then their access tokens. */
  oauth?: boolean;
}

/**
 * A user with a key in a fresh group of `count` accounts, priority 1, 2, … so the first is tried
 * first. `attempts()` lists, for every request the mock received, the index of the account it
 * came from (-1 for a request from elsewhere).
 */
export async function seedAccountPool(e2e: E2E, count: number, options: AccountPoolOptions = {}) {
  const tag = randomBytes(4).toString('hex');
  const oauth = options.oauth ?? false;
  const prefix = oauth ? 'at' : 'sk';
  const keys = Array.from({ length: count }, (_, i) => `${prefix}-pool-${tag}-account-${i}`);
  const seeded = await e2e.seed({
    user: { concurrency: options.userConcurrency ?? 5 },
    account: {
      priority: 1,
      ...credentialsOf(e2e, keys[0] as string, oauth),
      ...(options.firstBaseUrl ? { baseUrl: options.firstBaseUrl } : {}),
      ...(options.firstConcurrency ? { concurrency: options.firstConcurrency } : {}),
    },
  });
  const accountIds = [seeded.accountId];
  for (const [i, secret] of keys.entries()) {
    if (i === 0) continue;
    const name = `pool ${tag} account ${i}`;
    const credentials = credentialsOf(e2e, secret, oauth);
    accountIds.push(
      await addAccount(e2e.admin, { name, groupId: seeded.groupId, priority: i + 1, credentials }),
    );
  }
  const attempts = () =>
    e2e.mock.requests.map((request) =>
      keys.indexOf(request.headers.authorization?.replace('Bearer ', '') ?? ''),
    );
  return { ...seeded, keys, accountIds, attempts };
}
