/**
 * An upstream JSON answer (a non-streamed response, possibly many MB) read in one pass: the model
 * name rewritten on the way ({@link ModelRewriter}), the top-level `usage` captured by an
 * incremental scanner, and the body kept as the chunks it arrived in. Kept, not forwarded, until
 * it is complete: a JSON client has received nothing while the body is read, so an upstream that
 * drops halfway can still be answered with an error (or another account) instead of half a body.
 *
 * @example
 * ```ts
 * const { chunks, usage } = await readJsonBody(upstream.body, rewrite, tokenUsageOf);
 * ```
 */
import type { TokenUsage } from '../events/usage-event.ts';
import { JsonScanner } from './json-scanner.ts';
import { type ModelRewrite, ModelRewriter } from './model-rewrite.ts';
import { tokenUsageOf } from './responses-stream-events.ts';

/** What a non-streamed upstream JSON answer becomes for the client: its chunks, model written back. */
export interface JsonAnswer {
  chunks: Buffer[];
  usage: TokenUsage | undefined;
}

export async function readJsonBody(
  body: AsyncIterable<unknown>,
  rewrite: ModelRewrite | undefined,
  usageOf: (usage: unknown) => TokenUsage | undefined = tokenUsageOf,
): Promise<JsonAnswer> {
  const rewriter = rewrite && rewrite.from !== rewrite.to ? new ModelRewriter(rewrite) : undefined;
  const scanner = new JsonScanner({ capture: ['usage'] });
  const chunks: Buffer[] = [];
  const take = (chunk: Buffer) => {
    if (chunk.length === 0) return;
    scanner.push(chunk);
    chunks.push(chunk);
  };
  for await (const chunk of body) take(rewriter ? rewriter.push(chunk as Buffer) : (chunk as Buffer));
  if (rewriter) take(rewriter.flush());
  let usage: TokenUsage | undefined;
  try {
    usage = scanner.captured === undefined ? undefined : usageOf(JSON.parse(scanner.captured));
  } catch {
    // A usage value that is not JSON: nothing to bill from it.
  }
  return { chunks, usage };
}
