/**
 * The gateway's opened credentials (shared/store/credential-cache.ts) against dynalite: read by
 * key once per account, then again only when the listing shows a newer `credentialsVersion`,
 * which every write of the credentials makes (creation 1, a proxy change, a reseal, a refresh).
 * Reads are counted by wrapping the real directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { type CreateAccountInput, createAccount } from '#shared/admin/account-create.ts';
import { createGroup } from '#shared/admin/groups.ts';
import type { ListedAccount } from '#shared/domain/types.ts';
import type { AccountCredentialsReader } from '#shared/store/config-directory.ts';
import { CredentialCache, READ_AHEAD_MAX } from '#shared/store/credential-cache.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoConfigAdmin } from '#shared/store/dynamo/config-admin.ts';
import { DynamoConfigDirectory } from '#shared/store/dynamo/config-directory.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';

const tables = tableNamesForStage('credcache');
let db: RunningDynalite;
let client: SdkDocumentClient;
let admin: DynamoConfigAdmin;
let directory: DynamoConfigDirectory;

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  client = createDocumentClient(db.endpoint);
  admin = new DynamoConfigAdmin(client, tables.config);
  directory = new DynamoConfigDirectory(client, tables.config);
});
after(async () => {
  client.destroy();
  await db.close();
});

/**
 * The cache over the real directory, and the account ids it read and opened, in order; `open`
 * stands in front of the directory's opening (a fault to inject).
 */
function countedCache(
  open: AccountCredentialsReader['openCredentials'] = (accountId, stored) =>
    directory.openCredentials(accountId, stored),
): { cache: CredentialCache; reads: string[]; opens: string[] } {
  const reads: string[] = [];
  const opens: string[] = [];
  const reader: AccountCredentialsReader = {
    readCredentials(accountId) {
      reads.push(accountId);
      return directory.readCredentials(accountId);
    },
    openCredentials(accountId, stored) {
      opens.push(accountId);
      return open(accountId, stored);
    },
  };
  return { cache: new CredentialCache(reader), reads, opens };
}

/** An API-key account no request reaches (its base URL is closed). */
function apiKeyAccount(name: string, apiKey: string, more: Partial<CreateAccountInput> = {}) {
  return createAccount(admin, { type: 'apikey', name, baseUrl: 'http://127.0.0.1:9', apiKey, ...more });
}

async function listedAccount(id: string): Promise<ListedAccount> {
  const account = (await directory.listAccounts()).find((listed) => listed.id === id);
  assert.ok(account, `${id} is listed`);
  return account;
}

