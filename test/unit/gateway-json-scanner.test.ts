import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANY_ELEMENT, JsonScanner, MAX_CAPTURE_BYTES } from '#shared/gateway/json-scanner.ts';
import { ModelRewriter, rewriteModel } from '#shared/gateway/model-rewrite.ts';

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

describe('JsonScanner: paths, several captures, limits', () => {
  /** Feeds `value` as JSON in chunks of every size up to 8, and whole. */
  function scanned(value: unknown, target: ConstructorParameters<typeof JsonScanner>[0]): JsonScanner[] {
    const bytes = Buffer.from(JSON.stringify(value));
    return [1, 2, 3, 5, 8, bytes.length].map((size) => {
      const scanner = new JsonScanner(target);
      feed(scanner, bytes, size);
      return scanner;
    });
  }

  it('captures several paths at once, each by its index, and leaves the ones absent undefined', () => {
    const body = {
      response: { id: 'r1', usage: { total_tokens: 7 }, status: 'completed' },
      item: [1, { x: '}' }],
    };
    for (const scanner of scanned(body, {
      captures: [['response', 'usage'], ['item'], ['response', 'missing'], ['response', 'status']],
    })) {
      assert.deepEqual(
        [...scanner.capturedAll],
        [JSON.stringify(body.response.usage), JSON.stringify(body.item), undefined, '"completed"'],
      );
      assert.equal(scanner.captured, undefined);
    }
  });

  it('captures a string value with its quotes, and no number, boolean or null', () => {
    const body = { a: 'x"y', n: 12, t: true, z: null };
    for (const scanner of scanned(body, { captures: [['a'], ['n'], ['t'], ['z']] })) {
      assert.deepEqual([...scanner.capturedAll], [JSON.stringify('x"y')]);
    }
  });

  it('matches an array element step of a path in any element, and only inside an array', () => {
    const body = {
      choices: [{ delta: { content: 'one ' } }, { delta: { content: 'two' } }],
      other: { delta: { content: 'not in an array' } },
      nested: { choices: { delta: { content: 'not an array either' } } },
    };
    const inObject: string[] = [];
    const objectNotArray = new JsonScanner({
      text: ['choices', ANY_ELEMENT, 'delta', 'content'],
      onText: (piece) => inObject.push(piece),
    });
    objectNotArray.push(Buffer.from('{"choices":{"x":{"delta":{"content":"no"}}}}'));
    assert.deepEqual(inObject, [], 'an object is no array');
    for (const scanner of scanned(body, {
      text: ['choices', ANY_ELEMENT, 'delta', 'content'],
      onText: () => {},
    })) {
      assert.equal(scanner.closed, true);
    }
    const pieces: string[] = [];
    const scanner = new JsonScanner({
      text: ['choices', ANY_ELEMENT, 'delta', 'content'],
      onText: (piece) => pieces.push(piece),
    });
    scanner.push(Buffer.from(JSON.stringify(body)));
    assert.deepEqual(pieces, ['one ', 'two']);
  });

  it('follows keys only at the right depth: the same key deeper or shallower is not the path', () => {
    const body = {
      usage: 1,
      a: { usage: { deep: true } },
      b: [{ usage: 2 }],
      response: { usage: { ok: 1 } },
    };
    for (const scanner of scanned(body, { capture: ['response', 'usage'] })) {
      assert.equal(scanner.captured, '{"ok":1}');
    }
  });

  it('reads a key after a comma in an object, but a string after a comma in an array is a value', () => {
    const body = { list: ['usage', { usage: 'inner' }], usage: { n: 1 } };
    for (const scanner of scanned(body, { capture: ['usage'] })) {
      assert.equal(scanner.captured, '{"n":1}');
    }
  });

  it('drops a captured value larger than the capture limit, and still captures the next one', () => {
    const big = 'x'.repeat(MAX_CAPTURE_BYTES);
    const body = { usage: { big }, later: { usage: 1 }, small: { a: 1 } };
    for (const scanner of scanned(body, { captures: [['usage'], ['small']] })) {
      assert.deepEqual([...scanner.capturedAll], [undefined, '{"a":1}']);
    }
    const exact = { usage: 'y'.repeat(MAX_CAPTURE_BYTES - 2) };
    const [whole] = scanned(exact, { capture: ['usage'] }).slice(-1);
    assert.equal(whole?.captured?.length, MAX_CAPTURE_BYTES);
  });

  it('says a top-level array closed, and not before its last bracket', () => {
    const scanner = new JsonScanner({});
    scanner.push(Buffer.from('[{"a":[1,2]},'));
    assert.equal(scanner.closed, false);
    scanner.push(Buffer.from('"]"]'));
    assert.equal(scanner.closed, true);
  });

  it('compares only the first 256 bytes of a long key', () => {
    const long = 'k'.repeat(300);
    const scanner = new JsonScanner({ capture: [long] });
    scanner.push(Buffer.from(JSON.stringify({ [long]: { v: 1 } })));
    assert.equal(scanner.captured, undefined);
    const truncated = new JsonScanner({ capture: ['k'.repeat(256)] });
    truncated.push(Buffer.from(JSON.stringify({ [long]: { v: 1 } })));
    assert.equal(truncated.captured, '{"v":1}');
  });

  it('counts no text from string contents that are not valid JSON, and goes on with the next', () => {
    const pieces: string[] = [];
    const scanner = new JsonScanner({ text: ['delta'], onText: (piece) => pieces.push(piece) });
    // `\x` is no JSON escape.
    scanner.push(Buffer.from(String.raw`{"delta":"bad\x"}`));
    scanner.push(Buffer.from('{"delta":"good"}'));
    assert.deepEqual(pieces, ['good']);
  });

  it('hands on nothing for an empty string', () => {
    const pieces: string[] = [];
    const scanner = new JsonScanner({ text: ['delta'], onText: (piece) => pieces.push(piece) });
    scanner.push(Buffer.from('{"delta":"","x":"y"}'));
    assert.deepEqual(pieces, []);
    assert.equal(scanner.closed, true);
  });
});

