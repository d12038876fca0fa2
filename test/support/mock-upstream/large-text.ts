/**
 * Answers of any size for the mock upstream: a text of a given number of bytes, built by repeating
 * one plain sentence, and its split into deltas of a given size. Tests and the benchmark use them
 * to send streams far larger than any memory budget (issue: streams of any size) without a prompt
 * of that size.
 */

/** The sentence a large answer repeats: ASCII, so bytes and characters are the same count. */
export const FILLER_SENTENCE = 'The quick brown fox jumps over the lazy dog. ';

/** A text of exactly `bytes` bytes: {@link FILLER_SENTENCE} repeated, the last copy cut short. */
export function fillerText(bytes: number): string {
  const copies = Math.ceil(bytes / FILLER_SENTENCE.length);
  return FILLER_SENTENCE.repeat(copies).slice(0, bytes);
}

/** Splits `text` into pieces of `size` characters (the last may be shorter); they join back to it. */
export function splitBySize(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}
