/**
 * What both `cli-accounts*.test.ts` files start from: in a CLI world, a `pro` group, an API-key
 * account mapping gpt-5 and an OAuth account in `pro` and `default`, all created through the CLI
 * with recognisable secrets, so a test can check that none of them is ever printed.
 *
 * @example
 * ```ts
 * const world = cliWorldForSuite();
 * before(async () => ({ apikeyAccount, oauthAccount } = await createAccounts(world)));
 * ```
 */
import type { CliWorld } from './cli-harness.ts';

/** An account as `quotagate accounts … --json` prints it. */
export interface AccountJson {
  id: string;
  name: string;
  type: string;
  baseUrl?: string;
  status: string;
  priority: number;
  concurrency: number;
  groupIds: string[];
  modelMapping: Record<string, string>;
  customErrorCodes?: number[];
  userAgent?: string;
  proxyEndpoint?: string;
  health: { state: string; reason?: string; until?: number };
  tokenExpiresAt?: string;
  version: number;
  credentials?: unknown;
}

export const UPSTREAM_KEY = 'sk-upstream-very-secret-4242';
export const ACCESS_TOKEN = 'eyJ-access-token-secret-777';
export const REFRESH_TOKEN = 'rt-refresh-token-secret-888';

export interface CreatedAccounts {
  apikeyAccount: AccountJson;
  oauthAccount: AccountJson;
}

export async function createAccounts(world: CliWorld): Promise<CreatedAccounts> {
  await world.ok('groups', 'create', '--id', 'pro', '--name', 'Pro');
  const apikeyAccount = await world.ok<AccountJson>(
    'accounts',
    'create',
    '--type',
    'apikey',
    '--name',
    'platform',
    '--base-url',
    'http://127.0.0.1:9000/',
    '--api-key',
    UPSTREAM_KEY,
    '--map',
    'gpt-5=gpt-5.1-codex',
  );
  const oauthAccount = await world.ok<AccountJson>(
    'accounts',
    'create',
    '--type',
    'oauth',
    '--name',
    'codex-1',
    '--access-token',
    ACCESS_TOKEN,
    '--refresh-token',
    REFRESH_TOKEN,
    '--chatgpt-account-id',
    'chatgpt-acc-1',
    '--expires-at',
    '2099-07-01T00:00:00Z',
    '--groups',
    'pro,default',
  );
  return { apikeyAccount, oauthAccount };
}
