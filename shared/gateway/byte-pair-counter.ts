/**
 * Byte-pair encoding reduced to what billing needs: how many tokens one piece of text (a match of
 * the encoding's split pattern, as UTF-8 bytes) becomes, with the rank table held compactly.
 *
 * The table of `o200k_base` has 199,998 tokens. Held as JavaScript strings, maps or a WebAssembly
 * heap it costs 60–160 MB resident (the packages measured in docs/benchmarks.md); here it is four
 * typed arrays, 5.1 MB: every token's bytes end to end (1.4 MB), where each one starts and ends,
 * and an open-addressing hash from bytes to rank (2 MB).
 *
 * The merge is tiktoken's: join the adjacent pair whose bytes have the lowest rank, the leftmost
 * of equals, until no pair is a token. A heap finds that pair in O(log n) where tiktoken scans all
 * pairs, so a long piece costs O(n log n), not O(n²); the order of merges, and so the count, is
 * the same.
 *
 * @example
 * ```ts
 * const counter = BytePairCounter.fromCompressedRanks(ranks.bpe_ranks);
 * counter.count(new TextEncoder().encode(' hello')); // 1
 * ```
 */

/** Empty slot in the hash; ranks are stored plus one. */
const EMPTY = 0;
/** No pair: its bytes are no token. */
const NONE = -1;
/** Heap keys are rank × 2³² + start: exact in a double while the rank stays below 2²¹. */
const START_SPAN = 2 ** 32;

const BASE64 = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries())
  BASE64[c.charCodeAt(0)] = i;

function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 0;
}

export class BytePairCounter {
  /** Longest token in bytes: a longer span is never looked up. */
  private readonly maxTokenBytes: number;
  private readonly mask: number;
  // Scratch of the merge, grown to the longest piece seen and reused.
  private next = new Int32Array(0);
  private previous = new Int32Array(0);
  private pairRank = new Int32Array(0);
  private heap = new Float64Array(0);
  private heapSize = 0;

  /** The tokens' bytes, each token's end to end. */
  private readonly bytes: Uint8Array;
  /** Where token r starts and ends in {@link bytes} (both 0 for a rank no token has). */
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  /** Rank + 1 of the token hashed to each slot ({@link EMPTY} when none). */
  private readonly slots: Int32Array;

  private constructor(bytes: Uint8Array, starts: Uint32Array, ends: Uint32Array, slots: Int32Array) {
    this.bytes = bytes;
    this.starts = starts;
    this.ends = ends;
    this.slots = slots;
    this.mask = slots.length - 1;
    let longest = 0;
    for (let r = 0; r < starts.length; r++)
      longest = Math.max(longest, (ends[r] as number) - (starts[r] as number));
    this.maxTokenBytes = longest;
  }

  /**
   * Builds the table from js-tiktoken's compressed ranks (`bpe_ranks` of
   * `js-tiktoken/ranks/o200k_base`): lines of `<tag> <first rank> <base64 token> …`, the tokens of
   * a line taking consecutive ranks. Decoded straight into the typed arrays, no string per token.
   */
  static fromCompressedRanks(compressed: string): BytePairCounter {
    const lines: Array<{ firstRank: number; from: number; to: number }> = [];
    let ranks = 0;
    for (let lineStart = 0; lineStart < compressed.length; ) {
      let lineEnd = compressed.indexOf('\n', lineStart);
      if (lineEnd === -1) lineEnd = compressed.length;
      const tagEnd = compressed.indexOf(' ', lineStart);
      const rankEnd = compressed.indexOf(' ', tagEnd + 1);
      if (tagEnd !== -1 && rankEnd !== -1 && rankEnd < lineEnd) {
        const firstRank = Number(compressed.slice(tagEnd + 1, rankEnd));
        lines.push({ firstRank, from: rankEnd + 1, to: lineEnd });
        ranks = Math.max(ranks, firstRank + countSpaces(compressed, rankEnd + 1, lineEnd) + 1);
      }
      lineStart = lineEnd + 1;
    }
    const bytes = new Uint8Array(Math.ceil((compressed.length * 3) / 4));
    const starts = new Uint32Array(ranks);
    const ends = new Uint32Array(ranks);
    let written = 0;
    for (const { firstRank, from, to } of lines) {
      let rank = firstRank;
      for (let at = from; at < to; rank++) {
        let tokenEnd = compressed.indexOf(' ', at);
        if (tokenEnd === -1 || tokenEnd > to) tokenEnd = to;
        starts[rank] = written;
        written = decodeBase64(compressed, at, tokenEnd, bytes, written);
        ends[rank] = written;
        at = tokenEnd + 1;
      }
    }
    // A load of at most one half keeps probes short.
    let size = 1;
    while (size < ranks * 2) size *= 2;
    const slots = new Int32Array(size);
    for (let r = 0; r < ranks; r++) {
      if (ends[r] === starts[r]) continue;
      let slot = hashOf(bytes, starts[r] as number, ends[r] as number) & (size - 1);
      while (slots[slot] !== EMPTY) slot = (slot + 1) & (size - 1);
      slots[slot] = r + 1;
    }
    return new BytePairCounter(bytes.slice(0, written), starts, ends, slots);
  }

