/**
 * `npm run bench:bundles [-- --imports N --top N]`: every function's bundle as the stack builds it
 * (`bench/bundle.ts`, `infra/bundling.ts`): its size, the median wall and CPU time of N fresh
 * imports with the function's NODE_OPTIONS, and what it is made of (esbuild's metafile, by npm
 * package, the project's own files together). A function's import is evaluated at each cold
 * start, which Lambda bills since 2025, so a package a function never uses costs it there.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { FUNCTION_ENTRIES } from '../infra/function-entries.ts';
import { type FunctionName, measureFunctionBundle, packagesIn } from './bundle.ts';

const { values } = parseArgs({
  options: { imports: { type: 'string', default: '5' }, top: { type: 'string', default: '8' } },
});
const imports = Number(values.imports);
const top = Number(values.top);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

console.log(
  `Load average (1 min) before: ${loadavg()[0]?.toFixed(1)}; ${imports} fresh imports per function`,
);
for (const name of Object.keys(FUNCTION_ENTRIES) as FunctionName[]) {
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
console.log(`\nLoad average (1 min) after: ${loadavg()[0]?.toFixed(1)}`);
