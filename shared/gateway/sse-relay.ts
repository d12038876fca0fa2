/**
 * Step 11: passes an upstream SSE stream on while reading from it what the gateway needs: the
 * event type of each frame, when the first delta came, the terminal event's usage, the text that
 * reached the client (for a stream cut short) and, for a client that asked for JSON from an
 * upstream that only streams, the final response.
 *
 * Linear in the bytes and bounded in memory, whatever the size of a frame (OpenAI's closing events
 * repeat the whole answer, so one frame can be many MB): each byte is looked at once. A frame up to
 * {@link HOLD_LIMIT} is held until it is complete and then forwarded whole, so that the gateway's
 * own error frame can always follow a complete frame; a larger one is forwarded as its bytes
 * arrive, its head telling its type, and only the parts that must be read are scanned as they
 * pass ({@link JsonScanner}). The terminal frame is kept whole only when the final response is
 * needed. The model-name rewrite runs over the byte stream first ({@link ModelRewriter}), so it
 * holds across chunk boundaries.
 */
import type { TokenUsage } from '../events/usage-event.ts';
import { JsonScanner } from './json-scanner.ts';
import { type ModelRewrite, ModelRewriter } from './model-rewrite.ts';
import { ObservedOutput } from './observed-usage.ts';
import {
  eventOf,
  eventTypeOf,
  frameFieldsOf,
  isTerminalEvent,
  isTextDelta,
  sequenceNumberIn,
  tokenUsageOf,
} from './responses-stream-events.ts';
import { DataLines } from './sse-data-lines.ts';

export { type ModelRewrite, rewriteModel } from './model-rewrite.ts';

/** Frames up to this size are forwarded whole; every delta and small event is far below it. */
export const HOLD_LIMIT = 64 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * A reader of the events themselves (the Chat Completions translation), told of each frame as it
 * ends: a held frame parsed, a large one through what it chose to read while the frame passed.
 */
export interface SseEventListener {
  /** A frame up to {@link HOLD_LIMIT}, its data parsed (after the relay read it). */
  event?(event: Record<string, unknown>): void;
  /** A frame up to {@link HOLD_LIMIT} as it will be forwarded, whole: the listener may change it. */
  frame?(text: string): string;
  /**
   * A larger frame begins: its type and head (its first {@link HOLD_LIMIT} bytes). Returns a
   * scanner fed its data as it passes and what to do once it passed whole, or undefined to skip it.
   */
  largeFrame?(type: string | undefined, head: string): LargeFrameReader | undefined;
}

export interface LargeFrameReader {
  scanner: JsonScanner;
  /** Called after the relay's own reading of the frame, only when the frame came whole. */
  end(): void;
}

export interface SseRelayOptions {
  rewrite?: ModelRewrite | undefined;
  /** Keep the terminal event's `response` (a JSON client served from a stream). */
  keepFinalResponse?: boolean;
  /** Collect the delta text for billing a cut (default true; a JSON client receives no delta). */
  observeText?: boolean;
  now?: () => number;
  listener?: SseEventListener | undefined;
}

/** How a large frame is read while it passes. */
interface Passing {
  /** Its data lines, to a scanner. */
  data: DataLines | undefined;
  /** Its bytes, when it must be read whole after all (the final response of a JSON client). */
  kept: Buffer[] | undefined;
  onEnd: (() => void) | undefined;
}

export class SseRelay {
  usage: TokenUsage | undefined;
  /** The `response` object of the terminal event (only with `keepFinalResponse`). */
  finalResponse: Record<string, unknown> | undefined;
  /** Type of the terminal `response.*` event seen, if any. */
  terminalEvent: string | undefined;
  /** The upstream ended the stream with a top-level `error` event, which the client already got. */
  upstreamError = false;
  firstDeltaAt: number | undefined;
  /** Text the frames passed on carried, for billing a stream cut short. */
  readonly observed: ObservedOutput | undefined;
  /** Bytes of a partial frame already forwarded (a large frame cut by the end of the stream). */
  midFrame = false;
  private lastSequenceNumber = -1;
  private readonly rewriter: ModelRewriter | undefined;
  private readonly keepFinalResponse: boolean;
  private readonly now: () => number;
  private readonly listener: SseEventListener | undefined;
  /** The frame being read while it is held (≤ HOLD_LIMIT). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Set while a large frame passes through. */
  private passing: Passing | undefined;
  private lineHasContent = false;

