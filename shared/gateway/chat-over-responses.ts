/**
 * The stream relay of `POST /v1/chat/completions` for ChatGPT accounts, which speak only
 * Responses: the Responses stream is read by {@link SseRelay} (usage, terminal event, first delta,
 * final response for a JSON client) and, for a streaming client, each event is translated into
 * `chat.completion.chunk`s by {@link ChatChunkStream} as the relay reads it.
 *
 * Linear and bounded like {@link SseRelay}: frames up to its hold limit arrive parsed; a larger one
 * is read as it passes, only for what the translation needs — a delta's text in pieces (each its own
 * chunk), the few scalar fields of a large `response.*` event, the arguments of a tool call whose
 * arguments never streamed — and skipped otherwise (the `*.done` events that repeat the whole
 * text). A JSON client gets the final response whole, which is the answer it asked for.
 */
import { chatCompletionOf, failureMessageOf } from '../chat/chat-response.ts';
import { ChatChunkStream } from '../chat/chat-stream.ts';
import type { Json } from '../chat/chat-values.ts';
import { GatewayError } from '../errors.ts';
import type { TokenUsage } from '../events/usage-event.ts';
import type { StreamRelay } from './client-api.ts';
import { JsonScanner } from './json-scanner.ts';
import type { ObservedOutput } from './observed-usage.ts';
import { type LargeFrameReader, type ModelRewrite, SseRelay } from './sse-relay.ts';

const TEXT_DELTAS = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.function_call_arguments.delta',
]);
/** `response.*` events whose response the translation reads: ids and model, or how it ended. */
const RESPONSE_EVENTS = new Set([
  'response.created',
  'response.in_progress',
  'response.completed',
  'response.incomplete',
  'response.failed',
]);
/** The response fields read from a large `response.*` event (numbers are read from its head). */
const RESPONSE_FIELDS = ['id', 'model', 'status', 'incomplete_details', 'error', 'usage'] as const;
const ITEM_FIELDS = ['id', 'call_id', 'name', 'type'] as const;

function jsonOf(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class ChatOverResponsesRelay implements StreamRelay {
  private readonly responses: SseRelay;
  private readonly chunks: ChatChunkStream;
  /** Chunks translated during the current push. */
  private out = '';

  constructor(
    rewrite: ModelRewrite | undefined,
    now: () => number,
    includeUsage: boolean,
    clientStreams = true,
  ) {
    this.chunks = new ChatChunkStream({ includeUsage });
    this.responses = new SseRelay({
      rewrite,
      now,
      keepFinalResponse: !clientStreams,
      observeText: clientStreams,
      listener: clientStreams
        ? {
            event: (event) => this.translate(event),
            largeFrame: (type, head) => this.largeFrame(type, head),
          }
        : undefined,
    });
  }

  get usage(): TokenUsage | undefined {
    return this.responses.usage;
  }

  get terminalEvent(): string | undefined {
    return this.responses.terminalEvent;
  }

  get firstDeltaAt(): number | undefined {
    return this.responses.firstDeltaAt;
  }

  /** The text of the Responses deltas, each of which became a chunk for the client. */
  get observed(): ObservedOutput | undefined {
    return this.responses.observed;
  }

  push(chunk: Buffer): string {
    this.responses.push(chunk);
    return this.take();
  }

  flush(): string {
    this.responses.flush();
    return this.take();
  }

  /** The chat.completion for a finished response; a failed one is the upstream's error. */
  finalBody(): { status: number; body: unknown } | undefined {
    const final = this.responses.finalResponse;
    if (!final) return undefined;
    if (final.status === 'failed') {
      return { status: 502, body: new GatewayError(502, 'upstream_error', failureMessageOf(final)).toBody() };
    }
    return { status: 200, body: chatCompletionOf(final) };
  }

  private take(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  private translate(event: Json): void {
    this.out += this.chunks.event(event);
  }

  /** What the translation reads from a frame too large to hold; undefined skips it. */
  private largeFrame(type: string | undefined, head: string): LargeFrameReader | undefined {
    if (type === undefined || this.chunks.ended) return undefined;
    if (TEXT_DELTAS.has(type)) {
      const itemId = /"item_id"\s*:\s*"([^"\\]*)"/.exec(head)?.[1];
      const scanner = new JsonScanner({
        text: ['delta'],
        onText: (delta) => this.translate({ type, item_id: itemId, delta }),
      });
      return { scanner, end: () => undefined };
    }
    if (RESPONSE_EVENTS.has(type)) return this.responseFields(type, head);
    if (type === 'error') {
      // The relay notes that the client got the upstream's error: it must then get it as a chunk.
      const scanner = new JsonScanner({ capture: ['message'] });
      return {
        scanner,
        end: () => this.translate({ type, message: jsonOf(scanner.captured) as Json[string] }),
      };
    }
    if (type === 'response.output_item.added' || type === 'response.output_item.done')
      return this.toolCall(type);
    return undefined;
  }

  /** A large `response.*` event: its response's small fields, not its output. */
  private responseFields(type: string, head: string): LargeFrameReader {
    const scanner = new JsonScanner({ captures: RESPONSE_FIELDS.map((field) => ['response', field]) });
    const createdAt = /"created_at"\s*:\s*(\d+)/.exec(head)?.[1];
    const end = () => {
      const response: Json = {};
      RESPONSE_FIELDS.forEach((field, at) => {
        const value = jsonOf(scanner.capturedAll[at]);
        if (value !== undefined) response[field] = value as Json[string];
      });
      if (createdAt !== undefined) response.created_at = Number(createdAt);
      this.translate({ type, response });
    };
    return { scanner, end };
  }

  /**
   * A large output item: only a tool call adds to the chunks, and at its end only when its
   * arguments never streamed; then its arguments are gathered (the client gets them in one chunk).
   */
  private toolCall(type: string): LargeFrameReader {
    const args: string[] = [];
    let wanted: boolean | undefined;
    const scanner = new JsonScanner({
      captures: ITEM_FIELDS.map((field) => ['item', field]),
      text: ['item', 'arguments'],
      onText: (piece) => {
        wanted ??= this.wantsItem(type, scanner);
        if (wanted !== false) args.push(piece);
      },
    });
    const end = () => {
      const item: Json = { arguments: args.join('') };
      ITEM_FIELDS.forEach((field, at) => {
        const value = jsonOf(scanner.capturedAll[at]);
        if (typeof value === 'string') item[field] = value;
      });
      if (item.type === 'function_call' && (wanted ?? this.wantsItem(type, scanner)) !== false)
        this.translate({ type, item });
    };
    return { scanner, end };
  }

  /** Whether the item read so far is a call the chunks still need; undefined while its id and type are unknown. */
  private wantsItem(type: string, scanner: JsonScanner): boolean | undefined {
    const [id, , , itemType] = ITEM_FIELDS.map((_, at) => jsonOf(scanner.capturedAll[at]));
    if (itemType === undefined || id === undefined) return undefined;
    if (itemType !== 'function_call') return false;
    return type === 'response.output_item.added' || this.chunks.needsCallDone(String(id));
  }
}
