/**
 * An incremental scanner of one JSON value fed in chunks of bytes, for the few parts of a large
 * body or SSE frame the gateway must read without holding the rest: it follows the nesting, and
 * for one key path it either captures the value whole (a `usage` object: small) or hands the
 * contents of a string value on in pieces as they pass (a delta's text: any size). Everything else
 * is skipped byte by byte, each byte once.
 *
 * @example
 * ```ts
 * const scanner = new JsonScanner({ capture: ['response', 'usage'] });
 * for (const chunk of chunks) scanner.push(chunk);
 * scanner.captured; // '{"input_tokens":12,…}' or undefined
 * ```
 */
import { StringDecoder } from 'node:string_decoder';

/** A step of a key path that matches any element of an array: `['choices', ANY_ELEMENT, 'delta']`. */
export const ANY_ELEMENT = '[]';

export interface JsonScannerTarget {
  /** Key path whose value is kept whole (up to {@link MAX_CAPTURE_BYTES}). */
  capture?: readonly string[];
  /** More key paths kept whole the same way (none nested in another); see `capturedAll`. */
  captures?: readonly (readonly string[])[];
  /** Key path of a string whose decoded contents go to `onText` in pieces. */
  text?: readonly string[];
  onText?: (piece: string) => void;
}

/** A captured value larger than this is dropped: no `usage` object comes near it. */
export const MAX_CAPTURE_BYTES = 64 * 1024;
/** Raw bytes of a streamed string decoded at a time. */
const TEXT_PIECE_BYTES = 64 * 1024;
const MAX_KEY_BYTES = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

interface Level {
  /** `{` or `[`. */
  kind: number;
  /** The key of this container in its parent (undefined in arrays and at the root). */
  key: string | undefined;
  awaitingKey: boolean;
}

export class JsonScanner {
  /** The captured value's JSON text, once it closed. */
  captured: string | undefined;
  /** The values of `captures`, by index, once each closed (scalars other than strings are not captured). */
  readonly capturedAll: (string | undefined)[] = [];
  /** True once the outermost object or array closed: the JSON text was whole. */
  closed = false;
  private readonly stack: Level[] = [];
  private inString = false;
  private escaped = false;
  // The initial values of stringIsKey, keyBytes, captureIndex and capture are never read: each
  // is set where a string, a key or a capture starts.
  /** The string being read is a key (kept to know the path). */
  // Stryker disable next-line BooleanLiteral: see above
  private stringIsKey = false;
  // Stryker disable next-line ArrayDeclaration: see above
  private keyBytes: number[] = [];
  private lastKey: string | undefined;
  /** Depth at which the capture started, and its bytes so far. */
  private captureDepth = -1;
  /** Which path is being captured: 0 is `capture`, 1… are `captures`. */
  // Stryker disable next-line UnaryOperator: see above
  private captureIndex = -1;
  private readonly capturePaths: (readonly string[] | undefined)[];
  // Stryker disable next-line ArrayDeclaration: see above
  private capture: Buffer[] = [];
  private captureBytes = 0;
  // Stryker disable next-line BooleanLiteral: a JSON text starts with `{` or `[`, so a first string's bytes taken for text would hold a quote and never parse
  private textActive = false;
  private textRaw: Buffer[] = [];
  private textRawBytes = 0;
  /** Decoded string contents held back because an escape may continue in the next chunk. */
  private textCarry = '';
  // Stryker disable next-line StringLiteral: utf8 is StringDecoder's default
  private readonly textDecoder = new StringDecoder('utf8');

  constructor(private readonly target: JsonScannerTarget) {
    // Stryker disable next-line ArrayDeclaration: a path of one 16-letter step matches no value at depth 16 with that key, which no frame has
    this.capturePaths = [target.capture, ...(target.captures ?? [])];
  }