  /** Rank of `piece[start, end)`, or {@link NONE} when those bytes are no token. */
  rankOf(piece: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (length > this.maxTokenBytes) return NONE;
    let slot = hashOf(piece, start, end) & this.mask;
    for (;;) {
      const stored = this.slots[slot] as number;
      if (stored === EMPTY) return NONE;
      const from = this.starts[stored - 1] as number;
      if ((this.ends[stored - 1] as number) - from === length && this.sameBytes(piece, start, from, length))
        return stored - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Tokens the first `length` bytes of `piece` (one match of the split pattern) become. */
  count(piece: Uint8Array, length = piece.length): number {
    if (length === 0) return 0;
    if (this.rankOf(piece, 0, length) !== NONE) return 1;
    this.reserve(length);
    // Parts are byte ranges [i, next[i]); pairRank[i] is the rank of part i joined with the next.
    const { next, previous, pairRank } = this;
    for (let i = 0; i < length; i++) {
      next[i] = i + 1;
      previous[i] = i - 1;
    }
    this.heapSize = 0;
    for (let i = 0; i + 1 < length; i++) this.rankPair(piece, length, i);
    let parts = length;
    while (this.heapSize > 0) {
      const key = this.pop();
      const start = key % START_SPAN;
      // Entries of parts since merged away or joined again are stale; a rank names its bytes.
      if (next[start] === -1 || pairRank[start] !== (key - start) / START_SPAN) continue;
      const gone = next[start] as number;
      next[start] = next[gone] as number;
      if ((next[gone] as number) < length) previous[next[gone] as number] = start;
      next[gone] = -1;
      parts--;
      this.rankPair(piece, length, start);
      if (start > 0) this.rankPair(piece, length, previous[start] as number);
    }
    return parts;
  }

  /** Sets the rank of part `i` joined with the next one, and queues it when it is a token. */
  private rankPair(piece: Uint8Array, length: number, i: number): void {
    const middle = this.next[i] as number;
    const rank = middle >= length ? NONE : this.rankOf(piece, i, this.next[middle] as number);
    this.pairRank[i] = rank;
    if (rank !== NONE) this.push(rank * START_SPAN + i);
  }

  private push(key: number): void {
    const heap = this.heap;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as number) <= key) break;
      heap[i] = heap[parent] as number;
      i = parent;
    }
    heap[i] = key;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0] as number;
    const last = heap[--this.heapSize] as number;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.heapSize) break;
      if (child + 1 < this.heapSize && (heap[child + 1] as number) < (heap[child] as number)) child++;
      if ((heap[child] as number) >= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  private reserve(length: number): void {
    if (this.next.length > length) return;
    this.next = new Int32Array(length + 1);
    this.previous = new Int32Array(length + 1);
    this.pairRank = new Int32Array(length + 1);
    // The first pairs, then at most two entries per merge.
    this.heap = new Float64Array(3 * length + 1);
  }

  private sameBytes(piece: Uint8Array, start: number, from: number, length: number): boolean {
    for (let i = 0; i < length; i++) if (piece[start + i] !== this.bytes[from + i]) return false;
    return true;
  }
}

function countSpaces(text: string, from: number, to: number): number {
  let spaces = 0;
  for (let at = text.indexOf(' ', from); at !== -1 && at < to; at = text.indexOf(' ', at + 1)) spaces++;
  return spaces;
}

/** Decodes base64 `text[from, to)` into `out` at `at`; returns where the bytes end. */
function decodeBase64(text: string, from: number, to: number, out: Uint8Array, at: number): number {
  let buffer = 0;
  let bits = 0;
  let written = at;
  for (let i = from; i < to; i++) {
    const value = BASE64[text.charCodeAt(i)] ?? -1;
    if (value === -1) continue; // '=' padding
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffer >> bits) & 0xff;
    }
  }
  return written;
}
