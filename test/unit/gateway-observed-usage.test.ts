import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens as referenceCount } from 'gpt-tokenizer/encoding/o200k_base';
import {
  ObservedOutput,
  observedUsage,
  PENDING_TEXT_LIMIT,
  requestTexts,
} from '#shared/gateway/observed-usage.ts';

// o200k_base splits this sentence into Hello| from| the| mock| upstream|. — 6 tokens, each word
// with its leading space; copies joined by a space stay 6 tokens each (" Hello" is one token).
const SENTENCE = 'Hello from the mock upstream.';
const SENTENCE_TOKENS = 6;

describe('ObservedOutput', () => {
  it('counts the text of the deltas it was given, joined', async () => {
    const observed = new ObservedOutput();
    for (const delta of ['Hello from', ' the', ' mock', ' upstream.']) observed.add(delta);
    assert.equal(observed.chars, SENTENCE.length);
    assert.equal(await observed.tokens(), SENTENCE_TOKENS);
  });

  it('counts nothing for no text', async () => {
    assert.equal(await new ObservedOutput().tokens(), 0);
  });

  it('counts a text longer than it holds in pieces, exactly as the whole', async () => {
    const observed = new ObservedOutput();
    const copies = Math.ceil((PENDING_TEXT_LIMIT * 2.5) / (SENTENCE.length + 1));
    let drains = 0;
    for (let copy = 0; copy < copies; copy++) {
      observed.add(copy === 0 ? SENTENCE : ` ${SENTENCE}`);
      if (observed.full) {
        await observed.drain();
        drains += 1;
        assert.equal(observed.full, false);
      }
    }
    assert.ok(drains >= 2, `${drains} drains`);
    assert.equal(await observed.tokens(), copies * SENTENCE_TOKENS);
  });

  /** Feeds `text` in deltas of `size` characters, draining when full; returns its count. */
  async function countIncrementally(text: string, size: number): Promise<{ tokens: number; drains: number }> {
    const observed = new ObservedOutput();
    let drains = 0;
    for (let at = 0; at < text.length; at += size) {
      observed.add(text.slice(at, at + size));
      if (observed.full) {
        await observed.drain();
        drains += 1;
      }
    }
    return { tokens: await observed.tokens(), drains };
  }

  // Texts where a cut at the last whitespace counts differently from the whole: blank lines
  // ('.\n\n' is one piece), and CJK without spaces. Reference counts are another implementation's.
  for (const [name, unit] of [
    ['paragraphs', 'A line of prose, then a blank line.\n\n'],
    ['code', '  if (x) {\n    return [a, b];\n  }\n\n'],
    ['CJK', '今天天气很好，我们去公园散步吧。'],
    ['a special token’s spelling', 'text <|endoftext|> more\n\n'],
  ] as const) {
    it(`counts ${name} longer than it holds exactly as the whole`, async () => {
      const text = unit.repeat(Math.ceil((PENDING_TEXT_LIMIT * 2.2) / unit.length));
      const { tokens, drains } = await countIncrementally(text, 997);
      assert.ok(drains >= 2, `${drains} drains`);
      assert.equal(tokens, referenceCount(text, { disallowedSpecial: new Set() }));
    });
  }

  it('cuts a megabyte with no safe cut at its end, keeping a surrogate pair whole', async () => {
    // Emoji only: one split-pattern piece after another, none a letter, so no safe cut.
    const text = '😀'.repeat(PENDING_TEXT_LIMIT);
    const { tokens, drains } = await countIncrementally(text, 999); // odd: deltas end mid-pair
    assert.ok(drains >= 1, `${drains} drains`);
    assert.equal(tokens, referenceCount('😀'.repeat(1000)) * (PENDING_TEXT_LIMIT / 1000));
  });
});

describe('requestTexts', () => {
  it('takes instructions, input text, tool-call arguments and outputs, messages and tools; not images or ids', () => {
    const body = {
      model: 'gpt-5',
      instructions: 'Be brief.',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Hi' },
            { type: 'input_image', image_url: 'data:…' },
          ],
        },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
        {
          type: 'reasoning',
          id: 'rs_1',
          encrypted_content: 'opaque',
          summary: [{ type: 'summary_text', text: 'S' }],
        },
      ],
      messages: [{ role: 'user', content: 'chat' }],
      tools: [{ type: 'function', name: 'f' }],
    };
    assert.deepEqual(requestTexts(body), [
      'Be brief.',
      'Hi',
      '{"a":1}',
      'ok',
      'S',
      'chat',
      '[{"type":"function","name":"f"}]',
    ]);
    assert.deepEqual(requestTexts({ input: 'plain' }), ['plain']);
  });
});

describe('observedUsage', () => {
  it('bills the counted input and output, never less than what the upstream reported', async () => {
    const output = new ObservedOutput();
    output.add(SENTENCE);
    const usage = await observedUsage({ input: SENTENCE }, output, {
      inputTokens: 2,
      cachedInputTokens: 1,
      outputTokens: 9,
      reasoningTokens: 3,
    });
    assert.deepEqual(usage, { inputTokens: 6, cachedInputTokens: 1, outputTokens: 9, reasoningTokens: 3 });
  });

  it('counts a prompt and an answer that spell a special token instead of failing to bill them', async () => {
    // '<|endoftext|>' as text is 7 tokens (test/support/o200k-counts.json); the sentence 6.
    const output = new ObservedOutput();
    output.add('<|endoftext|>');
    const usage = await observedUsage({ instructions: SENTENCE, input: '<|endoftext|>' }, output, undefined);
    assert.deepEqual(usage, { inputTokens: 13, cachedInputTokens: 0, outputTokens: 7, reasoningTokens: 0 });
  });
});
