/**
 * The stream relay of `POST /v1/chat/completions` for API-key accounts (ChatGPT accounts have
 * `ChatOverResponsesRelay`, chat-over-responses.ts):
 *
 * - {@link ChatChunkRelay}: `chat.completion.chunk` frames pass through as
 *   they came (model name written back where it was mapped); usage is read from the last chunk,
 *   which the gateway always asks for (`stream_options.include_usage`) so every stream can be
 *   billed, and which it strips again, with the `"usage":null` it adds to every chunk, when the
 *   client did not ask for it. `data: [DONE]` is the stream's end.
 */
import { StringDecoder } from 'node:string_decoder';
import { tokenUsageOfChat } from '../chat/chat-response.ts';
import { isObject, type Json } from '../chat/chat-values.ts';
import type { TokenUsage } from '../events/usage-event.ts';
import type { StreamRelay } from './client-api.ts';
import { ObservedOutput } from './observed-usage.ts';
import { type ModelRewrite, rewriteModel } from './sse-relay.ts';

/** Splits SSE text into complete frames (each with its blank line); rescans only new text. */
class SseFrameReader {
  private pending = '';
  private scanFrom = 0;

  push(text: string): string[] {
    this.pending += text;
    const frames: string[] = [];
    const separator = /\r?\n\r?\n/g;
    separator.lastIndex = this.scanFrom;
    let start = 0;
    for (let match = separator.exec(this.pending); match; match = separator.exec(this.pending)) {
      const end = match.index + match[0].length;
      frames.push(this.pending.slice(start, end));
      start = end;
    }
    this.pending = this.pending.slice(start);
    // A separator can straddle two pushes: look again at the last three characters next time.
    this.scanFrom = Math.max(0, this.pending.length - 3);
    return frames;
  }

  /** A last frame without its blank line still counts. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    this.scanFrom = 0;
    return rest.trim() === '' ? [] : [rest];
  }
}

/** The `data:` payload of one frame ('' when it has none). */
function dataOf(frame: string): string {
  return frame
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart())
    .join('\n');
}

function parsed(data: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The deltas of a chunk's choices. */
function deltasOf(chunk: Json): Json[] {
  if (!Array.isArray(chunk.choices)) return [];
  return chunk.choices.map((choice) => (isObject(choice) && isObject(choice.delta) ? choice.delta : {}));
}

/** True for a chunk that carries generated text, a refusal or a tool call. */
function carriesOutput(deltas: Json[]): boolean {
  return deltas.some(
    (delta) => Boolean(delta.content) || Boolean(delta.refusal) || Array.isArray(delta.tool_calls),
  );
}

/** The text a chunk gave the client: content, refusal and tool-call arguments. */
function outputTextOf(deltas: Json[]): string {
  let text = '';
  for (const delta of deltas) {
    if (typeof delta.content === 'string') text += delta.content;
    if (typeof delta.refusal === 'string') text += delta.refusal;
    for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
      const fn = isObject(call) && isObject(call.function) ? call.function : {};
      if (typeof fn.arguments === 'string') text += fn.arguments;
    }
  }
  return text;
}

export class ChatChunkRelay implements StreamRelay {
  usage: TokenUsage | undefined;
  terminalEvent: string | undefined;
  firstDeltaAt: number | undefined;
  /** The output text of the chunks passed on, for billing a stream cut short. */
  readonly observed = new ObservedOutput();
  private readonly decoder = new StringDecoder('utf8');
  private readonly frames = new SseFrameReader();

  constructor(
    private readonly rewrite: ModelRewrite | undefined,
    private readonly now: () => number,
    /** The client asked for the usage chunk itself. */
    private readonly clientWantsUsage: boolean,
  ) {}

  push(chunk: Buffer): string {
    return this.frames
      .push(this.decoder.write(chunk))
      .map((frame) => this.frame(frame))
      .join('');
  }

  flush(): string {
    const rest = this.frames.push(this.decoder.end());
    return [...rest, ...this.frames.flush()].map((frame) => this.frame(frame)).join('');
  }

  finalBody(): undefined {
    // API-key accounts answer a JSON client with JSON; nothing is assembled from a stream.
    return undefined;
  }

  private frame(raw: string): string {
    const text = rewriteModel(raw, this.rewrite);
    const data = dataOf(text);
    if (data === '[DONE]') {
      this.terminalEvent = '[DONE]';
      return text;
    }
    const chunk = parsed(data);
    if (!chunk) return text;
    const usage = tokenUsageOfChat(chunk.usage);
    if (usage) this.usage = usage;
    const deltas = deltasOf(chunk);
    if (this.firstDeltaAt === undefined && carriesOutput(deltas)) this.firstDeltaAt = this.now();
    this.observed.add(outputTextOf(deltas));
    if (this.clientWantsUsage) return text;
    if (usage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return '';
    // An unescaped `,"` only occurs between JSON members, never inside a string value.
    return text.replace(/,\s*"usage"\s*:\s*null/g, '');
  }
}
