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
  // An external .map file without sources: Lambda loads only the code; with
  // `--enable-source-maps` Node reads the map lazily, when a stack trace is first formatted.
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
 * when a request needs it, so a cold start neither reads nor parses them: the tokenizer that
 * counts the usage of a stream cut short (`shared/gateway/token-count.ts`, 2.4 MB of rank table a
 * request which completes never needs) and undici, the HTTP client of accounts with an outbound
 * proxy (`shared/gateway/upstream-proxy.ts`, 720 KB; other upstream calls use node:http).
 */
export const GATEWAY_NODE_MODULES = ['gpt-tokenizer', 'undici'];

/**
 * The parts of {@link GATEWAY_NODE_MODULES} the gateway never loads (CommonJS and TypeScript
 * copies, raw data, the other encodings' rank tables, maps and typings), removed from the asset
 * after install: 30 MB of tokenizer package becomes 3.5 MB and undici's 2.7 MB about 2 MB, which
 * keeps the code package small.
 */
export const GATEWAY_NODE_MODULES_UNUSED = [
  'gpt-tokenizer/cjs',
  'gpt-tokenizer/src',
  'gpt-tokenizer/data',
  'gpt-tokenizer/esm/bpeRanks/cl100k_base.js',
  'gpt-tokenizer/esm/bpeRanks/p50k_base.js',
  'gpt-tokenizer/esm/bpeRanks/r50k_base.js',
  'undici/docs',
];

/** What the stack sets as NODE_OPTIONS on every function. */
export const FUNCTION_NODE_OPTIONS = '--enable-source-maps';

/**
 * The gateway's NODE_OPTIONS: those of every function, and a young generation of its own size.
 * V8 sizes its heap from the memory it has; with a heap limit like a 256 MB function's, the bench
 * measured the collector thrashing (8–10× the CPU per request) as short-lived request objects were
 * promoted early, and none of it with 16 MB semi-spaces (docs/deploy.md, "The gateway's memory").
 */
export const GATEWAY_NODE_OPTIONS = `${FUNCTION_NODE_OPTIONS} --max-semi-space-size=16`;
