/**
 * A gateway in a process of its own, for tests that kill it: the local stack attached to a
 * DynamoDB endpoint the test owns (so the tables, and the leases in them, outlive this process),
 * seeding nothing. Settings come from the QG_* environment the test passes.
 *
 *   QG_DYNAMO_ENDPOINT=http://127.0.0.1:8000 node --import tsx test/support/gateway-process-main.ts
 *
 * Prints one JSON line `{"url":"http://127.0.0.1:…"}` once it listens, then serves until killed.
 */
import { startLocalStack } from '#local/local-stack.ts';

const endpoint = process.env.QG_DYNAMO_ENDPOINT;
if (!endpoint) {
  console.error('QG_DYNAMO_ENDPOINT must name the DynamoDB endpoint to attach to');
  process.exit(2);
}
const stack = await startLocalStack({
  port: 0,
  dynamoEndpoint: endpoint,
  dataDir: null,
  logLevel: process.env.QG_TEST_LOG_LEVEL ?? 'ERROR',
});
process.stdout.write(`${JSON.stringify({ url: stack.url })}\n`);
