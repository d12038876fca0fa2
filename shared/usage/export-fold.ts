/**
 * Folds one full table export and any incremental exports into the latest state of each usage
 * record, the way `quotagate usage from-export` and the Athena view `usage_records` both read the
 * exports. Each image carries the time it was true: a full export's items its `exportTime`, an
 * incremental change its `WriteTimestampMicros`; the newest image of an item wins. The result
 * therefore does not depend on the order the exports are given in, and an incremental export
 * older than the full one cannot roll a record back.
 *
 * A change without a new image is a deletion. Usage records are deleted only by the ledger's
 * optional TTL (docs/deploy.md), after the exports have kept them, so a deletion keeps the last
 * image: the exports are the ledger of record.
 *
 * @example
 * ```ts
 * const fold = new UsageExportFold();
 * for (const table of exports) for await (const line of table.lines()) fold.add(table, line);
 * for (const record of fold.appliedRecords(range)) write(record);
 * ```
 */
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { UsageRecord } from '../recorder/usage-record.ts';
import { DOCUMENT_TRANSLATION } from '../store/dynamo/item-forms.ts';
import { usageRecordOf } from '../store/dynamo/usage-record-item.ts';
import type { DynamoItem, ExportLine, TableExport } from './table-export.ts';

interface Image {
  item: DynamoItem;
  micros: bigint;
  /** From an incremental export's change rather than a full export's item. */
  change: boolean;
}

/** Epoch ms: records that started in `[from, to)`. */
export interface StartedRange {
  from?: number;
  to?: number;
}

// Numbers read as every document client of quotagate reads them, so both give the same bytes.
// A copy: a document client writes `convertWithoutMapWrapper` into the options it is given.
const UNMARSHALL = { wrapNumbers: DOCUMENT_TRANSLATION.unmarshallOptions.wrapNumbers };

function usageKey(item: DynamoItem): string | undefined {
  return item.kind?.S === 'usage' ? item.pk?.S : undefined;
}

export class UsageExportFold {
  readonly #images = new Map<string, Image>();

  /** Takes one line of `table` into account. */
  add(table: TableExport, line: ExportLine): void {
    if (line.kind === 'item') {
      if (table.exportMicros === undefined) return;
      this.#offer({ item: line.item, micros: table.exportMicros, change: false });
    } else if (line.newImage) {
      this.#offer({ item: line.newImage, micros: line.writtenMicros, change: true });
    }
  }

  #offer(image: Image): void {
    const key = usageKey(image.item);
    if (key === undefined) return;
    const known = this.#images.get(key);
    // At equal times a change wins over a full export's item: the change is the write itself,
    // which the full export may or may not have caught at that instant.
    const newer = !known || image.micros > known.micros || (image.micros === known.micros && image.change);
    if (newer) this.#images.set(key, image);
  }

  /**
   * The records whose latest state is `applied` and that started in `range`, in the order
   * `usage export` lists them: by the listing's sort key (`gsi1sk`), `<startedAt>#<requestId>`.
   */
  appliedRecords(range: StartedRange = {}): UsageRecord[] {
    const fromKey = range.from === undefined ? '' : new Date(range.from).toISOString();
    const toKey = range.to === undefined ? undefined : new Date(range.to).toISOString();
    const kept: { sortKey: string; record: UsageRecord }[] = [];
    for (const { item } of this.#images.values()) {
      if (item.state?.S !== 'applied') continue;
      const startedAt = item.startedAt?.S ?? '';
      if (startedAt < fromKey || (toKey !== undefined && startedAt >= toKey)) continue;
      const sortKey = item.gsi1sk?.S ?? `${startedAt}#${item.requestId?.S ?? ''}`;
      kept.push({ sortKey, record: usageRecordOf(unmarshall(item, UNMARSHALL)) });
    }
    kept.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    return kept.map(({ record }) => record);
  }
}
