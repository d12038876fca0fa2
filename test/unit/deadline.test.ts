import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deadlineFrom } from '#shared/runtime/deadline.ts';

const remaining = (ms: number) => ({ getRemainingTimeInMillis: () => ms });

describe('deadlineFrom', { timeout: 5_000 }, () => {
  it('keeps the margin back from the time Lambda has left', () => {
    assert.equal(deadlineFrom(remaining(30_000), 3_000, 1_000_000), 1_027_000);
  });

  it('takes no margin by default, so the gateway sees Lambda’s own deadline', () => {
    assert.equal(deadlineFrom(remaining(900_000), undefined, 5), 900_005);
  });

  it('never sets a deadline before now when the margin exceeds the time left', () => {
    assert.equal(deadlineFrom(remaining(1_000), 3_000, 42), 42);
  });
});
