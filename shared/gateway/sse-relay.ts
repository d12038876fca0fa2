/**
 * Step 11: reads an upstream SSE stream frame by frame while passing it on. Frames are forwarded
 * as soon as they are complete (a client cannot use half a frame), byte for byte unless the model
 * was mapped, in which case the upstream model name is written back to the one the client asked
 * for. On the way it notes the usage in `response.completed`, the final response object (for a
 * client that asked for JSON from an upstream that only streams) and when the first delta came.
 */
import { StringDecoder } from 'node:string_decoder';
import type { TokenUsage } from '../events/usage-event.ts';

export interface ModelRewrite {
  /** The upstream model name. */
  from: string;
  /** The name the client asked for. */
  to: string;
}

const TERMINAL_EVENTS = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
  'response.done',
]);

/** Converts OpenAI's usage object to ours; missing fields count as zero. */
export function tokenUsageOf(usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  const count = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
  const inputDetails = (u.input_tokens_details ?? {}) as Record<string, unknown>;
  const outputDetails = (u.output_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: count(u.input_tokens),
    cachedInputTokens: count(inputDetails.cached_tokens),
    outputTokens: count(u.output_tokens),
    reasoningTokens: count(outputDetails.reasoning_tokens),
  };
}

/** Rewrites `"model":"<from>"` occurrences; JSON from OpenAI is compact, but spaces are allowed. */
export function rewriteModel(text: string, rewrite: ModelRewrite | undefined): string {
  if (!rewrite || rewrite.from === rewrite.to) return text;
  const from = JSON.stringify(rewrite.from).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`"model"\\s*:\\s*${from}`, 'g'), `"model":${JSON.stringify(rewrite.to)}`);
}

export class SseRelay {
  usage: TokenUsage | undefined;
  /** The `response` object of the terminal event, model already rewritten. */
  finalResponse: Record<string, unknown> | undefined;
  /** Type of the terminal event seen, if any. */
  terminalEvent: string | undefined;
  firstDeltaAt: number | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly rewrite: ModelRewrite | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Feeds upstream bytes; returns the complete frames to forward (possibly empty). */
  push(chunk: Buffer): string {
    this.pending += this.decoder.write(chunk);
    let out = '';
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.pending);
      if (!match) break;
      const end = match.index + match[0].length;
      out += this.frame(this.pending.slice(0, end));
      this.pending = this.pending.slice(end);
    }
    return out;
  }

  /** What is left when the upstream ended; a final frame without its blank line still counts. */
  flush(): string {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest.trim() === '' ? rest : this.frame(rest);
  }

  private frame(raw: string): string {
    const text = rewriteModel(raw, this.rewrite);
    let event: string | undefined;
    let data = '';
    for (const line of text.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trimStart();
    }
    if (data === '' || data === '[DONE]') return text;
    const type = event ?? /"type"\s*:\s*"([^"]+)"/.exec(data)?.[1];
    if (type?.endsWith('.delta') && this.firstDeltaAt === undefined) this.firstDeltaAt = this.now();
    if (type && TERMINAL_EVENTS.has(type)) {
      try {
        const parsed = JSON.parse(data) as { response?: Record<string, unknown> };
        this.terminalEvent = type;
        this.finalResponse = parsed.response;
        this.usage = tokenUsageOf(parsed.response?.usage) ?? this.usage;
      } catch {
        // A malformed terminal frame is passed on as it came; usage stays as observed.
      }
    }
    return text;
  }
}
