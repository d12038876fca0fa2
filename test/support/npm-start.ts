/**
 * The whole local stack as `npm start` runs it: the same command (`node --import tsx
 * local/start.ts`) in a child, on free ports, found through the banner it prints. The tests of
 * its process layout kill it in every way; the bench's local-stack phases load it and count the
 * CPU of every process in its tree (read from /proc), whatever the stack starts beside itself.
 *
 * @example
 * ```ts
 * const stack = await startNpmStart({ stage: 'bench-stack' });
 * const before = await stack.cpuMs(); … load against stack.gatewayUrl … await stack.cpuMs() - before;
 * const { exitCode, leftovers } = await stack.stop(); // Ctrl-C
 * ```
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_LOCAL_KEY_FILE } from '#shared/secrets/default-sealer.ts';
import { commandLine, cpuTicks, cpuTicksByProcess, processTree, waitUntilGone } from './process-tree.ts';

export interface NpmStartOptions {
  stage: string;
  /** dynalite's data folder (QG_DATA_DIR); default a fresh temporary one, removed by `stop`. */
  dataDir?: string;
  /** The checkout whose `local/start.ts` runs (its own node_modules); default this one. */
  cwd?: string;
  /** Write a V8 CPU profile of the stack's main process into this folder as it exits. */
  profileDir?: string;
  /**
   * Start it as a terminal does, leading a process group of its own, so that `stop` signals the
   * whole group as Ctrl-C in a terminal does (children included), not the main process alone.
   */
  ownProcessGroup?: boolean;
}

export interface NpmStart {
  readonly process: ChildProcess;
  readonly exited: Promise<unknown>;
  gatewayUrl: string;
  dynamoEndpoint: string;
  /** Processes in the stack's tree right now, its main process first. */
  processIds(): Promise<number[]>;
  /** User + system CPU of every process in the tree, in ms (exited children not counted). */
  cpuMs(): Promise<number>;
  /**
   * The same CPU by part of the stack: its main process (gateway, admin API, bus), the dynalite
   * and recorder children, and any other process of the tree (tsx's esbuild services).
   */
  cpuMsByPart(): Promise<Record<StackPart, number>>;
  /** The processes of the tree right now and the part each one is. */
  partsByProcess(): Promise<Map<number, StackPart>>;
  /** The last lines the stack printed. */
  output(): string[];
  /**
   * Ctrl-C (SIGINT to the main process, or to its whole group with `ownProcessGroup`), SIGKILL
   * after 10 s; `leftovers` are processes of the tree still alive 2 s after the main one exited.
   */
  stop(): Promise<{ exitCode: number | null; stopMs: number; leftovers: number[] }>;
}

/** The parts of `npm start`'s process tree whose CPU the bench tells apart. */
export type StackPart = 'main' | 'dynalite' | 'recorder' | 'other';

const KEPT_LINES = 40;
const BANNER_END = 'Press Ctrl-C to stop.';
const START_TIMEOUT_MS = 60_000;
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export async function startNpmStart(options: NpmStartOptions): Promise<NpmStart> {
  const folder = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'quotagate-npm-start-'));
  // Through NODE_OPTIONS, so that the stack's child processes write a profile each as well.
  const profile = options.profileDir ? `--cpu-prof --cpu-prof-dir=${resolve(options.profileDir)}` : '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup === true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: {
      ...process.env,
      PORT: '0',
      QG_DYNALITE_PORT: '0',
      QG_ADMIN_PORT: '0',
      QG_ADMIN_TOKEN: randomBytes(16).toString('hex'),
      QG_DATA_DIR: options.dataDir ?? join(folder as string, 'data'),
      QG_STAGE: options.stage,
      // What this process seals with, wherever the stack runs (see `secretSealer`).
      QG_SECRETS_KEY_FILE: resolve(process.env.QG_SECRETS_KEY_FILE || DEFAULT_LOCAL_KEY_FILE),
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      ...(profile ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${profile}`.trim() } : {}),
    },
  });
  const exited = once(child, 'exit');
  const lines: string[] = [];
  let banner = '';
  const bannerSeen = new Promise<void>((resolve, reject) => {
    // Whole lines: a chunk of a pipe may end mid-line, and half of the banner's last line is not it.
    const keep = (line: string) => {
      if (line.trim() === '') return;
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      if (!banner.endsWith(BANNER_END)) banner += `${line}\n`;
      if (line.trim() === BANNER_END) {
        banner = banner.trimEnd();
        resolve();
      }
    };
    for (const output of [child.stdout, child.stderr]) {
      if (output) createInterface({ input: output }).on('line', keep);
    }
    void exited.then(() => reject(new Error(`npm start exited before its banner:\n${lines.join('\n')}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  try {
    await bannerSeen;
  } finally {
    clearTimeout(timer);
  }
  const url = (label: string) => {
    const found = new RegExp(`${label}:\\s+(http://\\S+)`).exec(banner)?.[1];
    if (!found) throw new Error(`no ${label} in the banner:\n${banner}`);
    return found;
  };
  const pid = child.pid as number;
  return {
    process: child,
    exited,
    gatewayUrl: url('Gateway \\(Function URL\\)'),
    dynamoEndpoint: url('DynamoDB \\(dynalite\\)'),
    processIds: () => processTree(pid),
    cpuMs: async () => ((await cpuTicks(await processTree(pid))) * 1000) / CLOCK_TICKS,
    partsByProcess: () => partsOf(pid),
    cpuMsByPart: async () => {
      const parts: Record<StackPart, number> = { main: 0, dynalite: 0, recorder: 0, other: 0 };
      const partOfId = await partsOf(pid);
      for (const [id, ticks] of await cpuTicksByProcess([...partOfId.keys()]))
        parts[partOfId.get(id) ?? 'other'] += (ticks * 1000) / CLOCK_TICKS;
      return parts;
    },
    output: () => [...lines],
    async stop() {
      const tree = await processTree(pid);
      const started = performance.now();
      const exitCode = await stopChild(child, exited, options.ownProcessGroup === true);
      const stopMs = performance.now() - started;
      // A child of the stack may take a moment longer than its parent to notice and leave (on a
      // loaded machine, seconds): the bound only delays a run where one stays.
      const leftovers = await waitUntilGone(tree, 10_000);
      if (folder) await rm(folder, { recursive: true, force: true });
      return { exitCode, stopMs, leftovers };
    },
  };
}

/** The processes of the stack's tree by part: the main one, then its children by their script. */
async function partsOf(main: number): Promise<Map<number, StackPart>> {
  const parts = new Map<number, StackPart>();
  for (const id of await processTree(main)) {
    const line = id === main ? '' : await commandLine(id);
    parts.set(
      id,
      id === main
        ? 'main'
        : /dynalite-process\.(ts|mjs)/.test(line)
          ? 'dynalite'
          : /recorder-process\.(ts|mjs)/.test(line)
            ? 'recorder'
            : 'other',
    );
  }
  return parts;
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  group: boolean,
): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) {
    if (group) process.kill(-(child.pid as number), 'SIGINT');
    else child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  return child.exitCode;
}