  push(chunk: Buffer): void {
    // captureFrom and textFrom are read only while capturing or reading text, and each start
    // sets them; a capture depth is never 0.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,UnaryOperator: see above
    let captureFrom = this.captureDepth >= 0 ? 0 : -1;
    // Stryker disable next-line UnaryOperator: see above
    let textFrom = this.textActive ? 0 : -1;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.inString = false;
          // Outside a text, textFrom is -1 and the bytes from it to a later quote are none.
          // Stryker disable next-line ConditionalExpression: see above
          if (this.textActive) {
            this.addText(chunk.subarray(textFrom, at));
            this.endText();
            // Stryker disable next-line UnaryOperator: see above the loop
            textFrom = -1;
          }
          if (this.stringIsKey) this.endKey();
          else this.valueEnded(at, chunk, captureFrom);
        } else if (this.stringIsKey && this.keyBytes.length < MAX_KEY_BYTES) this.keyBytes.push(byte);
        continue;
      }
      if (byte === QUOTE) {
        const top = this.stack.at(-1);
        this.inString = true;
        this.stringIsKey = top?.kind === 0x7b && top.awaitingKey;
        if (this.stringIsKey) this.keyBytes = [];
        else if (this.pathIs(this.target.text)) {
          this.textActive = true;
          textFrom = at + 1;
        } else if (this.startsCapture()) {
          captureFrom = this.startCapture(at);
        }
      } else if (byte === 0x7b || byte === 0x5b) {
        if (this.startsCapture()) captureFrom = this.startCapture(at);
        this.stack.push({
          kind: byte,
          key: this.stack.at(-1)?.kind === 0x7b ? this.lastKey : undefined,
          // Stryker disable next-line ConditionalExpression: an array's awaitingKey is never read
          awaitingKey: byte === 0x7b,
        });
      } else if (byte === 0x7d || byte === 0x5d) {
        this.stack.pop();
        if (this.stack.length === 0) this.closed = true;
        this.valueEnded(at, chunk, captureFrom);
        // captureFrom is read only while capturing, and every capture start sets it.
        // Stryker disable next-line ConditionalExpression,EqualityOperator,UnaryOperator: see above
        if (this.captureDepth < 0) captureFrom = -1;
      } else if (byte === 0x2c) {
        const top = this.stack.at(-1);
        // An array's awaitingKey is never read (only an object's next string can be a key).
        // Stryker disable next-line ConditionalExpression: see above
        if (top?.kind === 0x7b) top.awaitingKey = true;
      }
    }
    // Each from is set (≥ 0) while its capture or text lasts and -1 outside it (see above).
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: see above
    if (this.captureDepth >= 0 && captureFrom >= 0) this.addCapture(chunk.subarray(captureFrom));
    // Stryker disable next-line ConditionalExpression,LogicalOperator: see above
    if (this.textActive && textFrom >= 0) this.addText(chunk.subarray(textFrom));
  }

  /** True when the next value sits at `path` (the keys of the open containers plus the last key). */
  private pathIs(path: readonly string[] | undefined): boolean {
    if (!path || this.stack.length !== path.length) return false;
    const top = this.stack.at(-1);
    // Stryker disable next-line OptionalChaining: the stack is as deep as a path, and no path is empty
    if (top?.kind !== 0x7b) return false;
    for (let depth = 1; depth < this.stack.length; depth++) {
      const step = path[depth - 1];
      // Stryker disable next-line OptionalChaining: depth runs within the stack
      if (step === ANY_ELEMENT ? this.stack[depth - 1]?.kind !== 0x5b : this.stack[depth]?.key !== step)
        return false;
    }
    return this.lastKey === path.at(-1);
  }

  /** Whether the next value is one to capture. */
  private startsCapture(): boolean {
    // A capture never starts inside another (no path lies in another) and a depth is never 0 at
    // a path; one started off every path (index -1) stores nothing anyone reads.
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: see above
    return this.captureDepth < 0 && this.capturePath() >= 0;
  }

  /** The index of the capture path the next value sits at, or -1. */
  private capturePath(): number {
    return this.capturePaths.findIndex((path) => this.pathIs(path));
  }

  private endKey(): void {
    this.lastKey = Buffer.from(this.keyBytes).toString('utf8');
    const top = this.stack.at(-1);
    // A key is read only inside an object, so there is a top.
    // Stryker disable next-line ConditionalExpression: see above
    if (top) top.awaitingKey = false;
  }

  private startCapture(at: number): number {
    this.captureIndex = this.capturePath();
    this.captureDepth = this.stack.length;
    this.capture = [];
    this.captureBytes = 0;
    return at;
  }

  private addCapture(bytes: Buffer): void {
    this.captureBytes += bytes.length;
    // Stryker disable next-line ConditionalExpression: keeping bytes past the limit only costs memory; valueEnded drops such a capture
    if (this.captureBytes <= MAX_CAPTURE_BYTES) this.capture.push(Buffer.from(bytes));
  }

  /** A scalar string, or a container, closed at `at`: ends the capture if it was the captured value. */
  private valueEnded(at: number, chunk: Buffer, captureFrom: number): void {
    // While capturing, captureFrom is never negative (see push).
    // Stryker disable next-line ConditionalExpression: see above
    if (this.captureDepth !== this.stack.length || captureFrom < 0) return;
    this.addCapture(chunk.subarray(captureFrom, at + 1));
    this.captureDepth = -1;
    if (this.captureBytes <= MAX_CAPTURE_BYTES) {
      const text = Buffer.concat(this.capture).toString('utf8');
      if (this.captureIndex === 0) this.captured = text;
      else this.capturedAll[this.captureIndex - 1] = text;
    }
    // Stryker disable next-line ArrayDeclaration: only frees the bytes early; the next capture start resets it
    this.capture = [];
  }

  private addText(raw: Buffer): void {
    // Stryker disable next-line ConditionalExpression: an empty buffer adds nothing; the test saves the work
    if (raw.length === 0) return;
    this.textRaw.push(Buffer.from(raw));
    this.textRawBytes += raw.length;
    if (this.textRawBytes >= TEXT_PIECE_BYTES) this.decodeText(false);
  }

  private endText(): void {
    this.decodeText(true);
    this.textActive = false;
  }

  /** Decodes the raw string bytes gathered so far, keeping back an escape that is not complete. */
  private decodeText(final: boolean): void {
    const raw =
      this.textCarry +
      this.textDecoder.write(Buffer.concat(this.textRaw)) +
      (final ? this.textDecoder.end() : '');
    this.textRaw = [];
    this.textRawBytes = 0;
    let cut = raw.length;
    if (!final) {
      // An escape (`\n`, `\\`, `\u00e9`) is at most 6 characters: never decode one in halves.
      // A piece is decoded only past 64 KiB, so `slash !== -1` decides nothing the first test
      // has not; raw[-1] is no backslash, so the run's bound only says so first.
      // Stryker disable next-line ArithmeticOperator: lastIndexOf from past the end is the same
      const slash = raw.lastIndexOf('\\', raw.length - 1);
      // Stryker disable next-line ConditionalExpression,UnaryOperator: see above
      if (slash >= raw.length - 6 && slash !== -1) {
        let runStart = slash;
        // Stryker disable next-line ConditionalExpression,EqualityOperator: see above
        while (runStart > 0 && raw[runStart - 1] === '\\') runStart--;
        cut = runStart;
      }
    }
    const decodable = raw.slice(0, cut);
    this.textCarry = raw.slice(cut);
    if (decodable === '') return;
    try {
      // Stryker disable next-line OptionalChaining: a missing onText throws into the catch below
      this.target.onText?.(JSON.parse(`"${decodable}"`) as string);
    } catch {
      // Not valid JSON string contents: the frame is malformed, its text is not counted.
    }
  }
}
