import type { JsonScanner } from './json-scanner.ts';

const NEWLINE = 0x0a;

/**
 * The `data:` lines of one SSE frame too large to hold (sse-relay.ts), fed in byte pieces as the
 * frame passes, handed to each scanner as one JSON text (several data lines are joined with a
 * newline, as an SSE client joins them).
 */
export class DataLines {
  private lineStart = true;
  private prefix: number[] = [];
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
        // Up to `data: `, byte by byte: the field name decides what the line is.
        const byte = bytes[at++] as number;
        if (byte === NEWLINE) {
          this.prefix = [];
          continue;
        }
        this.prefix.push(byte);
        const prefix = Buffer.from(this.prefix).toString('latin1');
        if (prefix === 'data:' || prefix.length >= 5) {
          this.lineStart = false;
          this.inData = prefix === 'data:';
          if (this.inData && this.dataLines++ > 0) this.feed(Buffer.from('\n'));
          if (this.inData && bytes[at] === 0x20) at++;
          this.prefix = [];
        }
        continue;
      }
      const end = bytes.indexOf(NEWLINE, at);
      const stop = end === -1 ? bytes.length : end;
      if (this.inData) this.feed(bytes.subarray(at, stop));
      if (end === -1) return;
      this.lineStart = true;
      at = end + 1;
    }
  }
}
