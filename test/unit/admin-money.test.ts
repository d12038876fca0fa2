import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminError } from '#shared/admin/admin-error.ts';
import { formatNanoAsUsd, parseUsdToNano } from '#shared/admin/money.ts';

describe('parseUsdToNano', () => {
  for (const [text, nano] of [
    ['10', 10_000_000_000],
    ['0.1', 100_000_000],
    ['0.3', 300_000_000],
    ['1.000000001', 1_000_000_001],
    ['.5', 500_000_000],
    ['7.', 7_000_000_000],
    [' 2.50 ', 2_500_000_000],
    ['0', 0],
    ['9007199.254740991', Number.MAX_SAFE_INTEGER],
  ] as const) {
    it(`reads "${text}" as exactly ${nano} nano-USD`, () => {
      assert.equal(parseUsdToNano(text, 'Balance'), nano);
    });
  }

  it('reads a number through its decimal text, so 0.1 + 0.2 style floats never leak in', () => {
    assert.equal(parseUsdToNano(0.1, 'Balance'), 100_000_000);
    assert.equal(parseUsdToNano(19.99, 'Balance'), 19_990_000_000);
  });

  it('accepts a negative amount only when asked, and never returns -0', () => {
    assert.equal(parseUsdToNano('-2.5', 'Amount', { allowNegative: true }), -2_500_000_000);
    assert.ok(Object.is(parseUsdToNano('-0', 'Amount'), 0));
    assert.throws(() => parseUsdToNano('-1', 'Balance'), /Balance must not be negative, got "-1"\./);
  });

  for (const [text, message] of [
    ['', /Balance must be a USD amount such as 10 or 0\.25, got ""\./],
    ['abc', /must be a USD amount/],
    ['1e3', /must be a USD amount/],
    ['1,5', /must be a USD amount/],
    ['$5', /must be a USD amount/],
    ['0.0000000001', /Balance has more than 9 decimals/],
    ['9007199.254740992', /Balance is too large/],
  ] as const) {
    it(`refuses "${text}" as an invalid admin input`, () => {
      assert.throws(
        () => parseUsdToNano(text, 'Balance'),
        (error: unknown) =>
          error instanceof AdminError && error.kind === 'invalid' && message.test(error.message),
      );
    });
  }
});

describe('formatNanoAsUsd', () => {
  for (const [nano, text] of [
    [10_000_000_000, '10.00'],
    [100_000_000, '0.10'],
    [1_000_000_001, '1.000000001'],
    [0, '0.00'],
    [-2_500_000_000, '-2.50'],
    [123_450_000, '0.12345'],
  ] as const) {
    it(`writes ${nano} nano-USD as ${text}`, () => {
      assert.equal(formatNanoAsUsd(nano), text);
    });
  }

  it('round-trips with parseUsdToNano', () => {
    for (const nano of [1, 99_999_999, 5_000_000_000, 123_456_789_012]) {
      assert.equal(parseUsdToNano(formatNanoAsUsd(nano), 'Amount'), nano);
    }
  });
});
