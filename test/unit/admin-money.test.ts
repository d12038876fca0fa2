import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminError } from '#shared/admin/admin-error.ts';
import { formatNanoAsUsd, parseIdempotencyKey, parseUsdToNano } from '#shared/admin/money.ts';

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

describe('money text at its edges', () => {
  it('refuses text around an amount, whichever form it takes', () => {
    for (const text of ['x.5', '.5x', '.55x', '1.5x', 'x1']) {
      assert.throws(() => parseUsdToNano(text, 'Amount'), AdminError, text);
    }
    assert.equal(parseUsdToNano('.25', 'Amount'), 250_000_000);
  });

  it('shows a value that is not a number as it is, and zero without a sign', () => {
    assert.equal(formatNanoAsUsd(Number.NaN), 'NaN');
    assert.equal(formatNanoAsUsd(Number.POSITIVE_INFINITY), 'Infinity');
    assert.equal(formatNanoAsUsd(0), '0.00');
    assert.equal(formatNanoAsUsd(-1), '-0.000000001');
  });
});

describe('parseIdempotencyKey', () => {
  it('takes 1 to 255 visible ASCII characters', () => {
    for (const key of [
      'a',
      'topup-2026-12-03-ada',
      '0199a7c3-5b1e-7f00-9a2b-3c4d5e6f7a8b',
      '~'.repeat(255),
    ]) {
      assert.equal(parseIdempotencyKey(key), key);
    }
  });

  it('refuses an empty key, spaces, control or non-ASCII characters, and more than 255 characters', () => {
    for (const key of ['', 'a b', ' a', 'a ', 'a\n', 'é', 'x'.repeat(256), `a${'\u0000'}`]) {
      assert.throws(
        () => parseIdempotencyKey(key),
        (error: unknown) => {
          assert.ok(error instanceof AdminError);
          assert.match(error.message, /^The idempotency key must be 1 to 255 visible ASCII characters/);
          return true;
        },
        JSON.stringify(key),
      );
    }
  });
});
