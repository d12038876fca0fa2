import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { countTokens as referenceCount } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens, lastSafeCut, MAX_PIECE_CHARS, tokenCounter } from '#shared/gateway/token-count.ts';

/**
 * Counts of fixed texts, computed outside this code by two other implementations of `o200k_base`
 * that agreed on every row: `tiktoken` 1.0.22 (OpenAI's Rust core, `encode_ordinary`) and
 * `gpt-tokenizer` 4.0.0. A row is either a text or a character repeated.
 */
type Row = { text: string; tokens: number } | { repeat: string; times: number; tokens: number };
const TABLE = JSON.parse(
  readFileSync(new URL('../support/o200k-counts.json', import.meta.url), 'utf8'),
) as Row[];
const textOf = (row: Row) => ('text' in row ? row.text : row.repeat.repeat(row.times));

/** The reference counts a special token's spelling as text when told none is special. */
const ORDINARY = { disallowedSpecial: new Set<string>() };
const reference = (text: string) => referenceCount(text, ORDINARY);

/** A seeded mix of letters, digits, spaces, line breaks, punctuation, apostrophes, CJK, marks, emoji. */
function randomTexts(count: number, maxLength: number, seed: number): string[] {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const pools = [
    'abcdefghijklmnopqrstuvwxyz',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    '0123456789',
    '     \t\n\r',
    '.,;:!?\'"()[]{}<>/\\-_=+*&^%$#@~`|',
    '你好世界的是了我，。',
    'éüñßçø',
    '\u0301\u0308',
    '😀👍🏽🇫🇷',
    'ابتثجحخد',
    'नमस्ते',
  ].map((pool) => [...pool]);
  return Array.from({ length: count }, () => {
    let text = '';
    const length = 1 + Math.floor(random() * maxLength);
    for (let i = 0; i < length; i++) {
      const pool = pools[Math.floor(random() * pools.length)] as string[];
      text += pool[Math.floor(random() * pool.length)];
    }
    return text;
  });
}

describe('countTokens (o200k_base)', () => {
  it('counts each text of the table as OpenAI’s tokenizer does', async () => {
    for (const row of TABLE) {
      const text = textOf(row);
      assert.equal(await countTokens(text), row.tokens, JSON.stringify(text.slice(0, 60)));
    }
  });

  it('counts several texts as the sum of each, and nothing as zero', async () => {
    const [a, b] = TABLE as [Row, Row];
    assert.equal(await countTokens(textOf(a), '', textOf(b)), a.tokens + b.tokens);
    assert.equal(await countTokens(), 0);
    assert.equal(await countTokens('', ''), 0);
  });

  it('counts a special token’s spelling as ordinary text instead of refusing it', async () => {
    assert.throws(() => referenceCount('<|endoftext|>'), /special token/);
    assert.equal(await countTokens('<|endoftext|>'), 7);
  });

  it('agrees with another implementation on thousands of mixed texts', async () => {
    const count = await tokenCounter();
    const texts = randomTexts(2000, 300, 7);
    const differing = texts.filter((text) => count(text) !== reference(text));
    assert.deepEqual(differing, []);
  });

  it('counts a match longer than MAX_PIECE_CHARS in pieces of that many characters', async () => {
    // One split-pattern match (letters only) of two pieces.
    const half = await countTokens('ab'.repeat(MAX_PIECE_CHARS / 2));
    assert.equal(await countTokens('ab'.repeat(MAX_PIECE_CHARS)), 2 * half);
    // A letter outside the BMP (U+20000, two UTF-16 units) where a piece would end moves whole
    // to the next piece instead of leaving half of it to each.
    const head = 'a'.repeat(MAX_PIECE_CHARS - 1);
    const tail = `\u{20000}${'a'.repeat(10)}`;
    assert.equal(await countTokens(head + tail), (await countTokens(head)) + (await countTokens(tail)));
  });
});

describe('lastSafeCut', () => {
  it('finds the last letter or digit followed by one separator and a letter', () => {
    assert.equal(lastSafeCut('one two three'), 7); // 'one two| three'
    assert.equal(lastSafeCut('你好，世界'), 2); // '你好|，世界'
    assert.equal(lastSafeCut('a/b'), 1);
    assert.equal(lastSafeCut('9 lives'), 1);
    assert.equal(lastSafeCut('one two three', 8), -1);
  });

  it('finds the start of a line after its last line break', () => {
    assert.equal(lastSafeCut('a;\n  b'), 3);
    assert.equal(lastSafeCut('{\n\n}'), 3);
    assert.equal(lastSafeCut('x;\r\n  // c'), 4);
  });

  it('never cuts before a contraction, a mark, a digit, a second separator, a slash or more blank space', () => {
    for (const text of [
      "it's",
      'a\u0301b',
      'a 1',
      'a  b',
      'a. b',
      'aaaa',
      '',
      '   ',
      ';\n//',
      'a\n\n',
      'a\n  ',
    ])
      assert.equal(lastSafeCut(text), -1, JSON.stringify(text));
  });

  it('cuts texts into halves whose counts add up to the whole’s, at every cut', async () => {
    const count = await tokenCounter();
    let cuts = 0;
    for (const text of randomTexts(400, 200, 11)) {
      for (let from = 0; ; ) {
        const cut = lastSafeCut(text.slice(0, text.length - from));
        if (cut <= 0) break;
        cuts += 1;
        assert.equal(
          count(text.slice(0, cut)) + count(text.slice(cut)),
          reference(text),
          JSON.stringify(text),
        );
        from = text.length - cut + 1;
      }
    }
    assert.ok(cuts > 300, `${cuts} cuts`);
  });
});
