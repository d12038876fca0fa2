/**
 * An end-to-end world for one test file: the local stack (dynalite in memory, the gateway
 * handler behind the local Function URL, the in-process bus), the mock upstream, and the admin
 * operations the CLI uses, so tests create users, keys and accounts the way an admin does.
 */
import { beforeEach } from 'node:test';
import OpenAI from 'openai';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '#local/local-stack.ts';
import { type CreateAccountInput, createAccount } from '#shared/admin/account-create.ts';
import { type CreateApiKeyInput, createApiKey } from '#shared/admin/api-keys.ts';
import { type CreateGroupInput, createGroup } from '#shared/admin/groups.ts';
import { createUser } from '#shared/admin/users.ts';
import type { UsageEventEnvelope } from '#shared/events/usage-event.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { type MockTokenEndpoint, startMockTokenEndpoint } from './mock-token-endpoint.ts';
import { type MockUpstream, startMockUpstream } from './mock-upstream.ts';
import { worldForSuite } from './suite-world.ts';
import { testLogger } from './test-logs.ts';

export const UPSTREAM_KEY = 'sk-upstream-platform-secret-0001';

export interface E2E {
  stack: LocalStack;
  mock: MockUpstream;
  admin: DynamoConfigAdmin;
  /** A user with a key in a fresh group served by one API-key account pointed at the mock. */
  seed(options?: {
    user?: { concurrency?: number; balanceUsd?: string };
    group?: Partial<CreateGroupInput>;
    key?: Partial<CreateApiKeyInput>;
    account?: Partial<CreateAccountInput>;
  }): Promise<{ userId: string; secret: string; keyId: string; accountId: string; groupId: string }>;
  client(secret: string, options?: { basePath?: string; headers?: Record<string, string> }): OpenAI;
  usageEvents(): UsageEventEnvelope[];
  /** The usage events of one user's requests once the bus delivered them, oldest first. */
  usageOf(userId: string): Promise<UsageEventEnvelope['detail'][]>;
  close(): Promise<void>;
}

/** The local stack's options an end-to-end test may set. */
export type E2EStackOptions = Pick<
  LocalStackOptions,
  | 'functionTimeoutMs'
  | 'busOptions'
  | 'wrapRecorder'
  | 'accessLog'
  | 'scheduleIntervalMs'
  | 'separateProcesses'
>;

export async function startE2E(
  env: Record<string, string> = {},
  options: E2EStackOptions = {},
): Promise<E2E> {
  const mock = await startMockUpstream();
  const stack = await startLocalStack({
    port: 0,
    dataDir: null,
    logger: testLogger('quotagate-gateway'),
    env: { QG_STAGE: 'e2e', QG_CONFIG_CACHE_SECONDS: '0', ...env },
    ...options,
  });
  const admin = new DynamoConfigAdmin(stack.client, stack.settings.tables.config);
  let counter = 0;
  const usageEvents = () =>
    stack.bus.events.filter(
      (event) => event.source === 'quotagate.gateway',
    ) as unknown as UsageEventEnvelope[];
  return {
    stack,
    mock,
    admin,
    async seed(options = {}) {
      counter += 1;
      const user = await createUser(admin, {
        email: `user${counter}@example.com`,
        concurrency: options.user?.concurrency ?? 5,
        balanceUsd: options.user?.balanceUsd ?? '10',
      });
      const group = await createGroup(admin, { name: `group ${counter}`, ...options.group });
      const account = await createAccount(admin, {
        type: 'apikey',
        name: `mock-${counter}`,
        baseUrl: mock.url,
        apiKey: UPSTREAM_KEY,
        groupIds: [group.id],
        ...options.account,
      });
      const created = await createApiKey(admin, { userId: user.id, groupId: group.id, ...options.key });
      return {
        userId: user.id,
        secret: created.secret,
        keyId: created.key.id,
        accountId: account.id,
        groupId: group.id,
      };
    },
    client(secret, options = {}) {
      return new OpenAI({
        apiKey: secret,
        baseURL: `${stack.url}${options.basePath ?? '/v1'}`,
        maxRetries: 0,
        defaultHeaders: options.headers,
      });
    },
    usageEvents,
    async usageOf(userId) {
      await stack.bus.drain();
      return usageEvents()
        .filter((event) => event.detail.userId === userId)
        .map((event) => event.detail);
    },
    async close() {
      await stack.close();
      await mock.close();
    },
  };
}

/**
 * The world of the enclosing suite (or of the file, called at its top level): started in a
 * `before` hook with `env` and `options` as {@link startE2E} takes them, closed in an `after`
 * hook, and with `resetMockEachTest` the mock upstream forgets its queued answers and the
 * requests it saw before each test (see {@link worldForSuite}).
 *
 * @example
 * ```ts
 * const e2e = e2eForSuite({ QG_IDLE_TIMEOUT_MS: '1000' }, {}, { resetMockEachTest: true });
 * it('…', async () => { const { secret } = await e2e.seed(); … });
 * ```
 */
export function e2eForSuite(
  env: Record<string, string> = {},
  options: E2EStackOptions = {},
  suite: { resetMockEachTest?: boolean } = {},
): E2E {
  const world = worldForSuite(
    'e2e world',
    () => startE2E(env, options),
    (started) => started.close(),
  );
  return resettingMock(world, suite);
}

/**
 * {@link e2eForSuite} with a mock OAuth token endpoint (`tokens`) the gateway refreshes against,
 * for the tests of ChatGPT/Codex OAuth accounts.
 */
export function oauthE2EForSuite(
  suite: { resetMockEachTest?: boolean } = {},
): E2E & { tokens: MockTokenEndpoint } {
  const world = worldForSuite(
    'OAuth e2e world',
    async () => {
      const tokens = await startMockTokenEndpoint();
      return { ...(await startE2E({ QG_OAUTH_TOKEN_URL: tokens.url })), tokens };
    },
    async (started) => {
      await started.close();
      await started.tokens.close();
    },
  );
  return resettingMock(world, suite);
}

function resettingMock<World extends E2E>(world: World, suite: { resetMockEachTest?: boolean }): World {
  if (suite.resetMockEachTest) {
    beforeEach(() => {
      world.mock.reset();
    });
  }
  return world;
}
