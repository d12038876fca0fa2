/**
 * Token counts for usage the upstream never reported (a stream cut short): OpenAI's `o200k_base`
 * encoding, the one of every model the gateway serves (GPT-4o, GPT-4.1, o-series, GPT-5 and its
 * Codex variants), from the `gpt-tokenizer` package.
 *
 * Loaded on first need only: its rank table is 2.4 MB of JavaScript that takes a few hundred ms to
 * load and holds tens of MB once loaded, and a request that completes normally never needs it. On
 * Lambda the package is shipped beside the bundle as a plain node module (see
 * infra/constructs/gateway.ts), so this import reads it from disk at that moment and the bundle
 * every cold start loads stays without it.
 *
 * @example
 * ```ts
 * const tokens = await countTokens('Hello from the mock upstream.'); // 6
 * ```
 */

type Counter = (text: string) => number;

let loading: Promise<Counter> | undefined;

function loadTokenizer(): Promise<Counter> {
  loading ??= (async () => {
    // External in the Lambda bundle (bundling.nodeModules), so this stays a load from disk.
    const module = await import('gpt-tokenizer/encoding/o200k_base');
    return module.countTokens;
  })();
  // A failed load is retried by the next caller, not remembered.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

/** Tokens of `texts` counted one by one (each a whole piece of text, cut at a word boundary). */
export async function countTokens(...texts: string[]): Promise<number> {
  if (texts.every((text) => text === '')) return 0;
  const count = await loadTokenizer();
  let total = 0;
  for (const text of texts) if (text !== '') total += count(text);
  return total;
}
