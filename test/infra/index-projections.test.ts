/**
 * What the tables' indexes copy. An index entry is a second copy of the item's projected
 * attributes, readable by anyone granted the index and rewritten whenever one of them changes:
 * no index may hold a sealed credential, and none may hold what a request changes (a user's
 * balance, a key's spend, the recorder's markers), or every charge writes one shared listing
 * partition. The sealed attributes are found by sealing an account the way the admin store does,
 * not copied from the code by hand.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Account, ApiKey, User } from '#shared/domain/types.ts';
import { lostRecordFields } from '#shared/recorder/request-start.ts';
import { AGGREGATE_COUNTERS, type UsageRecord } from '#shared/recorder/usage-record.ts';
import { sealCredentials } from '#shared/secrets/account-credentials.ts';
import { LocalDataKeys } from '#shared/secrets/data-keys.ts';
import { isSealed, SecretSealer } from '#shared/secrets/secret-sealer.ts';
import { MONEY_MARKS } from '#shared/store/dynamo/balance-operations.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import { MARKS } from '#shared/store/dynamo/usage-ledger-effects.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { resourcesOfType, synthTestStack, TEST_STAGE } from './support/synth-quotagate.ts';

interface IndexProperty {
  IndexName: string;
  Projection: { ProjectionType: 'ALL' | 'INCLUDE' | 'KEYS_ONLY'; NonKeyAttributes?: string[] };
}

/** Every index of every table of a synthesised stack, by `<table>/<index>`. */
function indexesOf(overrides: Record<string, unknown> = {}): Map<string, IndexProperty> {
  const { template } = synthTestStack(overrides);
  const indexes = new Map<string, IndexProperty>();
  for (const table of Object.values(resourcesOfType(template, 'AWS::DynamoDB::Table'))) {
    const properties = table.Properties as { TableName: string; GlobalSecondaryIndexes?: IndexProperty[] };
    for (const index of properties.GlobalSecondaryIndexes ?? [])
      indexes.set(`${properties.TableName}/${index.IndexName}`, index);
  }
  return indexes;
}

/** True when the index copies `attribute` of the items it lists. */
const projects = (index: IndexProperty, attribute: string) =>
  index.Projection.ProjectionType === 'ALL' || (index.Projection.NonKeyAttributes ?? []).includes(attribute);