  constructor(options: SseRelayOptions = {}) {
    this.rewriter =
      // Stryker disable next-line ConditionalExpression: a rewrite to the same name changes no byte; the test saves the work
      options.rewrite && options.rewrite.from !== options.rewrite.to
        ? new ModelRewriter(options.rewrite)
        : undefined;
    this.keepFinalResponse = options.keepFinalResponse ?? false;
    this.observed = options.observeText === false ? undefined : new ObservedOutput();
    this.now = options.now ?? Date.now;
    this.listener = options.listener;
  }

  /** The `sequence_number` an event the gateway adds after the upstream's must carry. */
  get nextSequenceNumber(): number {
    return this.lastSequenceNumber + 1;
  }

  /** Feeds upstream bytes; returns what can be forwarded now (possibly empty). */
  push(chunk: Buffer): Buffer {
    return this.frames(this.rewriter ? this.rewriter.push(chunk) : chunk);
  }

  /** What is left when the upstream ended; a final frame without its blank line still counts. */
  flush(): Buffer {
    const out = this.frames(this.rewriter ? this.rewriter.flush() : Buffer.alloc(0));
    if (this.passing) {
      this.midFrame = true;
      this.endPassing(this.passing);
      return out;
    }
    if (this.heldBytes === 0) return out;
    const frame = Buffer.concat(this.held);
    // Stryker disable next-line ArrayDeclaration: held is read only while heldBytes > 0, and heldBytes is reset beside it
    this.held = [];
    this.heldBytes = 0;
    return Buffer.concat([out, this.forwardHeld(frame)]);
  }

