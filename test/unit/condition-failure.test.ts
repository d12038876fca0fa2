import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { conditionHeld, whenConditionHeld } from '#shared/store/dynamo/condition-failure.ts';

const refused = () =>
  Promise.reject(
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
  );
const throttled = () =>
  Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

describe('a conditional write whose refusal is an answer', () => {
  it('answers what the write returned when its condition held, and undefined when it was refused', async () => {
    assert.deepEqual(await whenConditionHeld(async () => ({ Attributes: { version: 2 } })), {
      Attributes: { version: 2 },
    });
    assert.equal(await whenConditionHeld(refused), undefined);
  });

  it('answers true or false for the condition alone', async () => {
    assert.equal(await conditionHeld(async () => ({})), true);
    assert.equal(await conditionHeld(refused), false);
  });

  it('throws any other failure, so a throttled write is never taken for a refused one', async () => {
    await assert.rejects(whenConditionHeld(throttled), { name: 'ThrottlingException' });
    await assert.rejects(conditionHeld(throttled), { name: 'ThrottlingException' });
  });
});
