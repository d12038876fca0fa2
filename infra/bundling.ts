/**
 * How every function is bundled, in one place: the stack's NodejsFunction bundling
 * (`quotagate-function.ts`) and the bench's bundle-size and import-time figures
 * (`bench/bundle.ts`) read these, so the bench measures exactly what Lambda loads.
 *
 * @example
 * ```ts
 * await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', ...ESBUILD_OPTIONS });
 * ```
 */

import { fileURLToPath } from 'node:url';

/**
 * package.json says "type": "module": bundle ESM, and give CommonJS dependencies the `require`
 * that ESM lacks (the alias avoids clashing with a bundled `createRequire`).
 */
export const BUNDLE_BANNER =
  "import { createRequire as quotagateCreateRequire } from 'node:module'; const require = quotagateCreateRequire(import.meta.url);";

/**
 * Imports a bundle resolves elsewhere: `http` to `node-http-builtin.ts`, which takes the module
 * without the ESM namespace whose creation loads Node's internal undici (that file says why).
 * An absolute path, so esbuild finds it whatever its working directory.
 */
export const BUNDLE_ALIAS = {
  http: fileURLToPath(new URL('./node-http-builtin.ts', import.meta.url)),
  'node:http': fileURLToPath(new URL('./node-http-builtin.ts', import.meta.url)),
} as const;

export const BUNDLING = {
  mainFields: ['module', 'main'],
  target: 'node24',
  minify: true,
  // An external .map file without sources, for stack traces that name the TypeScript sources.
  // With `--enable-source-maps` Node reads and decodes it as it loads the bundle (about 14 ms of
  // the gateway's import CPU, 6 of the recorder's, docs/benchmarks.md), so no function runs with
  // that flag: each entry reads its map at the first trace it formats (functions/lazy-source-maps.ts).
  sourceMap: true,
  sourcesContent: false,
} as const;

/** The same settings in esbuild's own option names, for bundling outside CDK. */
export const ESBUILD_OPTIONS = {
  format: 'esm',
  banner: { js: BUNDLE_BANNER },
  mainFields: [...BUNDLING.mainFields],
  target: BUNDLING.target,
  minify: BUNDLING.minify,
  sourcemap: BUNDLING.sourceMap,
  sourcesContent: BUNDLING.sourcesContent,
  alias: BUNDLE_ALIAS,
} as const;

/**
 * Packages the gateway loads from disk beside its bundle instead of bundling, each imported only
 * when a request needs it, so a cold start neither reads nor parses them: the `o200k_base` rank
 * table that counts the usage of a stream cut short (`shared/gateway/token-count.ts`, 2.3 MB a
 * request which completes never needs) and undici, the HTTP client of accounts with an outbound
 * proxy (`shared/gateway/upstream-proxy.ts`, 720 KB; other upstream calls use node:http).
 */
export const GATEWAY_NODE_MODULES = ['js-tiktoken', 'undici'];

/**
 * The parts of {@link GATEWAY_NODE_MODULES} the gateway never loads (js-tiktoken's own tokenizer
 * and its CommonJS copies, the other encodings' rank tables, undici's docs), removed from the
 * asset after install: js-tiktoken's 22 MB becomes the 2.3 MB `dist/ranks/o200k_base.js` and
 * undici's 2.7 MB about 2 MB, which keeps the code package small.
 */
export const GATEWAY_NODE_MODULES_UNUSED = [
  'js-tiktoken/dist/index.js',
  'js-tiktoken/dist/index.cjs',
  'js-tiktoken/dist/lite.cjs',
  ...['cl100k_base', 'gpt2', 'o200k_base', 'p50k_base', 'p50k_edit', 'r50k_base'].map(
    (encoding) => `js-tiktoken/dist/ranks/${encoding}.cjs`,
  ),
  ...['cl100k_base', 'gpt2', 'p50k_base', 'p50k_edit', 'r50k_base'].map(
    (encoding) => `js-tiktoken/dist/ranks/${encoding}.js`,
  ),
  'undici/docs',
];

/**
 * The gateway's NODE_OPTIONS, sized for its 160 MB (`function-memory.ts`): a young generation of
 * its own size and a cap on old space, and not `--enable-source-maps`, which would read its source
 * map at every cold start (its entry maps traces when one is formatted:
 * `functions/lazy-source-maps.ts`). The other functions have no NODE_OPTIONS. V8 sizes its heap from the
 * memory it has; with a heap limit like a 256 MB function's, the bench measured the collector
 * thrashing (8–10× the CPU per request) as short-lived request objects were promoted early from
 * the young generation V8 had sized down. 8 MB semi-spaces cost the same CPU per request as 16 MB
 * ones and 15 MB less resident (4 MB ones 5–8 MB less again, for about 6 % more CPU); 64 MB of old
 * space holds the 17 MB live heap, the token counter and the most a body the gateway accepts parses
 * into (17 MB: `MAX_BODY_VALUES`), which 48 MB would barely (docs/deploy.md, "The gateway's memory").
 */
export const GATEWAY_NODE_OPTIONS = '--max-semi-space-size=8 --max-old-space-size=64';

/**
 * The gateway's C allocator (glibc reads this at process start): every block of 128 KiB or more is
 * a mapping of its own, returned to the system when freed. By default glibc raises that threshold
 * to the largest block freed so far, so after one large body its multi-MB copies (Buffers and
 * strings, outside V8's heap) were reused from and kept in the allocator's heap: the bench measured
 * the 6 MB prompt cut short 10–14 MB lower with it, and no change in CPU per request.
 */
export const GATEWAY_ALLOCATOR_ENVIRONMENT = { MALLOC_MMAP_THRESHOLD_: '131072' } as const;
