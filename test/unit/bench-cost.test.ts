/**
 * The bench's cost figure: DynamoDB's billing rule for index entries (bench/index-writes.ts),
 * checked case by case against hand-counted units, and the cost formula (bench/cost.ts) against
 * a hand computation of docs/deploy.md's worked example.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costPerMillion } from '../../bench/cost.ts';
import { type IndexedTable, indexWriteUnits } from '../../bench/index-writes.ts';

/** Two indexes as the Usage and Config tables have them: one projecting all, one narrowed. */
const table: IndexedTable = {
  KeySchema: [{ AttributeName: 'pk' }, { AttributeName: 'sk' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'gsi1',
      KeySchema: [{ AttributeName: 'gsi1pk' }, { AttributeName: 'gsi1sk' }],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: 'listing',
      KeySchema: [{ AttributeName: 'lpk' }],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['state'] },
    },
  ],
};

/** Attribute names plus string values, in bytes (DynamoDB's size for string attributes). */
const size = (item: Record<string, unknown>) =>
  Object.entries(item).reduce(
    (sum, [name, value]) => sum + name.length + (value as { S: string }).S.length,
    0,
  );
const s = (text: string) => ({ S: text });
const base = { pk: s('U#1'), sk: s('R#1') };
const listed = { ...base, gsi1pk: s('DAY#1'), gsi1sk: s('T#1'), lpk: s('L'), state: s('pending') };
const withoutPrototypes = (item: Record<string, { S: string }>) =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, Object.assign(Object.create(null), value)]),
  );
const { lpk: _, ...unlisted } = listed;
const big = s('x'.repeat(3000));

describe('index write units as DynamoDB bills them', () => {
  const cases: [string, Record<string, unknown> | null, Record<string, unknown> | null, number][] = [
    ['an item without any index key, written twice', base, { ...base, note: s('a') }, 0],
    ['a new item in the ALL index only', null, { ...base, gsi1pk: s('D'), gsi1sk: s('T') }, 1],
    ['a new item in both indexes', null, listed, 2],
    ['the same item written again unchanged (dynalite rewrites both entries)', listed, listed, 0],
    // dynalite's updates clone items into objects without a prototype.
    ['the same item, cloned without prototypes', listed, withoutPrototypes(listed), 0],
    ['an attribute only the ALL index projects, changed', listed, { ...listed, note: s('b') }, 1],
    ['an attribute both indexes project, changed', listed, { ...listed, state: s('applied') }, 2],
    ['an index key changed: delete plus put', listed, { ...listed, gsi1sk: s('T#2') }, 2],
    // The narrowed index's entry removed, and the ALL index's copy rewritten without the key.
    ['an index key removed (a sparse index left)', listed, unlisted, 2],
    ['the item deleted', listed, null, 2],
    // 3,000 bytes + 3 ("big") + 46 of the rest (names and values) → 3 KB started in the ALL
    // index; the narrowed index projects 26 bytes → 1.
    ['a 3 KB item put', null, { ...listed, big }, 4],
    // Old and new entries of 3 KB each in the ALL index; the narrowed one unchanged.
    ['a 3 KB item whose index key changed', { ...listed, big }, { ...listed, big, gsi1sk: s('T#2') }, 6],
    // One write of the larger entry: 3 KB.
    ['a 3 KB attribute added without key change', listed, { ...listed, big }, 3],
  ];
  for (const [name, before, after, units] of cases) {
    it(name, { timeout: 5_000 }, () => {
      assert.equal(indexWriteUnits(table, before, after, size), units);
    });
  }
});

describe('the cost per million requests', () => {
  it('sums index write units into W at the write price', { timeout: 5_000 }, () => {
    // By hand, at 176 MB and 20 s streams + 10 ms: gateway 0.20 + 10^6 × 0.171875 GB × 20.01 s ×
    // 0.0000133334 = 46.0565; recorder 0.20 + 10^6 × 0.25 × 0.15 × 0.0000133334 = 0.7000;
    // EventBridge 1.00; DynamoDB 0.625 × (15 + 9) + 0.125 × 1 = 15.125; logs 0.50 × 2 = 1.00.
    const input = {
      gatewayMemoryMb: 176,
      recorderMemoryMb: 256,
      gatewayOverheadMs: 10,
      writes: 15,
      reads: 1,
    };
    assert.equal(costPerMillion({ ...input, streamSeconds: 20, indexWrites: 9 }), 63.88);
    // Without index writes and at 2 s: 4.8063 + 0.7000 + 1.00 + 9.375 + 0.125 + 1.00 = 17.0063.
    assert.equal(costPerMillion({ ...input, streamSeconds: 2, indexWrites: 0 }), 17.01);
  });
});
