/**
 * `npm start`: the whole stack on this machine. Data lives under `.quotagate/data` (or
 * QG_DATA_DIR) so users, keys and usage survive a restart. dynalite and the recorder run in child
 * processes of this one (see `separateProcesses`); Ctrl-C stops them with it.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalStack } from './local-stack.ts';
import { DEFAULT_MOCK_UPSTREAM_PORT, startBanner } from './start-banner.ts';
import { type PortVariable, portOf, portProblem } from './start-ports.ts';

const ports = [
  ['PORT', process.env.PORT, 8787],
  ['QG_DYNALITE_PORT', process.env.QG_DYNALITE_PORT, 8788],
  ['QG_ADMIN_PORT', process.env.QG_ADMIN_PORT, 8789],
] as const satisfies readonly PortVariable[];
const problem = await portProblem(ports);
if (problem) {
  console.error(problem);
  process.exit(1);
}
const [port, dynamoPort, adminPort] = ports.map((variable) => portOf(variable) as number);
const dataDir = resolve(process.env.QG_DATA_DIR ?? '.quotagate/data');
mkdirSync(dataDir, { recursive: true });

const stack = await startLocalStack({
  port,
  dynamoPort,
  dataDir,
  separateProcesses: true,
  logLevel: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  admin: { port: adminPort, ...(process.env.QG_ADMIN_TOKEN ? { token: process.env.QG_ADMIN_TOKEN } : {}) },
  accessLog: (line) => console.log(line),
});

stack.bus.on(
  'event',
  (envelope: { 'detail-type': string; detail: { requestId?: string; usage?: unknown } }) => {
    console.log(
      `usage event ${envelope['detail-type']} ${envelope.detail.requestId} ${JSON.stringify(envelope.detail.usage)}`,
    );
  },
);

console.log(
  startBanner({
    gatewayUrl: stack.url,
    dynamoEndpoint: stack.dynamo.endpoint,
    dynamoPort: stack.dynamo.port,
    dataDir,
    adminUrl: stack.admin?.url ?? '',
    adminToken: stack.admin?.token ?? '',
    generatedToken: stack.admin?.generatedToken ?? false,
    mockUpstreamPort: Number(process.env.QG_MOCK_UPSTREAM_PORT || DEFAULT_MOCK_UPSTREAM_PORT),
  }),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('\nstopping…');
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
