/**
 * `npm start`: the whole stack on this machine. Data lives under `.quotagate/data` (or
 * QG_DATA_DIR) so users, keys and usage survive a restart.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalStack } from './local-stack.ts';

const port = Number(process.env.PORT ?? 8787);
const dynamoPort = Number(process.env.QG_DYNALITE_PORT ?? 8788);
const adminPort = Number(process.env.QG_ADMIN_PORT ?? 8789);
const dataDir = resolve(process.env.QG_DATA_DIR ?? '.quotagate/data');
mkdirSync(dataDir, { recursive: true });

const stack = await startLocalStack({
  port,
  dynamoPort,
  dataDir,
  logLevel: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  admin: { port: adminPort, ...(process.env.QG_ADMIN_TOKEN ? { token: process.env.QG_ADMIN_TOKEN } : {}) },
});

stack.bus.on(
  'event',
  (envelope: { 'detail-type': string; detail: { requestId?: string; usage?: unknown } }) => {
    console.log(
      `usage event ${envelope['detail-type']} ${envelope.detail.requestId} ${JSON.stringify(envelope.detail.usage)}`,
    );
  },
);

console.log(`quotagate is running on the embedded local stack

  Gateway (Function URL):  ${stack.url}
  OpenAI base URL:         ${stack.url}/v1   (or ${stack.url}/openai/v1)
  DynamoDB (dynalite):     ${stack.dynamo.endpoint}   data in ${dataDir}
  Console:                 ${stack.admin?.url}/   (sign in with the admin token)
  Admin API:               ${stack.admin?.url}/admin/v1   ${
    stack.admin?.generatedToken
      ? `token ${stack.admin.token} (set QG_ADMIN_TOKEN to choose one)`
      : 'token from QG_ADMIN_TOKEN'
  }

Next, in another terminal:
  1. Add an upstream account (any Responses-compatible server; try the mock: npm run mock-upstream):
       npx quotagate accounts create --type apikey --name main --base-url http://127.0.0.1:8790 --api-key sk-anything
  2. Create a user and a key:
       npx quotagate users create --email you@example.com --concurrency 5 --balance 10
       npx quotagate keys create --user <user id>
  3. Call it:
       curl ${stack.url}/v1/responses -H "Authorization: Bearer <key>" -H 'content-type: application/json' \\
         -d '{"model":"gpt-5.1","input":"Say hello"}'

Press Ctrl-C to stop.`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('\nstopping…');
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
