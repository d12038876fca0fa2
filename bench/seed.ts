/**
 * The benchmark's configuration, written with the admin operations the CLI uses: one group served
 * by a few platform accounts that all point at the mock upstream, and two users with a key each —
 * one holding a finite number of concurrency slots (its requests take and release a user slot in
 * DynamoDB) and one unlimited (concurrency 0, no user slot at all).
 */
import { createAccount } from '#shared/admin/account-create.ts';
import { createApiKey } from '#shared/admin/api-keys.ts';
import { createGroup } from '#shared/admin/groups.ts';
import { createUser } from '#shared/admin/users.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';

export interface BenchSeedOptions {
  dynamoEndpoint: string;
  configTable: string;
  mockUrl: string;
  accounts: number;
  accountConcurrency: number;
  userConcurrency: number;
}

/** API key secrets of the two users. */
export interface BenchKeys {
  /** The user with `userConcurrency` slots. */
  slots: string;
  /** The user with concurrency 0 (unlimited). */
  unlimited: string;
}

export async function seedBench(options: BenchSeedOptions): Promise<BenchKeys> {
  const client = createDocumentClient(options.dynamoEndpoint);
  try {
    const admin = new DynamoConfigAdmin(client, options.configTable);
    const group = await createGroup(admin, { name: 'bench' });
    for (let n = 1; n <= options.accounts; n++) {
      await createAccount(admin, {
        type: 'apikey',
        name: `mock-${n}`,
        baseUrl: options.mockUrl,
        apiKey: `sk-bench-upstream-${n}`,
        concurrency: options.accountConcurrency,
        groupIds: [group.id],
      });
    }
    const keyFor = async (email: string, concurrency: number) => {
      const user = await createUser(admin, { email, concurrency, balanceUsd: '1000000' });
      return (await createApiKey(admin, { userId: user.id, groupId: group.id })).secret;
    };
    return {
      slots: await keyFor('slots@bench.example', options.userConcurrency),
      unlimited: await keyFor('unlimited@bench.example', 0),
    };
  } finally {
    client.destroy();
  }
}
