/**
 * Usage counted by the gateway itself, for a stream that ended without the upstream's usage (the
 * client left, the upstream dropped or stalled, the deadline came): input tokens from the request
 * body, output tokens from the text that reached the client (answer text, refusals, reasoning
 * summaries, tool-call arguments and inputs). Hidden reasoning is not observable and is not
 * counted; docs/finance.md explains the estimate and its limits.
 *
 * The output text is never held whole: it waits in {@link ObservedOutput} up to
 * {@link PENDING_TEXT_LIMIT} characters, and beyond that is counted as it passes, in pieces cut
 * where the counts of the pieces add up to the whole's ({@link lastSafeCut}). An answer shorter
 * than the limit (every answer within OpenAI's output-token caps) is counted only if its stream is
 * cut short, so a request that completes never loads the tokenizer.
 *
 * @example
 * ```ts
 * const observed = new ObservedOutput();
 * observed.add('Hello');
 * const usage = await observedUsage(body.json, observed); // { inputTokens, outputTokens, … }
 * ```
 */
import type { TokenUsage } from '../events/usage-event.ts';
import { countTokens, lastSafeCut } from './token-count.ts';

/** Characters of observed text kept before counting starts (about 2 MB of memory at most). */
export const PENDING_TEXT_LIMIT = 1024 * 1024;
/** Characters at the end of the waiting text where a cut is looked for first. */
const SAFE_CUT_WINDOW = 4096;

export class ObservedOutput {
  private pending: string[] = [];
  private pendingChars = 0;
  private counted = 0;
  /** Characters of text observed in all. */
  chars = 0;

  add(text: string): void {
    if (text === '') return;
    this.pending.push(text);
    this.pendingChars += text.length;
    this.chars += text.length;
  }

  /** True once enough text waits that it should be counted now (see {@link drain}). */
  get full(): boolean {
    return this.pendingChars > PENDING_TEXT_LIMIT;
  }

  /**
   * Counts the waiting text up to its last safe cut ({@link lastSafeCut}); the rest waits for more.
   */
  async drain(): Promise<void> {
    const text = this.pending.join('');
    // Text has a safe cut every few words: looked for near its end first.
    let cut = lastSafeCut(text, Math.max(0, text.length - SAFE_CUT_WINDOW));
    if (cut === -1) cut = lastSafeCut(text);
    // None in a whole megabyte (one run of letters, or of symbols): cut at the end anyway, where
    // the count can differ from the whole's by a token. A surrogate pair stays whole.
    if (cut === -1) cut = /[\ud800-\udbff]$/.test(text) ? text.length - 1 : text.length;
    this.pending = cut < text.length ? [text.slice(cut)] : [];
    this.pendingChars = text.length - cut;
    this.counted += await countTokens(text.slice(0, cut));
  }

  /** Tokens of everything observed. */
  async tokens(): Promise<number> {
    const rest = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    this.counted += await countTokens(rest);
    return this.counted;
  }
}

/** Keys of input items whose string values are text the model reads. */
const TEXT_KEYS = new Set(['text', 'content', 'arguments', 'output', 'input', 'refusal']);

/**
 * The texts of a request body the upstream turns into input tokens: instructions, the text of
 * every input item or chat message (content, tool-call arguments and outputs), and the tool
 * definitions. Images, files, ids and encrypted reasoning are not counted.
 */
export function requestTexts(body: Record<string, unknown>): string[] {
  const texts: string[] = [];
  const walk = (value: unknown, key: string | undefined): void => {
    if (typeof value === 'string') {
      if (key === undefined || TEXT_KEYS.has(key)) texts.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, key);
    } else if (typeof value === 'object' && value !== null) {
      for (const [name, inner] of Object.entries(value)) walk(inner, name);
    }
  };
  if (typeof body.instructions === 'string') texts.push(body.instructions);
  walk(body.input, undefined);
  walk(body.messages, undefined);
  if (Array.isArray(body.tools) && body.tools.length > 0) texts.push(JSON.stringify(body.tools));
  return texts;
}

/**
 * The usage to bill for a stream that ended without the upstream's: what was observed, and never
 * less than any count the upstream did report.
 */
export async function observedUsage(
  body: Record<string, unknown>,
  output: ObservedOutput,
  reported: TokenUsage | undefined,
): Promise<TokenUsage> {
  const inputTokens = await countTokens(...requestTexts(body));
  const outputTokens = await output.tokens();
  return {
    inputTokens: Math.max(inputTokens, reported?.inputTokens ?? 0),
    cachedInputTokens: reported?.cachedInputTokens ?? 0,
    outputTokens: Math.max(outputTokens, reported?.outputTokens ?? 0),
    reasoningTokens: reported?.reasoningTokens ?? 0,
  };
}