/** The top-level attributes of a stored account item that hold a sealed value, at any depth. */
async function sealedAttributesOfAnAccount(): Promise<string[]> {
  const folder = await mkdtemp(join(tmpdir(), 'qg-projections-'));
  try {
    const sealer = new SecretSealer(new LocalDataKeys(join(folder, 'secrets.key')));
    const account: Account = {
      id: 'acc_projection',
      name: 'every secret field set',
      type: 'oauth',
      credentials: {
        accessToken: 'at-projection-0001',
        refreshToken: 'rt-projection-0001',
        chatgptAccountId: 'chatgpt-account-1',
        proxyUrl: 'http://user:password@proxy.example:8080',
      },
      status: 'active',
      priority: 1,
      concurrency: 2,
      modelMapping: {},
      groupIds: ['team'],
      health: { state: 'ok' },
      createdAt: '2026-12-03T00:00:00.000Z',
    };
    const item = configItems.account(account);
    item.credentials = await sealCredentials(sealer, account.id, account.credentials);
    const holdsSealed = (value: unknown): boolean =>
      isSealed(value) ||
      (typeof value === 'object' && value !== null && Object.values(value).some(holdsSealed));
    return Object.keys(item).filter((attribute) => holdsSealed(item[attribute]));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * What a usage record or a daily aggregate gains or changes after its first write: the record's
 * state and times, what the event brings that the gateway's `started` record lacks (the account,
 * the usage and the amounts), the claim, the sweep's context and listing, the TTL, the markers,
 * the aggregate counters.
 */
const LATER_USAGE_ATTRIBUTES = [
  ...([
    'state',
    'recordedAt',
    'appliedAt',
    'lostAt',
    'effects',
    'accountId',
    'modelSent',
    'endedAt',
  ] satisfies (keyof UsageRecord)[]),
  ...Object.keys(lostRecordFields(0)),
  'leaseOwner',
  'leaseUntil',
  'pendingContext',
  'pendingPk',
  'pendingSk',
  'expiresAt',
  MARKS,
  ...AGGREGATE_COUNTERS,
];

/** What the recorder and the top-ups change on every request or payment. */
const PER_REQUEST_ATTRIBUTES = [
  'balanceNano' satisfies keyof User,
  'usedNano' satisfies keyof ApiKey,
  'codexUsage' satisfies keyof Account,
  MARKS,
  MONEY_MARKS,
];

describe('index projections', () => {
  const { config, usage } = tableNamesForStage(TEST_STAGE);
  let sealed: string[];
  let indexes: Map<string, IndexProperty>;
  before(async () => {
    sealed = await sealedAttributesOfAnAccount();
    indexes = indexesOf();
  });

  it('finds the sealed credentials in an account item (so the checks below check something)', () => {
    assert.deepEqual(sealed, ['credentials']);
  });

  it('copies no sealed credential into any index of any table', () => {
    // Sealed values live in Config items only (the e2e scan of every local table checks that):
    // an index of another table may copy whole items; no index may name a sealed attribute.
    assert.ok(indexes.size >= 3, `indexes found: ${[...indexes.keys()]}`);
    for (const [name, index] of indexes) {
      if (index.Projection.ProjectionType === 'ALL')
        assert.ok(!name.startsWith(`${config}/`), `${name} is ALL`);
      for (const attribute of sealed)
        assert.ok(
          !(index.Projection.NonKeyAttributes ?? []).includes(attribute),
          `${name} projects ${attribute}`,
        );
    }
  });

  it('copies no balance, spend, marker or Codex snapshot into the Config listing', () => {
    const configIndexes = [...indexes].filter(([name]) => name.startsWith(`${config}/`));
    assert.deepEqual(
      configIndexes.map(([name]) => name),
      [`${config}/listing`],
    );
    for (const [name, index] of configIndexes)
      for (const attribute of PER_REQUEST_ATTRIBUTES)
        assert.ok(!projects(index, attribute), `${name} projects ${attribute}`);
  });

  it('keeps the old gsi1 (ALL) beside listing only while keepLegacyConfigIndex says so', () => {
    const upgrading = indexesOf({ keepLegacyConfigIndex: 'true' });
    assert.deepEqual([...upgrading.keys()].filter((name) => name.startsWith(`${config}/`)).sort(), [
      `${config}/gsi1`,
      `${config}/listing`,
    ]);
    assert.equal(upgrading.get(`${config}/gsi1`)?.Projection.ProjectionType, 'ALL');
    assert.throws(
      () => indexesOf({ keepLegacyConfigIndex: 'yes' }),
      /keepLegacyConfigIndex" must be true or false/,
    );
  });

  it('copies into the Usage listing only what a record or an aggregate has from its first write', () => {
    const usageIndexes = [...indexes].filter(([name]) => name.startsWith(`${usage}/`));
    assert.deepEqual(usageIndexes.map(([name]) => name).sort(), [`${usage}/listing`, `${usage}/pending`]);
    for (const [name, index] of usageIndexes) assert.notEqual(index.Projection.ProjectionType, 'ALL', name);
    const listing = indexes.get(`${usage}/listing`);
    assert.ok(listing);
    assert.deepEqual(listing.Projection, {
      ProjectionType: 'INCLUDE',
      NonKeyAttributes: ['userId', 'apiKeyId'],
    });
    for (const attribute of LATER_USAGE_ATTRIBUTES)
      assert.ok(!projects(listing, attribute), `the Usage listing projects ${attribute}`);
  });

  it("keeps the Usage table's old gsi1 (ALL) beside listing only while keepLegacyUsageIndex says so", () => {
    const usageIndexNames = (of: Map<string, IndexProperty>) =>
      [...of.keys()].filter((name) => name.startsWith(`${usage}/`)).sort();
    // Step 1 of the upgrade: the new listing is added, the old gsi1 kept.
    const upgrading = indexesOf({ keepLegacyUsageIndex: 'true' });
    assert.deepEqual(usageIndexNames(upgrading), [`${usage}/gsi1`, `${usage}/listing`, `${usage}/pending`]);
    assert.equal(upgrading.get(`${usage}/gsi1`)?.Projection.ProjectionType, 'ALL');
    assert.ok(!upgrading.has(`${config}/gsi1`), 'the Config table keeps its own flag');
    // Both tables at once: one index added to each.
    const both = indexesOf({ keepLegacyUsageIndex: 'true', keepLegacyConfigIndex: 'true' });
    assert.ok(both.has(`${usage}/gsi1`) && both.has(`${config}/gsi1`));
    // Step 2: the flag off drops gsi1, one index removed.
    assert.deepEqual(usageIndexNames(indexes), [`${usage}/listing`, `${usage}/pending`]);
    assert.throws(
      () => indexesOf({ keepLegacyUsageIndex: 'maybe' }),
      /keepLegacyUsageIndex" must be true or false/,
    );
  });
});
