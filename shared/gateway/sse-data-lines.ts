import type { JsonScanner } from './json-scanner.ts';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const DATA_FIELD = Buffer.from('data:');
const LINE_BREAK = Buffer.from('\n');

/**
 * The `data:` lines of one SSE frame too large to hold (sse-relay.ts), fed in byte pieces as the
 * frame passes, handed to each scanner as one JSON text (several data lines are joined with a
 * newline, as an SSE client joins them).
 */
export class DataLines {
  private lineStart = true;
  private prefix: number[] = [];
  /** The line is a data line (from its `data:` until its end). */
  private inData = false;
  private dataLines = 0;

  constructor(readonly scanners: JsonScanner[]) {}

  private feed(bytes: Buffer): void {
    for (const scanner of this.scanners) scanner.push(bytes);
  }

  push(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.lineStart) {
        // The first five bytes of a line, one at a time, decide what it is: `data:` or a line not
        // read; after `data:`, one space is not data, even when it comes in the next piece.
        const byte = bytes[at] as number;
        if (this.inData) {
          this.lineStart = false;
          if (byte === SPACE) at++;
          continue;
        }
        at++;
        if (byte === NEWLINE) {
          this.prefix = [];
          continue;
        }
        this.prefix.push(byte);
        if (this.prefix.length < DATA_FIELD.length) continue;
        // The prefix is emptied when the line's newline comes back to the line start.
        this.inData = DATA_FIELD.equals(Buffer.from(this.prefix));
        // Stryker disable next-line ConditionalExpression,BlockStatement: a line that is not data stays unread either way; ending its line start here saves comparing each further byte
        if (!this.inData) {
          // Stryker disable next-line BooleanLiteral: as above
          this.lineStart = false;
          continue;
        }
        // Stryker disable next-line ConditionalExpression,EqualityOperator: a line break fed before the first data line too is whitespace before the JSON value, which every scanner skips
        if (this.dataLines++ > 0) this.feed(LINE_BREAK);
        continue;
      }
      const end = bytes.indexOf(NEWLINE, at);
      const stop = end === -1 ? bytes.length : end;
      if (this.inData) this.feed(bytes.subarray(at, stop));
      if (end === -1) return;
      // The line's newline is read again at the line start, where it ends nothing more.
      this.lineStart = true;
      this.inData = false;
      at = end;
    }
  }
}