describe('JsonScanner: the pieces a long string is handed on in', () => {
  const PIECE = 64 * 1024;
  /** The pieces of `{"delta":"<raw>"}` fed as the given chunks of the raw string contents. */
  function piecesOf(rawChunks: string[]): string[] {
    const pieces: string[] = [];
    const scanner = new JsonScanner({ text: ['delta'], onText: (piece) => pieces.push(piece) });
    scanner.push(Buffer.from('{"delta":"'));
    for (const raw of rawChunks) scanner.push(Buffer.from(raw));
    scanner.push(Buffer.from('"}'));
    return pieces;
  }

  it('hands a string of less than 64 KiB on in one piece, however finely it is cut', () => {
    const raw = 'abc\\n'.repeat(1_000);
    const chunks = raw.match(/[\s\S]{1,7}/g) ?? [];
    assert.deepEqual(piecesOf(chunks), [JSON.parse(`"${raw}"`)]);
  });

  it('hands on a piece as soon as 64 KiB of it arrived, not before', () => {
    const a = 'a'.repeat(PIECE);
    assert.deepEqual(piecesOf([a, 'b']), [a, 'b']);
    assert.deepEqual(piecesOf([a.slice(1), 'b']), [`${a.slice(1)}b`]);
  });

  it('keeps an escape cut by a piece for the next piece, however long it is', () => {
    for (const sequence of ['\\n', '\\u00e9', '\\\\', '\\\\\\"']) {
      const head = 'a'.repeat(PIECE - sequence.length);
      assert.deepEqual(piecesOf([head + sequence, 'z']), [head, `${JSON.parse(`"${sequence}"`)}z`], sequence);
    }
    // An escape well before the end of a piece does not hold anything back.
    const early = `x\\ny${'a'.repeat(PIECE - 4)}`;
    assert.deepEqual(piecesOf([early, 'z']), [JSON.parse(`"${early}"`), 'z']);
  });

  it('hands on only the string at the path when the chunk before it ends elsewhere', () => {
    const pieces: string[] = [];
    const scanner = new JsonScanner({ text: ['delta'], onText: (piece) => pieces.push(piece) });
    scanner.push(Buffer.from('{"a":1,'));
    scanner.push(Buffer.from('"delta":"hi"}'));
    assert.deepEqual(pieces, ['hi']);
  });

  it('hands on a string that ends in an escape whole', () => {
    assert.deepEqual(piecesOf(['end\\n']), ['end\n']);
  });
});

