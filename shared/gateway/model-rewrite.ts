/**
 * The model-name rewrite of a mapped model, over a byte stream: every `"model":"<upstream name>"`
 * becomes `"model":"<name the client asked for>"`, wherever the chunks of the upstream body happen
 * to be cut. Linear in the bytes: each byte is searched once, and only the few bytes that could
 * still start a match are carried to the next chunk.
 *
 * A literal `"model"` followed by `:` can only be a JSON key: inside a JSON string its quotes are
 * escaped (`\"model\"`), so text that merely mentions the model is never changed.
 *
 * @example
 * ```ts
 * const rewriter = new ModelRewriter({ from: 'gpt-5.1-codex', to: 'gpt-5' });
 * const out = Buffer.concat([rewriter.push(a), rewriter.push(b), rewriter.flush()]);
 * ```
 */

export interface ModelRewrite {
  /** The upstream model name. */
  from: string;
  /** The name the client asked for. */
  to: string;
}

const KEY = Buffer.from('"model"');
const COLON = 0x3a;
/** Whitespace allowed around the colon; OpenAI's JSON is compact, a little slack is kept. */
const MAX_SPACES = 16;

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

type Match = { end: number } | 'none' | 'partial';

export class ModelRewriter {
  private readonly from: Buffer;
  private readonly replacement: Buffer;
  private carry: Buffer = Buffer.alloc(0);

  constructor(rewrite: ModelRewrite) {
    this.from = Buffer.from(JSON.stringify(rewrite.from));
    this.replacement = Buffer.from(`"model":${JSON.stringify(rewrite.to)}`);
  }

  /** Rewrites what can be decided now; bytes that may start a match wait for the next chunk. */
  push(chunk: Buffer): Buffer {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: concatenating an empty carry gives the same bytes; the test saves a copy
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const out: Buffer[] = [];
    let copied = 0;
    let searchFrom = 0;
    let holdFrom = data.length;
    for (;;) {
      const at = data.indexOf(KEY, searchFrom);
      if (at === -1) {
        holdFrom = Math.max(copied, this.keyPrefixStart(data));
        break;
      }
      const match = this.matchAfterKey(data, at + KEY.length);
      if (match === 'partial') {
        holdFrom = at;
        break;
      }
      if (match === 'none') {
        searchFrom = at + 1;
        continue;
      }
      out.push(data.subarray(copied, at), this.replacement);
      copied = match.end;
      searchFrom = match.end;
    }
    out.push(data.subarray(copied, holdFrom));
    // A copy: the carry must not pin the (possibly large) chunk it was cut from.
    this.carry = Buffer.from(data.subarray(holdFrom));
    // Stryker disable next-line ConditionalExpression: concatenating one buffer gives the same bytes; the test saves a copy
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** What was held back when the body ended. */
  flush(): Buffer {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return rest;
  }

  /** Where a tail of `data` that is a proper prefix of `"model"` starts (data.length if none). */
  private keyPrefixStart(data: Buffer): number {
    // A tail as long as the key or longer is never a proper prefix (indexOf found no whole key),
    // and an empty tail answers data.length too: wider bounds only cost comparisons.
    // Stryker disable next-line ArithmeticOperator,EqualityOperator,MethodExpression: as above
    for (let start = Math.max(0, data.length - KEY.length + 1); start < data.length; start++) {
      if (KEY.subarray(0, data.length - start).equals(data.subarray(start))) return start;
    }
    return data.length;
  }

  private matchAfterKey(data: Buffer, from: number): Match {
    let at = from;
    const skipSpaces = (): boolean => {
      const limit = Math.min(at + MAX_SPACES, data.length);
      while (at < limit && isSpace(data[at])) at++;
      return at < data.length;
    };
    if (!skipSpaces()) return 'partial';
    if (data[at] !== COLON) return 'none';
    at++;
    if (!skipSpaces()) return 'partial';
    const available = Math.min(this.from.length, data.length - at);
    if (!this.from.subarray(0, available).equals(data.subarray(at, at + available))) return 'none';
    return available < this.from.length ? 'partial' : { end: at + this.from.length };
  }
}

/** The rewrite of one whole text (a JSON body, a test's frame). */
export function rewriteModel(text: string, rewrite: ModelRewrite | undefined): string {
  if (!rewrite) return text;
  // Stryker disable next-line ConditionalExpression: a rewrite to the same name changes no byte; the test saves the work
  if (rewrite.from === rewrite.to) return text;
  const rewriter = new ModelRewriter(rewrite);
  return Buffer.concat([rewriter.push(Buffer.from(text)), rewriter.flush()]).toString('utf8');
}
