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
  /** The string being read is a key (kept to know the path). */
  private stringIsKey = false;
  private keyBytes: number[] = [];
  private lastKey: string | undefined;
  /** Depth at which the capture started, and its bytes so far. */
  private captureDepth = -1;
  /** Which path is being captured: 0 is `capture`, 1… are `captures`. */
  private captureIndex = -1;
  private readonly capturePaths: (readonly string[] | undefined)[];
  private capture: Buffer[] = [];
  private captureBytes = 0;
  private textActive = false;
  private textRaw: Buffer[] = [];
  private textRawBytes = 0;
  /** Decoded string contents held back because an escape may continue in the next chunk. */
  private textCarry = '';
  private readonly textDecoder = new StringDecoder('utf8');

  constructor(private readonly target: JsonScannerTarget) {
    this.capturePaths = [target.capture, ...(target.captures ?? [])];
  }

  push(chunk: Buffer): void {
    let captureFrom = this.captureDepth >= 0 ? 0 : -1;
    let textFrom = this.textActive ? 0 : -1;
    for (let at = 0; at < chunk.length; at++) {
      const byte = chunk[at] as number;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.inString = false;
          if (this.textActive) {
            this.addText(chunk.subarray(textFrom, at));
            this.endText();
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
        } else if (this.captureDepth < 0 && this.capturePath() >= 0) {
          captureFrom = this.startCapture(at);
        }
      } else if (byte === 0x7b || byte === 0x5b) {
        if (this.captureDepth < 0 && this.capturePath() >= 0) captureFrom = this.startCapture(at);
        this.stack.push({
          kind: byte,
          key: this.stack.at(-1)?.kind === 0x7b ? this.lastKey : undefined,
          awaitingKey: byte === 0x7b,
        });
      } else if (byte === 0x7d || byte === 0x5d) {
        this.stack.pop();
        if (this.stack.length === 0) this.closed = true;
        this.valueEnded(at, chunk, captureFrom);
        if (this.captureDepth < 0) captureFrom = -1;
      } else if (byte === 0x2c) {
        const top = this.stack.at(-1);
        if (top?.kind === 0x7b) top.awaitingKey = true;
      }
    }
    if (this.captureDepth >= 0 && captureFrom >= 0) this.addCapture(chunk.subarray(captureFrom));
    if (this.textActive && textFrom >= 0) this.addText(chunk.subarray(textFrom));
  }

  /** True when the next value sits at `path` (the keys of the open containers plus the last key). */
  private pathIs(path: readonly string[] | undefined): boolean {
    if (!path || this.stack.length !== path.length) return false;
    const top = this.stack.at(-1);
    if (top?.kind !== 0x7b) return false;
    for (let depth = 1; depth < this.stack.length; depth++) {
      const step = path[depth - 1];
      if (step === ANY_ELEMENT ? this.stack[depth - 1]?.kind !== 0x5b : this.stack[depth]?.key !== step)
        return false;
    }
    return this.lastKey === path.at(-1);
  }

  /** The index of the capture path the next value sits at, or -1. */
  private capturePath(): number {
    return this.capturePaths.findIndex((path) => this.pathIs(path));
  }

  private endKey(): void {
    this.lastKey = Buffer.from(this.keyBytes).toString('utf8');
    const top = this.stack.at(-1);
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
    if (this.captureBytes <= MAX_CAPTURE_BYTES) this.capture.push(Buffer.from(bytes));
  }

  /** A scalar string, or a container, closed at `at`: ends the capture if it was the captured value. */
  private valueEnded(at: number, chunk: Buffer, captureFrom: number): void {
    if (this.captureDepth !== this.stack.length || captureFrom < 0) return;
    this.addCapture(chunk.subarray(captureFrom, at + 1));
    this.captureDepth = -1;
    if (this.captureBytes <= MAX_CAPTURE_BYTES) {
      const text = Buffer.concat(this.capture).toString('utf8');
      if (this.captureIndex === 0) this.captured = text;
      else this.capturedAll[this.captureIndex - 1] = text;
    }
    this.capture = [];
  }

  private addText(raw: Buffer): void {
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
      const slash = raw.lastIndexOf('\\', raw.length - 1);
      if (slash >= raw.length - 6 && slash !== -1) {
        let runStart = slash;
        while (runStart > 0 && raw[runStart - 1] === '\\') runStart--;
        cut = runStart;
      }
    }
    const decodable = raw.slice(0, cut);
    this.textCarry = raw.slice(cut);
    if (decodable === '') return;
    try {
      this.target.onText?.(JSON.parse(`"${decodable}"`) as string);
    } catch {
      // Not valid JSON string contents: the frame is malformed, its text is not counted.
    }
  }
}
