import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonScanner } from '#shared/gateway/json-scanner.ts';
import { ModelRewriter } from '#shared/gateway/model-rewrite.ts';

function feed(scanner: JsonScanner, bytes: Buffer, size: number): void {
  for (let from = 0; from < bytes.length; from += size) scanner.push(bytes.subarray(from, from + size));
}

describe('JsonScanner', () => {
  const usage = { input_tokens: 3, output_tokens_details: { reasoning_tokens: 1 }, note: 'a}"b' };
  const body = {
    type: 'response.completed',
    response: { model: 'm', output: [{ usage: 'not this one', text: '{"usage":1}' }], usage },
    usage: 'nor this one',
  };

  it('captures the value at its key path, whatever byte a chunk ends at', () => {
    const bytes = Buffer.from(JSON.stringify(body));
    for (let size = 1; size <= bytes.length; size++) {
      const scanner = new JsonScanner({ capture: ['response', 'usage'] });
      feed(scanner, bytes, size);
      assert.deepEqual(JSON.parse(scanner.captured ?? 'null'), usage, `chunks of ${size}`);
      assert.equal(scanner.closed, true);
    }
  });

  it('says the JSON was not whole when it stops early', () => {
    const scanner = new JsonScanner({ capture: ['usage'] });
    scanner.push(Buffer.from('{"usage":{"input_tokens":1'));
    assert.equal(scanner.captured, undefined);
    assert.equal(scanner.closed, false);
  });

  it('hands on the decoded contents of a long string with escapes and multi-byte characters in pieces', () => {
    // Escapes of every kind, long enough to be decoded in several pieces.
    const text = 'a\\b "c" é\n\t😀 \u0001 \\\\u00e9 '.repeat(9_000);
    const bytes = Buffer.from(JSON.stringify({ type: 'x', delta: text, other: 'no' }));
    for (const size of [1, 5, 6, 7, 4096, 65_535, 65_536, 65_537, bytes.length]) {
      const pieces: string[] = [];
      const scanner = new JsonScanner({ text: ['delta'], onText: (piece) => pieces.push(piece) });
      feed(scanner, bytes, size);
      assert.equal(pieces.join(''), text, `chunks of ${size}`);
      assert.ok(pieces.length > 1 || size === 1 || size === bytes.length || text.length < 65_536);
    }
  });
});

describe('ModelRewriter', () => {
  const text =
    '{"model":"gpt-x","a":{"model" : "gpt-x"},"model":"gpt-xy","m":"\\"model\\":\\"gpt-x\\"","model":"gpt-x"}';
  const expected =
    '{"model":"mine","a":{"model":"mine"},"model":"gpt-xy","m":"\\"model\\":\\"gpt-x\\"","model":"mine"}';

  it('rewrites across every chunk boundary', () => {
    const bytes = Buffer.from(text);
    for (let first = 0; first <= bytes.length; first++) {
      for (const second of [first, Math.min(bytes.length, first + 3)]) {
        const rewriter = new ModelRewriter({ from: 'gpt-x', to: 'mine' });
        const out = Buffer.concat([
          rewriter.push(bytes.subarray(0, first)),
          rewriter.push(bytes.subarray(first, second)),
          rewriter.push(bytes.subarray(second)),
          rewriter.flush(),
        ]);
        assert.equal(out.toString(), expected, `cut at ${first} and ${second}`);
      }
    }
  });
});
