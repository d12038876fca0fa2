/**
 * The benchmark's processes talk over Node's IPC channel (`#local/child-process.ts`, as the local
 * stack's children do): the bench forks each server (dynalite, mock upstream, gateway) into its
 * own child so that a child's `process.cpuUsage()` is that server's CPU alone, and asks it for
 * figures with small request/answer messages. Here each child also answers `usage`, and the
 * bench keeps the last lines it printed.
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
import { forkChild, serveParent } from '#local/child-process.ts';

/** CPU and memory of one process, as a child reports them. */
export interface ProcessUsage {
  /** User plus system CPU time since the process started, in milliseconds. */
  cpuMs: number;
  rssBytes: number;
  /** Peak resident set size since the process started. */
  maxRssBytes: number;
}

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
  /** Asks the child to close its servers and exit; kills it if it has not within 10 s. */
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
  const child = await forkChild(name, script, { env, execArgv: nodeOptions, onOutput: keep }).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}:\n${lines.join('\n')}`);
    },
  );
  return {
    name,
    info: child.info,
    call: (type, payload) => child.call(type, payload),
    output: () => ({ lines: [...lines], count, metricLines }),
    stop: () => child.stop(),
  };
}

/**
 * Child side: answers the parent's calls with `handlers` plus `usage` (see `serveParent`), and
 * sends `ready` with `info`. A child whose parent is gone exits, so a crashed bench leaves no
 * server behind.
 */
export function answerParent(
  handlers: Record<string, (payload: unknown) => unknown>,
  info: Record<string, unknown>,
  onExit: () => Promise<void>,
): void {
  serveParent({ usage: processUsage, ...handlers }, info, onExit);
}
