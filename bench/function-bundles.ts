/**
 * `npm run bench:bundles [-- --imports N --top N]`: every function's bundle as the stack builds it
 * (`bench/bundle.ts`, `infra/bundling.ts`): its size, the median wall and CPU time of N fresh
 * imports with the function's NODE_OPTIONS, and what it is made of (esbuild's metafile, by npm
 * package, the project's own files together). A function's import is evaluated at each cold
 * start, which Lambda bills since 2025, so a package a function never uses costs it there.
 *
 * `--base DIR [--rounds R]` compares instead each function of another checkout (DIR, e.g.
 * `git archive <commit> | tar -x -C DIR` with `node_modules` linked) with this one's, both bundled
 * with this checkout's settings: R rounds of N imports of each bundle, the order swapped every
 * other round, so a loaded machine's drift falls on both alike; medians over all of them.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FUNCTION_ENTRIES } from '../infra/function-entries.ts';
import {
  bundleFunction,
  type FunctionName,
  measureFunctionBundle,
  packagesIn,
  timeImports,
} from './bundle.ts';
import { distribution } from './stats.ts';

const { values } = parseArgs({
  options: {
    imports: { type: 'string' },
    top: { type: 'string', default: '8' },
    base: { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
});
const NAMES = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const load = () => loadavg()[0]?.toFixed(1);

/** Each function alone: size, import times and its packages. */
async function measure(imports: number, top: number): Promise<void> {
  for (const name of NAMES) {
    const figures = await measureFunctionBundle(name, imports);
    console.log(
      `\n${name}: ${figures.bytes.toLocaleString('en')} bytes (+ ${kb(figures.sourceMapBytes)} map); import median ` +
        `${figures.importMsMedian.toFixed(1)} ms (${figures.importMs.map((ms) => ms.toFixed(0)).join(', ')}), ` +
        `CPU ${figures.importCpuMsMedian.toFixed(1)} ms`,
    );
    const packages = [...packagesIn(figures.metafile)];
    for (const [pkg, bytes] of packages.slice(0, top)) console.log(`  ${kb(bytes).padStart(7)}  ${pkg}`);
    if (packages.length > top) console.log(`  … and ${packages.length - top} more packages`);
  }
}

/** Each function of `base` against this checkout's, in alternating rounds. */
async function compare(base: string, rounds: number, imports: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'quotagate-bundles-ab-'));
  try {
    const sides = { base, this: '.' } as const;
    const files = new Map<string, string>();
    const bytes = new Map<string, number>();
    const wall = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    for (const name of NAMES)
      for (const [side, root] of Object.entries(sides)) {
        const outfile = join(dir, side, name, 'index.mjs');
        await bundleFunction(name, outfile, root);
        files.set(`${side}/${name}`, outfile);
        bytes.set(`${side}/${name}`, (await stat(outfile)).size);
      }
    for (let round = 0; round < rounds; round++)
      for (const name of NAMES)
        for (const side of round % 2 === 0 ? ['base', 'this'] : ['this', 'base']) {
          const key = `${side}/${name}`;
          for (const [ms, cpuMs] of await timeImports(name, files.get(key) as string, imports)) {
            wall.set(key, [...(wall.get(key) ?? []), ms]);
            cpu.set(key, [...(cpu.get(key) ?? []), cpuMs]);
          }
        }
    const median = (figures: Map<string, number[]>, key: string) =>
      distribution(figures.get(key) ?? []).p50.toFixed(1);
    console.log(`\n${rounds * imports} imports of each bundle; base → this checkout`);
    console.log('function | bytes | import CPU median | import wall median');
    for (const name of NAMES) {
      const [b, t] = [`base/${name}`, `this/${name}`];
      console.log(
        `${name} | ${bytes.get(b)?.toLocaleString('en')} → ${bytes.get(t)?.toLocaleString('en')} | ` +
          `${median(cpu, b)} → ${median(cpu, t)} ms | ${median(wall, b)} → ${median(wall, t)} ms`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`Load average (1 min) before: ${load()}`);
if (values.base) await compare(values.base, Number(values.rounds), Number(values.imports ?? 3));
else await measure(Number(values.imports ?? 5), Number(values.top));
console.log(`\nLoad average (1 min) after: ${load()}`);
