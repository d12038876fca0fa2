/**
 * Token counts for usage the upstream never reported (a stream cut short): OpenAI's `o200k_base`
 * encoding, the one of every model the gateway serves (GPT-4o, GPT-4.1, o-series, GPT-5 and its
 * Codex variants). The rank table and split pattern are js-tiktoken's published data
 * (`js-tiktoken/ranks/o200k_base`); the count is {@link BytePairCounter}'s, which holds that table in
 * about 5 MB where the tokenizer packages hold it in 60 MB or more (docs/benchmarks.md compares them
 * and checks that all count alike).
 *
 * Text is counted as ordinary text: a special token's spelling (`<|endoftext|>`) in a prompt or an
 * answer is counted as the characters it is, as OpenAI tokenizes user text, never refused.
 *
 * Loaded on first need only (a request that completes never needs it). On Lambda the package is
 * shipped beside the bundle as a plain node module (see infra/constructs/gateway.ts), so this
 * import reads it from disk at that moment and the bundle every cold start loads stays without it.
 *
 * @example
 * ```ts
 * const tokens = await countTokens('Hello from the mock upstream.'); // 6
 * ```
 */
import { readFile } from 'node:fs/promises';
import { BytePairCounter } from './byte-pair-counter.ts';

/** js-tiktoken's published data of one encoding (`js-tiktoken/ranks/<encoding>`). */
interface RankFile {
  pat_str: string;
  bpe_ranks: string;
}

/**
 * A match of the split pattern longer than this many characters is counted in pieces of it (at a
 * character boundary): the merge's memory grows with the piece (about 36 bytes per byte), and only
 * a run of 64 Ki characters without a space, digit or punctuation is that long. Such a run's count
 * can then differ from the whole's by a token per piece.
 */
export const MAX_PIECE_CHARS = 64 * 1024;

interface Tokenizer {
  counter: BytePairCounter;
  pattern: RegExp;
  /** UTF-8 of one piece: up to 3 bytes per UTF-16 unit. */
  scratch: Uint8Array;
}

let loading: Promise<Tokenizer> | undefined;

function loadTokenizer(): Promise<Tokenizer> {
  loading ??= (async () => {
    // Read, not imported: an imported module's source and strings stay in memory for good. The
    // file is one object literal in JSON (`export default {…};`), its only statement.
    const source = await readFile(new URL(import.meta.resolve('js-tiktoken/ranks/o200k_base')), 'utf8');
    const ranks = JSON.parse(source.slice(source.indexOf('{'), source.lastIndexOf('}') + 1)) as RankFile;
    return {
      counter: BytePairCounter.fromCompressedRanks(ranks.bpe_ranks),
      pattern: new RegExp(ranks.pat_str, 'gu'),
      scratch: new Uint8Array(3 * MAX_PIECE_CHARS),
    };
  })();
  // A failed load is retried by the next caller, not remembered.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

const encoder = new TextEncoder();

function countText({ counter, pattern, scratch }: Tokenizer, text: string): number {
  let total = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const piece = match[0];
    for (let from = 0; from < piece.length; ) {
      let to = Math.min(piece.length, from + MAX_PIECE_CHARS);
      // A surrogate pair stays whole.
      if (to < piece.length && isHighSurrogate(piece.charCodeAt(to - 1))) to--;
      const { written } = encoder.encodeInto(
        to - from === piece.length ? piece : piece.slice(from, to),
        scratch,
      );
      total += counter.count(scratch, written);
      from = to;
    }
  }
  return total;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Tokens of `texts` counted one by one (each a whole text, or cut at a {@link lastSafeCut}). */
export async function countTokens(...texts: string[]): Promise<number> {
  if (texts.every((text) => text === '')) return 0;
  const tokenizer = await loadTokenizer();
  let total = 0;
  for (const text of texts) if (text !== '') total += countText(tokenizer, text);
  return total;
}

/** The counter itself, once loaded: for counting many texts without a promise each (the bench). */
export async function tokenCounter(): Promise<(text: string) => number> {
  const tokenizer = await loadTokenizer();
  return (text) => countText(tokenizer, text);
}

/**
 * Where `o200k_base`'s split pattern always ends a piece, whatever follows, and what it makes of
 * the text on either side never depends on the other, so the two halves count as the whole does:
 * - after a letter or digit followed by one character that is neither (nor a mark, a line break or
 *   `'`, which could join it) and then a letter: `word| word`, `你好|，世界`, `a|.b`;
 * - after a line break followed by spaces and something else, or directly by anything but
 *   whitespace and `/` (which would join a `;\n//` piece): the start of every line of code.
 */
const SAFE_CUT = /[\p{L}\p{N}](?=[^\r\n\p{L}\p{N}\p{M}'][\p{L}])|\n(?=[^\S\r\n]+\S|[^\s/])/gu;

/**
 * The last position in `text` at or after `from` where it can be cut into two texts whose counts add
 * up to the whole's (see {@link SAFE_CUT}), or -1 if there is none.
 */
export function lastSafeCut(text: string, from = 0): number {
  let cut = -1;
  SAFE_CUT.lastIndex = from;
  for (let match = SAFE_CUT.exec(text); match !== null; match = SAFE_CUT.exec(text))
    cut = match.index + match[0].length;
  return cut;
}
