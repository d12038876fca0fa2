/**
 * Starts `gateway-process-main.ts` in a child process attached to a DynamoDB endpoint the test
 * owns, for tests that kill the gateway (SIGKILL) and look at what it left in the tables.
 *
 * @example
 * ```ts
 * const gateway = await spawnGatewayProcess(dynamo.endpoint, { QG_STAGE: 'crash' });
 * gateway.process.kill('SIGKILL');
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const MAIN = fileURLToPath(new URL('./gateway-process-main.ts', import.meta.url));

/** Resolves with the process and its URL once it listens; rejects if it exits first. */
export async function spawnGatewayProcess(
  dynamoEndpoint: string,
  env: Record<string, string>,
): Promise<{ process: ChildProcess; url: string }> {
  const gateway = spawn(NODE, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env, QG_DYNAMO_ENDPOINT: dynamoEndpoint },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: gateway.stdout as NodeJS.ReadableStream });
  const exited = once(gateway, 'exit').then(([code]) => {
    throw new Error(`gateway process exited with ${code} before listening`);
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  return { process: gateway, url: (JSON.parse(line) as { url: string }).url };
}
