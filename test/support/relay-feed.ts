/**
 * Feeding the SSE relay as the network would, for its unit tests: chunks cut at chosen bytes,
 * and a frame too large to hold arriving in a first chunk past the hold limit.
 */
import { HOLD_LIMIT, SseRelay } from '#shared/gateway/sse-relay.ts';

/** Feeds `text` cut at the given byte offsets and returns everything forwarded, then flushed. */
export function relayed(relay: SseRelay, text: string, cuts: number[] = []): string {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(relay.push(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(relay.flush());
  return Buffer.concat(out).toString('utf8');
}

/**
 * Feeds a frame larger than the relay holds as it arrives over the network: a first chunk past
 * {@link HOLD_LIMIT} (a frame that ends within one chunk is read whole, however large).
 */
export const pushLarge = (relay: SseRelay, frame: string) => relayed(relay, frame, [HOLD_LIMIT + 1]);

/** A usage object as OpenAI writes it, and what the relay must make of it. */
export const USAGE_JSON =
  '{"input_tokens":21,"input_tokens_details":{"cached_tokens":3},"output_tokens":8,"output_tokens_details":{"reasoning_tokens":5}}';
export const USAGE = { inputTokens: 21, cachedInputTokens: 3, outputTokens: 8, reasoningTokens: 5 };
/** Letters enough to take a frame past {@link HOLD_LIMIT}. */
export const PADDING = 'p'.repeat(HOLD_LIMIT + 100);

/**
 * A relay whose listener has only `frame()`, forwarding each frame as it is and keeping it in
 * `frames`: what a listener without the optional hooks sees.
 */
export function relayWithFrameListener(): { relay: SseRelay; frames: string[] } {
  const frames: string[] = [];
  const relay = new SseRelay({
    listener: {
      frame: (text) => {
        frames.push(text);
        return text;
      },
    },
  });
  return { relay, frames };
}
