/**
 * One ordered stream out of several already ordered ones: how a reader of a sharded listing
 * (a day's usage records over {@link USAGE_SHARDS} partitions) gives its items in the order a
 * single partition would. Each source is read page by page only as far as the merge needs it.
 *
 * @example
 * ```ts
 * for await (const page of mergeSortedPages(shards.map(pagesOfShard), (item) => item.gsi1sk as string)) …
 * ```
 */
import type { StoredItem } from './item-forms.ts';

/** How many merged items make one page of the result. */
const PAGE_ITEMS = 100;

interface Cursor {
  pages: AsyncIterator<StoredItem[]>;
  buffer: StoredItem[];
  done: boolean;
}

async function fill(cursor: Cursor): Promise<void> {
  while (cursor.buffer.length === 0 && !cursor.done) {
    const next = await cursor.pages.next();
    if (next.done) cursor.done = true;
    else cursor.buffer = next.value;
  }
}

/** Items of every source in ascending `keyOf` order, by pages; each source must be ascending itself. */
export async function* mergeSortedPages(
  sources: readonly AsyncIterable<StoredItem[]>[],
  keyOf: (item: StoredItem) => string,
): AsyncGenerator<StoredItem[]> {
  const cursors: Cursor[] = sources.map((source) => ({
    pages: source[Symbol.asyncIterator](),
    buffer: [],
    done: false,
  }));
  await Promise.all(cursors.map(fill));
  let page: StoredItem[] = [];
  for (;;) {
    let lowest: Cursor | undefined;
    for (const cursor of cursors) {
      const head = cursor.buffer[0];
      if (
        head !== undefined &&
        (lowest === undefined || keyOf(head) < keyOf(lowest.buffer[0] as StoredItem))
      ) {
        lowest = cursor;
      }
    }
    if (!lowest) break;
    page.push(lowest.buffer.shift() as StoredItem);
    await fill(lowest);
    if (page.length === PAGE_ITEMS) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