  /** Splits bytes at frame ends (a blank line), forwarding held frames whole and large ones as they come. */
  private frames(data: Buffer): Buffer {
    const out: Buffer[] = [];
    let frameFrom = 0;
    let at = 0;
    for (;;) {
      const newline = data.indexOf(NEWLINE, at);
      if (newline === -1) {
        if (at < data.length && !(data.length - at === 1 && data[at] === CR)) this.lineHasContent = true;
        break;
      }
      const lineBytes = newline - at;
      if (lineBytes > 1 || (lineBytes === 1 && data[at] !== CR)) this.lineHasContent = true;
      if (!this.lineHasContent) {
        this.frameEnded(data.subarray(frameFrom, newline + 1), out);
        frameFrom = newline + 1;
      }
      this.lineHasContent = false;
      at = newline + 1;
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: an empty rest adds nothing to what is held or passed
    if (frameFrom < data.length) this.frameContinues(data.subarray(frameFrom), out);
    // Stryker disable next-line ConditionalExpression: concatenating one buffer copies the same bytes
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  private frameContinues(piece: Buffer, out: Buffer[]): void {
    if (this.passing) {
      this.pass(this.passing, piece, out);
      return;
    }
    this.held.push(piece);
    this.heldBytes += piece.length;
    if (this.heldBytes <= HOLD_LIMIT) return;
    // Too large to hold: its head says what it is, and from now on its bytes pass as they come.
    const head = Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    const headText = head.toString('utf8', 0, HOLD_LIMIT);
    this.noteSequenceNumber(headText);
    const type = eventTypeOf(headText);
    this.passing = this.withListener(this.readersFor(type), type, headText);
    this.pass(this.passing, head, out);
  }

  private frameEnded(last: Buffer, out: Buffer[]): void {
    if (this.passing) {
      this.pass(this.passing, last, out);
      this.endPassing(this.passing);
      return;
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: concatenating nothing held before the last piece gives its bytes
    const frame = this.heldBytes > 0 ? Buffer.concat([...this.held, last]) : last;
    this.held = [];
    this.heldBytes = 0;
    out.push(this.forwardHeld(frame));
  }

  /** Reads a whole held frame and gives what to forward of it. */
  private forwardHeld(frame: Buffer): Buffer {
    const text = frame.toString('utf8');
    this.inspect(text);
    return this.listener?.frame ? Buffer.from(this.listener.frame(text)) : frame;
  }

  private pass(passing: Passing, piece: Buffer, out: Buffer[]): void {
    passing.data?.push(piece);
    passing.kept?.push(piece);
    out.push(piece);
  }

  /** What reads a large frame of this type as it passes: its usage, its text, or all of it. */
  private readersFor(type: string | undefined): Passing {
    if (isTerminalEvent(type)) {
      // Stryker disable next-line ConditionalExpression: a kept frame reads the same usage; what not keeping it saves is memory, which the benchmarks measure
      if (this.keepFinalResponse) return { data: undefined, kept: [], onEnd: undefined };
      const scanner = new JsonScanner({ capture: ['response', 'usage'] });
      const onEnd = () => {
        if (!scanner.closed) return;
        this.terminalEvent = type;
        // Stryker disable next-line StringLiteral: JSON.parse('') throws into endPassing's catch once terminalEvent is set, which ends the same way
        this.usage = tokenUsageOf(JSON.parse(scanner.captured ?? 'null')) ?? this.usage;
      };
      return { data: new DataLines([scanner]), kept: undefined, onEnd };
    }
    if (isTextDelta(type)) {
      this.firstDeltaAt ??= this.now();
      // Stryker disable next-line OptionalChaining: without an observer the call throws into the scanner's catch of malformed text, which drops the text the same way
      const scanner = new JsonScanner({ text: ['delta'], onText: (text) => this.observed?.add(text) });
      return { data: new DataLines([scanner]), kept: undefined, onEnd: undefined };
    }
    if (type === 'error') this.upstreamError = true;
    // Stryker disable next-line ObjectLiteral: an empty object reads the same: nothing to scan, keep or end
    return { data: undefined, kept: undefined, onEnd: undefined };
  }

  /** Adds the listener's reading of a large frame to the relay's own. */
  private withListener(own: Passing, type: string | undefined, head: string): Passing {
    const theirs = this.listener?.largeFrame?.(type, head);
    if (!theirs) return own;
    const scanners = [...(own.data?.scanners ?? []), theirs.scanner];
    return {
      data: new DataLines(scanners),
      kept: own.kept,
      onEnd: () => {
        own.onEnd?.();
        if (theirs.scanner.closed) theirs.end();
      },
    };
  }

  private endPassing(passing: Passing): void {
    this.passing = undefined;
    try {
      if (passing.kept) this.inspect(Buffer.concat(passing.kept).toString('utf8'));
      // Stryker disable next-line OptionalChaining: a missing onEnd would throw into the catch below, which ends the same way
      passing.onEnd?.();
    } catch {
      // A malformed large frame was passed on as it came; usage stays as observed.
    }
  }

  /** Reads one whole frame: its type, and what the gateway needs from it. */
  private inspect(text: string): void {
    const { event, data } = frameFieldsOf(text);
    // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: empty or [DONE] data parses to nothing, so returning early only saves the attempt
    if (data === '' || data === '[DONE]') return;
    this.noteSequenceNumber(data);
    const type = event ?? /"type"\s*:\s*"([^"]+)"/.exec(data)?.[1];
    const terminal = isTerminalEvent(type);
    // Stryker disable next-line ConditionalExpression: parsing every frame reads nothing more; the condition saves the parse
    const parsed = this.listener?.event || terminal || isTextDelta(type) ? eventOf(data) : undefined;
    if (isTextDelta(type)) {
      this.firstDeltaAt ??= this.now();
      if (typeof parsed?.delta === 'string') this.observed?.add(parsed.delta);
    } else if (type === 'error') {
      this.upstreamError = true;
    } else if (terminal && parsed) {
      const response = parsed.response as Record<string, unknown> | undefined;
      this.terminalEvent = type;
      if (this.keepFinalResponse) this.finalResponse = response;
      this.usage = tokenUsageOf(response?.usage) ?? this.usage;
    }
    if (parsed) this.listener?.event?.(parsed);
  }

  private noteSequenceNumber(text: string): void {
    const found = sequenceNumberIn(text);
    if (found !== undefined) this.lastSequenceNumber = Math.max(this.lastSequenceNumber, found);
  }
}
