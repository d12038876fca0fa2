/**
 * The write units DynamoDB bills for secondary-index entries, counted in the bench's dynalite
 * process. dynalite keeps each index itself but reports no index capacity, and it rewrites an
 * index entry on every write of an item that has the index's keys, changed or not; DynamoDB bills
 * an index entry only when it appears, moves, goes or changes (its rules for global secondary
 * indexes). So the bench wraps dynalite's `updateIndexes` (called by PutItem, UpdateItem and
 * DeleteItem, BatchWriteItem's included, once the item write has passed its condition) and weighs
 * each call by DynamoDB's rule instead of dynalite's actions:
 * - an entry put (the item gains the index's keys) or removed (loses them): 1 unit per started KB
 *   of the entry (the projected item);
 * - an index key changed: a delete of the old entry plus a put of the new one;
 * - same keys, a projected attribute changed: one write, of the larger of the two entries;
 * - same keys and projected attributes (or no entry before or after): nothing.
 *
 * @example
 * ```ts
 * const indexWrites = countIndexWrites(); // before dynalite serves
 * indexWrites.units(); // units so far
 * ```
 */
import { createRequire } from 'node:module';

type Item = Record<string, unknown>;

/** The parts of a table description (dynalite's, as DescribeTable answers) the rule reads. */
export interface IndexedTable {
  TableName?: string;
  KeySchema: readonly { AttributeName: string }[];
  GlobalSecondaryIndexes?: readonly Index[];
  LocalSecondaryIndexes?: readonly Index[];
}

interface Index {
  IndexName: string;
  KeySchema: readonly { AttributeName: string }[];
  Projection: { ProjectionType?: string; NonKeyAttributes?: readonly string[] };
}

/** DynamoDB's size of an item in bytes: attribute names plus values. */
export type ItemSize = (item: Item) => number;

/**
 * Same DynamoDB value, whatever the objects' prototypes (dynalite clones items into objects without
 * one) and map key order.
 */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && same((a as Item)[key], (b as Item)[key]));
}

/** The index entry an item has (its projected attributes), or none without the index's keys. */
function entryOf(item: Item | null | undefined, index: Index, table: IndexedTable): Item | undefined {
  const indexKeys = index.KeySchema.map((key) => key.AttributeName);
  if (!item || indexKeys.some((key) => item[key] == null)) return undefined;
  if (index.Projection.ProjectionType === 'ALL') return item;
  const names = [
    ...indexKeys,
    ...table.KeySchema.map((key) => key.AttributeName),
    ...(index.Projection.NonKeyAttributes ?? []),
  ];
  return Object.fromEntries(names.filter((name) => item[name] != null).map((name) => [name, item[name]]));
}

/** The index write units DynamoDB bills for one item going from `before` to `after`. */
export function indexWriteUnits(
  table: IndexedTable,
  before: Item | null | undefined,
  after: Item | null | undefined,
  itemSize: ItemSize,
): number {
  return unitsByIndex(table, before, after, itemSize).reduce((sum, [, units]) => sum + units, 0);
}

/** {@link indexWriteUnits} per index the write touches, by index name. */
function unitsByIndex(
  table: IndexedTable,
  before: Item | null | undefined,
  after: Item | null | undefined,
  itemSize: ItemSize,
): [string, number][] {
  const units = (entry: Item) => Math.max(1, Math.ceil(itemSize(entry) / 1024));
  const billed: [string, number][] = [];
  for (const index of [...(table.GlobalSecondaryIndexes ?? []), ...(table.LocalSecondaryIndexes ?? [])]) {
    const old = entryOf(before, index, table);
    const next = entryOf(after, index, table);
    let total = 0;
    if (old && next) {
      const sameKeys = index.KeySchema.every(({ AttributeName: key }) => same(old[key], next[key]));
      if (!sameKeys) total = units(old) + units(next);
      else if (!same(old, next)) total = Math.max(units(old), units(next));
    } else if (old) total = units(old);
    else if (next) total = units(next);
    if (total > 0) billed.push([index.IndexName, total]);
  }
  return billed;
}

/**
 * Wraps dynalite's index maintenance in this process (it must run before dynalite serves) and
 * answers the index write units billed so far, in all and per `<table>/<index>`.
 */
export function countIndexWrites(): { units(): number; byIndex(): Record<string, number> } {
  // The same module instance dynalite's actions call through `db.updateIndexes`.
  const db = createRequire(import.meta.url)('dynalite/db/index.js') as {
    updateIndexes: (store: unknown, table: IndexedTable, before: Item, after: Item, cb: unknown) => void;
    itemSize: ItemSize;
  };
  let total = 0;
  const byIndex: Record<string, number> = {};
  const original = db.updateIndexes;
  db.updateIndexes = (store, table, before, after, cb) => {
    for (const [index, units] of unitsByIndex(table, before, after, (item) => db.itemSize(item))) {
      total += units;
      const name = `${table.TableName}/${index}`;
      byIndex[name] = (byIndex[name] ?? 0) + units;
    }
    original(store, table, before, after, cb);
  };
  return { units: () => total, byIndex: () => ({ ...byIndex }) };
}
