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
import { tokenUsageOfChat } from '../chat/chat-response.ts';
import { isObject, type Json } from '../chat/chat-values.ts';
import type { TokenUsage } from '../events/usage-event.ts';
import type { StreamRelay } from './client-api.ts';
import { ANY_ELEMENT, JsonScanner } from './json-scanner.ts';
import { ObservedOutput } from './observed-usage.ts';
import { type LargeFrameReader, type ModelRewrite, SseRelay } from './sse-relay.ts';

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
  /** Frames, as the Responses relay finds them; the model name is written back on the bytes. */
  private readonly frames: SseRelay;

  constructor(
    rewrite: ModelRewrite | undefined,
    private readonly now: () => number,
    /** The client asked for the usage chunk itself. */
    private readonly clientWantsUsage: boolean,
  ) {
    this.frames = new SseRelay({
      rewrite,
      now,
      observeText: false,
      listener: { frame: (text) => this.frame(text), largeFrame: () => this.largeChunk() },
    });
  }

  /** The stream ended inside a large chunk part of which was already forwarded. */
  get midFrame(): boolean {
    return this.frames.midFrame;
  }

  push(chunk: Buffer): Buffer {
    return this.frames.push(chunk);
  }

  flush(): Buffer {
    return this.frames.flush();
  }

  finalBody(): undefined {
    // API-key accounts answer a JSON client with JSON; nothing is assembled from a stream.
    return undefined;
  }

  /**
   * A chunk too large to hold (one long delta) passes as it comes, with its `"usage":null` left in:
   * its content text is read as it passes. The usage chunk and `[DONE]` are small.
   */
  private largeChunk(): LargeFrameReader {
    this.firstDeltaAt ??= this.now();
    const scanner = new JsonScanner({
      text: ['choices', ANY_ELEMENT, 'delta', 'content'],
      onText: (text) => this.observed.add(text),
    });
    return { scanner, end: () => undefined };
  }

  private frame(text: string): string {
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
