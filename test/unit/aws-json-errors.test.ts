import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AwsServiceError,
  backoffMs,
  errorTypeOf,
  RetryQuota,
  retryKindOf,
  serviceErrorOf,
} from '#shared/aws/json-client-errors.ts';

describe('what the JSON client makes of a failed request', () => {
  it('reads the error type from the header first, then __type, then code, without namespace or URL', () => {
    const cases: [string | undefined, Record<string, unknown>, string | undefined][] = [
      [
        'ConditionalCheckFailedException:http://internal.amazon.com/coral/',
        {},
        'ConditionalCheckFailedException',
      ],
      [undefined, { __type: 'com.amazonaws.dynamodb.v20120810#ValidationException' }, 'ValidationException'],
      [undefined, { code: 'ThrottlingException' }, 'ThrottlingException'],
      ['A,B', { __type: 'ns#C' }, 'A'],
      [undefined, { __type: '' }, undefined],
      [undefined, {}, undefined],
    ];
    for (const [header, body, expected] of cases)
      assert.equal(errorTypeOf(header, body), expected, JSON.stringify([header, body]));
  });

  it('names an answer without a type by its status, and keeps the service message', () => {
    const cases: [number, string, string, string][] = [
      [500, '<html>bad gateway</html>', 'InternalServerError', 'DynamoDB answered HTTP 500'],
      [400, 'not json', 'UnknownError', 'DynamoDB answered HTTP 400'],
      [
        400,
        '{"__type":"x#ResourceNotFoundException","Message":"no table"}',
        'ResourceNotFoundException',
        'no table',
      ],
      [400, '"a string"', 'UnknownError', 'DynamoDB answered HTTP 400'],
    ];
    for (const [status, text, name, message] of cases) {
      const error = serviceErrorOf('DynamoDB', 'GetItem', status, undefined, text);
      assert.ok(error instanceof AwsServiceError);
      assert.deepEqual(
        [error.name, error.message, error.operation, error.$metadata.httpStatusCode],
        [name, message, 'GetItem', status],
      );
    }
  });

  it('retries throttling and transient failures only', () => {
    const answer = (status: number, type: string) => new AwsServiceError('PutItem', type, 'x', status);
    const network = (code: string) => Object.assign(new Error('socket'), { code });
    const cases: [unknown, string | undefined][] = [
      [answer(400, 'ProvisionedThroughputExceededException'), 'throttling'],
      [answer(400, 'RequestLimitExceeded'), 'throttling'],
      [answer(429, 'Whatever'), 'throttling'],
      [answer(500, 'InternalServerError'), 'transient'],
      [answer(503, 'ServiceUnavailable'), 'transient'],
      [answer(400, 'RequestTimeoutException'), 'transient'],
      [answer(501, 'NotImplemented'), undefined],
      [answer(400, 'ConditionalCheckFailedException'), undefined],
      [answer(400, 'TransactionCanceledException'), undefined],
      [answer(400, 'ValidationException'), undefined],
      [network('ECONNRESET'), 'transient'],
      [network('EPIPE'), 'transient'],
      [network('ENOTFOUND'), 'transient'],
      [network('ERR_INVALID_ARG_TYPE'), undefined],
      [new Error('plain'), undefined],
      [undefined, undefined],
    ];
    for (const [error, kind] of cases) assert.equal(retryKindOf(error), kind, String(error));
  });

  it('waits a random share below a doubling base, capped at 20 s', () => {
    const cases: [Parameters<typeof backoffMs>[0], number, number, number][] = [
      ['transient', 0, 0.5, 50],
      ['transient', 1, 0.5, 100],
      ['transient', 2, 0.999, 399],
      ['throttling', 0, 0.5, 250],
      ['throttling', 1, 0.999, 999],
      ['throttling', 10, 0.5, 10_000],
      ['transient', 30, 1, 20_000],
    ];
    for (const [kind, retries, random, expected] of cases) {
      assert.equal(
        backoffMs(kind, retries, () => random),
        expected,
        `${kind} ${retries} ${random}`,
      );
    }
  });

  it('pays retries from a quota of 500 tokens that successes refill, never past 500', () => {
    const quota = new RetryQuota();
    let throttled = 0;
    while (quota.spend('throttling')) throttled += 1;
    assert.equal(throttled, 100);
    assert.equal(quota.spend('transient'), false);
    quota.succeeded('transient');
    assert.equal(quota.spend('transient'), true);
    assert.equal(quota.spend('throttling'), false);

    const full = new RetryQuota();
    for (let i = 0; i < 20; i += 1) full.succeeded(undefined);
    let transient = 0;
    while (full.spend('transient')) transient += 1;
    assert.equal(transient, 50);
  });
});
