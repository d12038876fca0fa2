/**
 * The benchmark's processes talk over Node's IPC channel: the bench forks each server (dynalite,
 * mock upstream, gateway) into its own child so that a child's `process.cpuUsage()` is that
 * server's CPU alone, and asks it for figures with small request/answer messages.
 *
 * @example
 * ```ts
 * // parent
 * const gateway = await forkBenchChild('gateway', new URL('./gateway-process.ts', import.meta.url), env);
 * const usage = await gateway.call<ProcessUsage>('usage');
 * await gateway.stop();
 * // child
 * answerParent({ reset: () => traces.reset() }, { url });
 * ```
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** CPU and memory of one process, as a child reports them. */
export interface ProcessUsage {
  /** User plus system CPU time since the process started, in milliseconds. */
  cpuMs: number;
  rssBytes: number;
  /** Peak resident set size since the process started. */
  maxRssBytes: number;
}

interface CallMessage {
  callId: number;
  type: string;
  payload?: unknown;
}

type AnswerMessage = { callId: number; result: unknown } | { callId: number; error: string };

type Handlers = Record<string, (payload: unknown) => unknown>;

/** Output lines kept per child, shown when the bench fails or the child logs. */
const KEPT_LINES = 40;

export interface BenchChild {
  readonly name: string;
  /** What the child sent with its `ready` message (its URL, endpoint, …). */
  readonly info: Record<string, unknown>;
  call<T>(type: string, payload?: unknown): Promise<T>;
  /**
   * Lines the child wrote to stdout or stderr (the last few), how many in all, and how many
   * embedded-metric (EMF) lines it wrote besides, which are neither kept nor counted as lines.
   */
  output(): { lines: string[]; count: number; metricLines: number };
  /** Asks the child to close its servers and exit; kills it if it has not within 5 s. */
  stop(): Promise<void>;
}

export function processUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBytes: process.memoryUsage().rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

export async function forkBenchChild(
  name: string,
  script: URL,
  env: Record<string, string> = {},
  nodeOptions: readonly string[] = [],
): Promise<BenchChild> {
  const child = fork(fileURLToPath(script), [], {
    // A bundle (.mjs) runs as plain JavaScript; sources are transpiled by tsx.
    execArgv: [...(script.pathname.endsWith('.mjs') ? [] : ['--import', 'tsx']), ...nodeOptions],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let count = 0;
  let metricLines = 0;
  const keep = (data: Buffer) => {
    for (const line of data.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      // CloudWatch embedded-metric lines are the gateway's metrics, not log messages.
      if (line.startsWith('{"_aws"')) {
        metricLines += 1;
        continue;
      }
      count += 1;
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextCallId = 1;
  const exited = once(child, 'exit');
  void exited.then(() => {
    for (const { reject } of pending.values()) reject(new Error(`${name} process exited`));
    pending.clear();
  });

  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (received: { type?: string } | AnswerMessage) => {
      if (!('callId' in received)) {
        if (received.type === 'ready') resolve(received as Record<string, unknown>);
        return;
      }
      const message = received;
      const waiter = pending.get(message.callId);
      if (!waiter) return;
      pending.delete(message.callId);
      if ('error' in message) waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    void exited.then(() =>
      reject(new Error(`${name} process exited before it was ready:\n${lines.join('\n')}`)),
    );
  });

  return {
    name,
    info,
    call<T>(type: string, payload?: unknown): Promise<T> {
      const callId = nextCallId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(callId, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ callId, type, payload } satisfies CallMessage);
      });
    },
    output: () => ({ lines: [...lines], count, metricLines }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await stopChild(child, exited);
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.connected) child.send({ callId: 0, type: 'exit' } satisfies CallMessage);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Child side: answers the parent's calls with `handlers` (plus `usage`, and `exit` which runs
 * `onExit` and leaves), and sends `ready` with `info`. A child whose parent is gone exits, so a
 * crashed bench leaves no server behind.
 */
export function answerParent(
  handlers: Handlers,
  info: Record<string, unknown>,
  onExit: () => Promise<void>,
): void {
  const send = (message: unknown) => process.send?.(message);
  const leave = () => {
    void onExit()
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on('disconnect', leave);
  process.on('message', (message: CallMessage) => {
    if (message.type === 'exit') return leave();
    const handler = message.type === 'usage' ? processUsage : handlers[message.type];
    if (!handler) return send({ callId: message.callId, error: `unknown call ${message.type}` });
    Promise.resolve()
      .then(() => handler(message.payload))
      .then(
        (result) => send({ callId: message.callId, result }),
        (error: unknown) => send({ callId: message.callId, error: String(error) }),
      );
  });
  send({ type: 'ready', ...info });
}