describe('opened credentials per gateway instance', { timeout: 30_000 }, () => {
  it('reads an account once, and again only when the listing shows its credentials changed', async () => {
    const { id } = await apiKeyAccount('cached', 'sk-cache-test-key-0001');
    const { cache, reads } = countedCache();
    const first = await listedAccount(id);

    const opened = await cache.withCredentials(first);
    await cache.withCredentials(first);
    assert.deepEqual(opened?.credentials, { apiKey: 'sk-cache-test-key-0001' });
    assert.equal(first.credentialsVersion, 1);
    assert.deepEqual(reads, [id]);

    // A credentials write: the listing's version moves, the next ask reads.
    await admin.setAccountProxy(id, 'http://user:secret@proxy.example:3128');
    const second = await listedAccount(id);
    const [a, b] = await Promise.all([cache.withCredentials(second), cache.withCredentials(second)]);
    assert.equal(second.credentialsVersion, 2);
    assert.equal(a?.credentials.proxyUrl, 'http://user:secret@proxy.example:3128');
    assert.deepEqual(b, a);
    assert.deepEqual(reads, [id, id], 'two asks at once share one read');

    // A listing older than what is held (the index lags the item) costs no read.
    const stale = await cache.withCredentials(first);
    assert.equal(stale?.credentials.proxyUrl, 'http://user:secret@proxy.example:3128');
    assert.deepEqual(reads, [id, id]);
  });

  it('answers undefined for an account deleted since it was listed, and remembers nothing for it', async () => {
    const { id } = await apiKeyAccount('deleted', 'sk-cache-test-key-0002');
    const listed = await listedAccount(id);
    await admin.update('account', id, { status: 'disabled' });
    await admin.remove('account', id);
    const { cache, reads } = countedCache();

    assert.equal(await cache.withCredentials(listed), undefined);
    assert.equal(await cache.withCredentials(listed), undefined);
    assert.deepEqual(reads, [id, id]);
  });

  it("reads a group's active accounts ahead once per instance, and opens only those it uses", async () => {
    // Prepare: two active accounts and a disabled one in a group, one account in another group.
    const group = (await createGroup(admin, { name: 'ahead' })).id;
    const other = (await createGroup(admin, { name: 'other' })).id;
    const account = (name: string, groupIds: string[]) =>
      apiKeyAccount(name, `sk-ahead-${name}-0001`, { groupIds });
    const [first, second, disabled, elsewhere] = await Promise.all([
      account('first', [group]),
      account('second', [group, other]),
      account('disabled', [group]),
      account('elsewhere', [other]),
    ]);
    await admin.update('account', disabled.id, { status: 'disabled' });
    const { cache, reads, opens } = countedCache();
    let listings = 0;
    const listing = () => {
      listings += 1;
      return directory.listAccounts();
    };

    // Act
    const ahead = cache.readAhead(group, listing);
    const again = cache.readAhead(group, listing);
    await ahead;
    const used = await cache.withCredentials(await listedAccount(second.id));

    // Assess: both active accounts of the group read, once; nothing opened but the one used.
    assert.ok(ahead);
    assert.equal(again, undefined, 'a group is read ahead once per instance');
    assert.equal(listings, 1);
    assert.deepEqual([...reads].sort(), [first.id, second.id].sort());
    assert.deepEqual(used?.credentials, { apiKey: 'sk-ahead-second-0001' });
    assert.deepEqual(opens, [second.id]);
    assert.ok(!reads.includes(elsewhere.id) && !reads.includes(disabled.id));
  });

  it(`reads at most ${READ_AHEAD_MAX} accounts of a group ahead, the most preferred first`, async () => {
    // Prepare: a listing of 100 accounts whose priority values run backwards (none is stored:
    // what is asked for is counted, the answers are "gone").
    const listed = await listedAccount((await apiKeyAccount('model', 'sk-x')).id);
    const pool: ListedAccount[] = Array.from({ length: 100 }, (_, i) => ({
      ...listed,
      id: `acc_many_${i}`,
      priority: 100 - i,
      groupIds: ['g_many'],
    }));
    const { cache, reads } = countedCache();

    // Act
    await cache.readAhead('g_many', async () => pool);

    // Assess: priorities 1…90 are the accounts 99 down to 10.
    assert.equal(READ_AHEAD_MAX, 90);
    assert.deepEqual([...reads].sort(), Array.from({ length: 90 }, (_, i) => `acc_many_${i + 10}`).sort());
  });

  it('tries a failed opening again at the next ask, without reading again', async () => {
    // Prepare: KMS (the opening) fails once, as when it is briefly unreachable.
    const { id } = await apiKeyAccount('kms-hiccup', 'sk-cache-test-key-0004');
    let failures = 1;
    const { cache, reads } = countedCache(async (accountId, stored) => {
      if (failures-- > 0) throw new Error('KMS unreachable');
      return directory.openCredentials(accountId, stored);
    });
    const listed = await listedAccount(id);

    // Act
    const first = await cache.withCredentials(listed).then(
      () => 'opened',
      (error: Error) => error.message,
    );
    const second = await cache.withCredentials(listed);

    // Assess
    assert.equal(first, 'KMS unreachable');
    assert.deepEqual(second?.credentials, { apiKey: 'sk-cache-test-key-0004' });
    assert.deepEqual(reads, [id]);
  });

  it('reads nothing ahead when the account listing fails, and lets the request meet the failure', async () => {
    const { cache, reads } = countedCache();

    const settled = await cache.readAhead('g_listing_fails', () => Promise.reject(new Error('throttled')));

    assert.equal(settled, undefined);
    assert.deepEqual(reads, []);
  });

  it('lists every attribute of an account but its credentials, so the gateway schedules on the whole account', async () => {
    const { id } = await apiKeyAccount('every field', 'sk-cache-test-key-0003', {
      priority: 3,
      concurrency: 7,
      modelMapping: { 'gpt-5': 'gpt-5.1' },
      customErrorCodes: [401],
      userAgent: 'listing-test/1',
      proxyUrl: 'http://proxy.example:3128',
    });
    await directory.setHealth(id, { state: 'rate_limited', until: 1, reason: 'test' });
    const stored = await admin.get('account', id);
    assert.ok(stored);
    const { credentials: _, ...withoutCredentials } = stored;

    assert.deepEqual(await listedAccount(id), { ...withoutCredentials, credentialsVersion: 1 });
  });
});
