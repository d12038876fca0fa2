/**
 * What the bench measures against: dynalite, the mock upstream, a local EventBridge endpoint and
 * the gateway, each in a child process of its own (see ipc.ts for why), seeded with one group of accounts pointing at the mock
 * and two users. `stopWorld` stops every child started so far, also after a failed start.
 *
 * @example
 * ```ts
 * const world = await startWorld(agent);
 * try { … world.gateway.call('traces') … } finally { await stopWorld(); }
 * ```
 */
import type { Agent } from 'undici';
import { loadSettings } from '#shared/settings.ts';
import { GATEWAY_ALLOCATOR_ENVIRONMENT, GATEWAY_NODE_OPTIONS } from '../infra/bundling.ts';
import { bundleGatewayProcess } from './gateway-bundle.ts';
import { type BenchChild, forkBenchChild } from './ipc.ts';
import {
  ACCOUNT_CONCURRENCY,
  GATEWAY_PROFILE_PREFIX,
  options,
  PROFILE_DIR,
  USER_CONCURRENCY,
} from './options.ts';
import { type BenchKeys, seedBench } from './seed.ts';

export interface BenchWorld {
  dynamo: BenchChild;
  mock: BenchChild;
  /** The PutEvents endpoint the gateway publishes usage events to (eventbridge-process.ts). */
  events: BenchChild;
  gateway: BenchChild;
  keys: BenchKeys;
  mockUrl: string;
  gatewayUrl: string;
  /** The load client's keep-alive connections. */
  agent: Agent;
}

/** The bench's table names (stage `bench`). */
export const settings = loadSettings({ QG_STAGE: 'bench' });

const children: BenchChild[] = [];

/** Forks a bench child and keeps it for {@link stopWorld}. */
export async function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  nodeOptions: string[] = [],
): Promise<BenchChild> {
  const child = await forkBenchChild(name, new URL(script, import.meta.url), env, nodeOptions);
  children.push(child);
  return child;
}

/** The mock upstream alone (the local-stack phases need nothing else). */
export function startMock(): Promise<BenchChild> {
  return startChild('mock upstream', './mock-process.ts', {
    BENCH_CHUNK_DELAY_MS: String(options.chunkDelayMs),
  });
}

export async function startWorld(agent: Agent): Promise<BenchWorld> {
  const [dynamo, mock, events] = await Promise.all([
    startChild('dynalite', './dynamo-process.ts', { BENCH_TABLES: JSON.stringify(settings.tables) }),
    startMock(),
    startChild('eventbridge', './eventbridge-process.ts', {}),
  ]);
  const dynamoEndpoint = String(dynamo.info.endpoint);
  const mockUrl = String(mock.info.url);
  const keys = await seedBench({
    dynamoEndpoint,
    configTable: settings.tables.config,
    mockUrl,
    accounts: options.accounts,
    accountConcurrency: ACCOUNT_CONCURRENCY,
    userConcurrency: USER_CONCURRENCY,
  });
  const gateway = await startGateway(
    options.gatewayFromSources ? './gateway-process.ts' : `../${await bundleGatewayProcess()}`,
    { dynamo, events },
    options.profile
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${PROFILE_DIR}`,
          `--cpu-prof-name=${GATEWAY_PROFILE_PREFIX}${Date.now()}.cpuprofile`,
        ]
      : [],
  );
  return { dynamo, mock, events, gateway, keys, mockUrl, gatewayUrl: String(gateway.info.url), agent };
}

/**
 * Forks a gateway process (`script` relative to this file: gateway-process.ts, or a bundle of it,
 * also another checkout's for a before/after comparison) against the world's dynalite and events
 * endpoint, with the stack's environment and Node flags (the flags only for a bundle).
 */
export function startGateway(
  script: string,
  world: Pick<BenchWorld, 'dynamo' | 'events'>,
  extraNodeOptions: readonly string[] = [],
  name = 'gateway',
): Promise<BenchChild> {
  return startChild(
    name,
    script,
    {
      QG_STAGE: 'bench',
      BENCH_DYNAMO_ENDPOINT: String(world.dynamo.info.endpoint),
      BENCH_EVENTS_ENDPOINT: String(world.events.info.url),
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // As the stack sets it, whatever the bench's own environment says.
      ...GATEWAY_ALLOCATOR_ENVIRONMENT,
    },
    [
      ...(script.endsWith('.ts') ? [] : GATEWAY_NODE_OPTIONS.split(' ')),
      '--expose-gc',
      ...(options.gatewayHeapMb > 0 ? [`--max-old-space-size=${options.gatewayHeapMb}`] : []),
      ...extraNodeOptions,
    ],
  );
}

/** Stops every child started so far. */
export async function stopWorld(): Promise<void> {
  await Promise.all(children.map((child) => child.stop()));
}

/** Prints the last output lines of every child (after a failure). */
export function printChildOutput(): void {
  for (const child of children) {
    const { lines } = child.output();
    if (lines.length > 0) console.error(`--- ${child.name} ---\n${lines.join('\n')}`);
  }
}
