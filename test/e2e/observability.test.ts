/**
 * What operators see of a request: its id on the response, in every log line and in the ops
 * record of a failure; one EMF metric document per request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoOpsErrorLog } from '#shared/store/dynamo/ops-error-log.ts';
import { type E2E, startE2E, UPSTREAM_KEY } from '../support/e2e-stack.ts';
import { keptLogLines } from '../support/test-logs.ts';

let e2e: E2E;
let log: DynamoOpsErrorLog;
before(async () => {
  e2e = await startE2E();
  log = new DynamoOpsErrorLog(e2e.stack.client, e2e.stack.settings.tables.state);
});
after(async () => {
  await e2e.close();
});

async function opsRecordsSince(since: number) {
  return (await log.query({ fromMs: since - 1000, toMs: Date.now() + 1000, limit: 100 })).records;
}

describe('request ids, ops records and metrics', () => {
  it('writes an ops record for a failed request of a known caller, with its request id and no secret', async () => {
    const { secret, userId, keyId, accountId } = await e2e.seed();
    e2e.mock.setDefault({
      kind: 'error',
      status: 401,
      body: {
        error: { message: `Incorrect API key provided: ${UPSTREAM_KEY}`, type: 'invalid_request_error' },
      },
    });
    const since = Date.now();
    const response = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: '{"model":"gpt-5.1","input":"hi"}',
    });
    await response.text();
    e2e.mock.reset();

    const requestId = response.headers.get('x-request-id');
    const record = (await opsRecordsSince(since)).find((candidate) => candidate.requestId === requestId);
    assert.ok(record, 'an ops record carries the request id the client got');
    assert.equal(record.status, 502);
    assert.equal(record.errorType, 'upstream_error');
    assert.equal(record.route, '/v1/responses');
    assert.deepEqual([record.userId, record.apiKeyId, record.accountId], [userId, keyId, accountId]);
    assert.equal(record.upstreamStatus, 401);
    assert.ok(!JSON.stringify(record).includes(UPSTREAM_KEY));
    assert.ok(!JSON.stringify(record).includes(secret));
  });

  it('writes no ops record for a request without a valid key', async () => {
    const since = Date.now();
    const response = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-qg-nobody', 'content-type': 'application/json' },
      body: '{"model":"gpt-5.1"}',
    });
    assert.equal(response.status, 401);
    const requestId = response.headers.get('x-request-id');
    assert.ok(requestId);
    assert.equal((await opsRecordsSince(since)).filter((record) => record.requestId === requestId).length, 0);
  });

  it('emits one metric document per request, with the route and the error type', async () => {
    const { secret } = await e2e.seed();
    const before = e2e.stack.metrics.length;
    await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hi' });
    await fetch(`${e2e.stack.url}/v1/nope`);

    // The recorder's RecorderLag documents land here too; the gateway's carry a route.
    const documents = e2e.stack.metrics
      .slice(before)
      .map((document) => JSON.stringify(document))
      .filter((document) => document.includes('"route":'));
    const served = documents.filter((document) => document.includes('"route":"/v1/responses"'));
    const refused = documents.filter((document) => document.includes('"route":"unmatched"'));
    assert.equal(served.length, 1);
    assert.match(served[0] ?? '', /"Requests":1/);
    assert.match(served[0] ?? '', /"UpstreamLatency"/);
    assert.ok(refused.some((document) => document.includes('"errorType":"invalid_request_error"')));
    assert.equal(served.length + refused.length, documents.length);
  });

  it('stamps the request id on every log line of the request', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue({ kind: 'error', status: 503 }, { kind: 'error', status: 503 });
    const previousLevel = e2e.stack.deps.logger.getLevelName();
    e2e.stack.deps.logger.setLogLevel('INFO');
    let requestId: string | null = null;
    try {
      const response = await fetch(`${e2e.stack.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: '{"model":"gpt-5.1","input":"hi"}',
      });
      await response.text();
      requestId = response.headers.get('x-request-id');
    } finally {
      e2e.stack.deps.logger.setLogLevel(previousLevel);
    }
    // The stack logs into the test log, which holds only this test's lines (tests run in turn).
    const lines = keptLogLines();
    const gatewayLines = lines.filter((line) => line.includes('"service":"quotagate-gateway"'));
    assert.ok(gatewayLines.length >= 2, 'the failover left log lines');
    for (const line of gatewayLines) assert.ok(line.includes(`"requestId":"${requestId}"`), line);
  });
});
