import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toGatewayRequest } from '../../functions/gateway/function-url.ts';

function eventOf(body: string | undefined, isBase64Encoded: boolean): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/v1/responses',
    rawQueryString: '',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer qg_x' },
    isBase64Encoded,
    ...(body === undefined ? {} : { body }),
    requestContext: { http: { method: 'post', sourceIp: '203.0.113.9' } },
  } as unknown as APIGatewayProxyEventV2;
}

const context = { getRemainingTimeInMillis: () => 60_000 };

describe('toGatewayRequest', { timeout: 10_000 }, () => {
  it('keeps the body as its UTF-8 bytes and lets go of the event copy, which lives as long as the stream', () => {
    const event = eventOf('{"model":"gpt-5","input":"héllo"}', false);

    const request = toGatewayRequest(event, context);

    // "é" is two bytes in UTF-8: 33 characters, 34 bytes.
    assert.equal(request.body.length, 34);
    assert.equal(request.body.toString('utf8'), '{"model":"gpt-5","input":"héllo"}');
    assert.equal(event.body, undefined);
    assert.deepEqual(
      [request.method, request.path, request.headers['content-type']],
      ['POST', '/v1/responses', 'application/json'],
    );
  });

  it('decodes a base64 body, and reads a missing one as empty', () => {
    // "hi" in base64 is aGk=.
    assert.equal(toGatewayRequest(eventOf('aGk=', true), context).body.toString('utf8'), 'hi');
    assert.equal(toGatewayRequest(eventOf(undefined, false), context).body.length, 0);
  });
});
