/**
 * A process and its descendants as Linux's /proc shows them: who is alive, and how much CPU the
 * tree has used. The local-stack tests check that no child outlives `npm start`; the bench adds
 * up the CPU of every process the stack runs.
 *
 * @example
 * ```ts
 * const tree = await processTree(child.pid);
 * child.kill('SIGKILL');
 * await waitUntilGone(tree, 10_000); // the ids still alive, [] when all have left
 * ```
 */
import { readdir, readFile } from 'node:fs/promises';

interface ProcStat {
  parent: number;
  cpuTicks: number;
}

/**
 * Fields of /proc/<pid>/stat after the command name (which may hold spaces): state, ppid, …,
 * utime, stime. A zombie has exited (it only waits to be reaped), so it counts as gone.
 */
async function statOf(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { parent: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** `root` and its descendants that are alive now, `root` first. */
export async function processTree(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = await statOf(pid);
    if (stat) parents.set(pid, stat.parent);
  }
  if (!parents.has(root)) return [];
  const tree = [root];
  for (let at = 0; at < tree.length; at += 1) {
    for (const [pid, parent] of parents) if (parent === tree[at]) tree.push(pid);
  }
  return tree;
}

/** The ids among `pids` whose process is still alive. */
export async function alive(pids: readonly number[]): Promise<number[]> {
  const states = await Promise.all(pids.map(async (pid) => ((await statOf(pid)) ? pid : 0)));
  return states.filter((pid) => pid !== 0);
}

/** Polls every 100 ms until none of `pids` is alive or `timeoutMs` passed; answers those left. */
export async function waitUntilGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = await alive(pids);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await alive(pids);
  }
  return left;
}

/** User + system CPU of the processes in `pids` that are alive, in clock ticks (see `getconf CLK_TCK`). */
export async function cpuTicks(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const ticks of (await cpuTicksByProcess(pids)).values()) sum += ticks;
  return sum;
}

/** User + system CPU of each process in `pids` that is alive, in clock ticks, by id. */
export async function cpuTicksByProcess(pids: readonly number[]): Promise<Map<number, number>> {
  const stats = await Promise.all(pids.map(async (pid) => [pid, await statOf(pid)] as const));
  return new Map(stats.flatMap(([pid, stat]) => (stat ? [[pid, stat.cpuTicks] as const] : [])));
}

/** The command line of a live process, its arguments joined by spaces; '' once it is gone. */
export async function commandLine(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
