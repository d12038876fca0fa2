/**
 * Reads a V8 `.cpuprofile` (written by the gateway process under `--profile`) and says where the
 * busy time went: per package or source file, inclusive (a sample counts for every package on its
 * stack, so the figures overlap) and by function, self time. Idle time is left out.
 *
 * @example
 * ```ts
 * console.log(summariseProfile(await readFile('bench/results/profiles/CPU….cpuprofile', 'utf8')));
 * ```
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = '(idle)';

/** `@smithy/core`, `node:net`, `shared/gateway/sse-relay.ts`, or `(native)` for V8 and GC frames. */
function ownerOf(url: string): string {
  if (!url) return '(native)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency?.[1]) return dependency[1];
  return url.replace(/^file:\/\/.*?\/(?=(shared|local|functions|bench)\/)/, '');
}

function top(totals: Map<string, number>, busyUs: number, count: number): string[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `  ${((100 * us) / busyUs).toFixed(1).padStart(5)} %  ${name}`);
}

/** The project's own code (not Node's, nor a package's). */
const OWN_CODE = /\/(shared|local|functions|bench)\/[^/]/;

/** `name file:line` of a frame, the file relative to the repository or named by its package. */
function frameName(frame: ProfileNode['callFrame']): string {
  return `${frame.functionName || '(anonymous)'} ${ownerOf(frame.url)}:${frame.lineNumber + 1}`;
}

/** A profile's samples, each with its time and its stack (leaf first); idle ones have an empty stack. */
function samplesOf(json: string): { us: number; stack: ProfileNode[] }[] {
  const profile = JSON.parse(json) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  return profile.samples.map((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    const stack: ProfileNode[] = [];
    for (let node = byId.get(id); node; node = byId.get(parentOf.get(node.id) ?? -1)) stack.push(node);
    return { us, stack: stack[0]?.callFrame.functionName === IDLE ? [] : stack };
  });
}

const add = (totals: Map<string, number>, name: string, us: number) =>
  totals.set(name, (totals.get(name) ?? 0) + us);

/**
 * Where a profile of a known number of requests spent its busy time, per request: by function,
 * inclusive (a sample counts once for every distinct function on its stack) and self, in µs per
 * request, the `count` largest of each; also busy µs per request in all.
 *
 * @example
 * ```ts
 * summariseByFunction(json, 2000, 25); // '… 412.3 µs/req  handle shared/gateway/router.ts:52 …'
 * ```
 */
export function summariseByFunction(json: string, requests: number, count = 30): string {
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  const caused = new Map<string, number>();
  let busyUs = 0;
  for (const { us, stack } of samplesOf(json)) {
    const [leaf] = stack;
    if (!leaf) continue;
    busyUs += us;
    add(self, frameName(leaf.callFrame), us);
    const own = stack.find(({ callFrame: { url } }) => OWN_CODE.test(url) && !url.includes('node_modules'));
    for (const name of new Set(stack.map((node) => frameName(node.callFrame)))) add(inclusive, name, us);
    // Time in Node or a package counts for the project's function that called it, if any did.
    add(
      caused,
      own ? frameName(own.callFrame) : `(runtime, no project frame) ${ownerOf(leaf.callFrame.url)}`,
      us,
    );
  }
  const perRequest = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => `  ${(us / requests).toFixed(1).padStart(7)} µs/req  ${name}`);
  return [
    `busy ${(busyUs / requests).toFixed(0)} µs/req over ${requests} requests (${(busyUs / 1000).toFixed(0)} ms)`,
    'Inclusive, by function:',
    ...perRequest(inclusive),
    'Self, by function:',
    ...perRequest(self),
    "Self plus the runtime's and packages' work it called, by the project's innermost function:",
    ...perRequest(caused),
  ].join('\n');
}

export function summariseProfile(json: string, title = 'Gateway'): string {
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  for (const { us, stack } of samplesOf(json)) {
    const [leaf] = stack;
    if (!leaf) {
      idleUs += us;
      continue;
    }
    busyUs += us;
    add(self, frameName(leaf.callFrame), us);
    const owners = new Set(stack.map((node) => ownerOf(node.callFrame.url)));
    // Every stack starts in V8 and the task queue; naming them tells nothing.
    owners.delete('(native)');
    owners.delete('node:internal/process/task_queues');
    for (const owner of owners) add(inclusive, owner, us);
  }
  return [
    `${title} CPU profile: ${(busyUs / 1000).toFixed(0)} ms busy, ${(idleUs / 1000).toFixed(0)} ms idle`,
    'Busy time by package or file (inclusive, overlapping):',
    ...top(inclusive, busyUs, 18),
    'Busy time by function (self):',
    ...top(self, busyUs, 12),
  ].join('\n');
}
