/**
 * Runs the mock OpenAI upstream as a standalone server, for trying quotagate locally without a real
 * OpenAI account: point the gateway's upstream at the printed URL.
 *
 *   node --import tsx test/support/mock-upstream-main.ts [--port 8790]
 *
 * The port is `--port`, else QG_MOCK_UPSTREAM_PORT, else 8790 (what `npm start` suggests).
 *
 * Any bearer token is accepted. Requests choose their behaviour with the `x-mock-behaviour` header or
 * a `[[mock:{…}]]` marker in the prompt (see startMockUpstream). Stop it with Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { startMockUpstream } from './mock-upstream.ts';

const { values } = parseArgs({
  options: { port: { type: 'string', default: process.env.QG_MOCK_UPSTREAM_PORT || '8790' } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a TCP port number, got ${values.port}`);
  process.exit(2);
}

const mock = await startMockUpstream({ port });
console.log(`mock upstream listening on ${mock.url}`);
console.log(`  platform API:  POST ${mock.url}/v1/responses   (SDK baseURL ${mock.url}/v1)`);
console.log(`  Codex backend: POST ${mock.url}/backend-api/codex/responses`);
console.log(`  e.g. put [[mock:{"kind":"error","status":429}]] in a prompt to get a rate-limit error`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void mock.close().then(() => process.exit(0));
  });
}