describe('JsonScanner: the shape of the JSON around a path', () => {
  it('reads the first key of every object', () => {
    const scanner = new JsonScanner({ capture: ['a', 'b'] });
    scanner.push(Buffer.from('{"a":{"b":{"c":1}}}'));
    assert.equal(scanner.captured, '{"c":1}');
  });

  it('gives the elements of an array no key, and matches no key step inside an array', () => {
    for (const path of [
      ['list', 'list', 'x'],
      ['a', 'a'],
    ]) {
      const scanner = new JsonScanner({ capture: path });
      scanner.push(Buffer.from('{"list":[{"x":"v"}],"a":["x"]}'));
      assert.equal(scanner.captured, undefined, path.join('.'));
    }
    const nested = new JsonScanner({ capture: ['a', 'a'] });
    nested.push(Buffer.from('{"a":{"a":"y"}}'));
    assert.equal(nested.captured, '"y"');
  });

  it('captures a string at the capture path, and no other string', () => {
    const scanner = new JsonScanner({ capture: ['status'] });
    scanner.push(Buffer.from('{"type":"t","list":["s"],"status":"done","x":"y"}'));
    assert.equal(scanner.captured, '"done"');
  });

  it('takes an empty key as a key like any other', () => {
    const scanner = new JsonScanner({ capture: ['', 'x'] });
    scanner.push(Buffer.from('{"":{"x":{"y":1}}}'));
    assert.equal(scanner.captured, '{"y":1}');
  });

  it('passes over malformed JSON without throwing', () => {
    const scanner = new JsonScanner({ capture: ['usage'], text: ['delta'] });
    for (const bytes of [',', '}', ']', '1,2', '"a",', '{"usage":,}']) scanner.push(Buffer.from(bytes));
    assert.equal(scanner.captured, undefined);
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

  it('allows JSON whitespace of every kind around the colon, up to 16 characters a side', () => {
    const rewrite = { from: 'gpt-x', to: 'mine' };
    for (const space of [' ', '\t', '\n', '\r', '\r\n \t']) {
      assert.equal(
        rewriteModel(`{"model"${space}:${space}"gpt-x"}`, rewrite),
        '{"model":"mine"}',
        JSON.stringify(space),
      );
    }
    const sixteen = ' '.repeat(16);
    assert.equal(rewriteModel(`{"model"${sixteen}:${sixteen}"gpt-x"}`, rewrite), '{"model":"mine"}');
    for (const text of [`{"model"${sixteen} :"gpt-x"}`, `{"model":${sixteen} "gpt-x"}`]) {
      assert.equal(rewriteModel(text, rewrite), text);
    }
  });

  it('rewrites only a key: the word followed by anything but a colon is left alone', () => {
    const rewrite = { from: 'gpt-x', to: 'mine' };
    for (const text of ['["model","gpt-x"]', '{"a":"model"}', '{"model"x"gpt-x"}', '{"model":"gpt-x2"}']) {
      assert.equal(rewriteModel(text, rewrite), text);
    }
  });

  it('holds back only bytes that could still start the key, and hands the rest on at once', () => {
    const rewriter = new ModelRewriter({ from: 'gpt-x', to: 'mine' });
    assert.equal(rewriter.push(Buffer.from('{"id":"a","mod')).toString(), '{"id":"a",');
    assert.equal(rewriter.push(Buffer.from('el":"gpt-x","x":1')).toString(), '"model":"mine","x":1');
    assert.equal(rewriter.push(Buffer.from(',"m')).toString(), ',');
    assert.equal(rewriter.push(Buffer.from('x"}')).toString(), '"mx"}');
    assert.equal(rewriter.flush().length, 0);
    const waiting = new ModelRewriter({ from: 'gpt-x', to: 'mine' });
    assert.equal(waiting.push(Buffer.from('{"model": "gpt')).toString(), '{');
    assert.equal(waiting.flush().toString(), '"model": "gpt');
  });

  it('leaves a text alone without a rewrite', () => {
    assert.equal(rewriteModel('{"model":"gpt-x"}', undefined), '{"model":"gpt-x"}');
  });
});
