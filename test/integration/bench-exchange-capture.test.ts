/**
 * The bench's exchange capture (bench/exchange-capture.ts), which the floor replays: the AWS calls
 * of a request, with their exact bodies, grouped into the waves they were sent in, before and
 * after the upstream request; and the gateway's transport put back once the capture is finished.
 * Calls go through the gateway's own AWS JSON transport to a local endpoint that answers each
 * after 30 ms, so which calls overlap is set by the test, not by the machine's speed.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AwsJsonClient, LOCAL_CREDENTIALS } from '#shared/aws/aws-json-client.ts';
import { startCapture } from '../../bench/exchange-capture.ts';

const server = createServer((req, res) => {
  req.resume();
  setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 30);
});
let url = '';
let client: AwsJsonClient;

/** A request carrying the bench's `x-client-request-id`, as the gateway's upstream request does. */
async function upstream(): Promise<void> {
  const sent = request(`${url}/v1/responses`, {
    method: 'POST',
    headers: { 'x-client-request-id': 'bench-1' },
  });
  sent.end('{}');
  const [answer] = (await once(sent, 'response')) as [NodeJS.ReadableStream];
  answer.resume();
  await once(answer, 'end');
}

describe('bench exchange capture', { timeout: 30_000 }, () => {
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new AwsJsonClient({
      endpoint: url,
      region: 'local',
      service: 'dynamodb',
      serviceName: 'DynamoDB',
      targetPrefix: 'DynamoDB_20120810.',
      contentType: 'application/x-amz-json-1.0',
      credentials: LOCAL_CREDENTIALS,
    });
  });
  after(() => {
    client.destroy();
    server.close();
  });

  it('groups overlapping calls into waves, before and after the upstream request, with their bodies', async () => {
    const send = AwsJsonClient.prototype.send;
    const capture = startCapture();
    // Two calls at once, then one after both answered: two round trips before the upstream.
    await Promise.all([client.send('PutItem', '{"n":1}'), client.send('BatchGetItem', '{"n":2}')]);
    await client.send('PutItem', '{"n":3}');
    await upstream();
    await Promise.all([client.send('DeleteItem', '{"n":4}'), client.send('PutEvents', '{"n":5}')]);
    const plan = capture.finish();
    assert.deepEqual(plan, {
      before: [
        [
          { operation: 'PutItem', body: '{"n":1}' },
          { operation: 'BatchGetItem', body: '{"n":2}' },
        ],
        [{ operation: 'PutItem', body: '{"n":3}' }],
      ],
      after: [
        [
          { operation: 'DeleteItem', body: '{"n":4}' },
          { operation: 'PutEvents', body: '{"n":5}' },
        ],
      ],
    });
    // No call of a measured phase runs through the capture's wrapper.
    assert.equal(AwsJsonClient.prototype.send, send);
  });

  it('counts a call still running when the upstream request starts as after it', async () => {
    const capture = startCapture();
    const slow = client.send('PutItem', '{"started":true}');
    await sleep(5);
    await upstream();
    await slow;
    assert.deepEqual(capture.finish(), {
      before: [],
      after: [[{ operation: 'PutItem', body: '{"started":true}' }]],
    });
  });
});
