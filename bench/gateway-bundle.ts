/**
 * The bench's gateway process as Lambda runs the gateway: bundled with the stack's own esbuild
 * settings (`infra/bundling.ts`: minified ESM, the SDK inside, the on-need packages left outside)
 * and run by plain Node with the stack's NODE_OPTIONS, not transpiled by tsx at load. Its CPU and
 * memory are then the bundle's: tsx alone adds about 50 MB of resident memory.
 *
 * The bundle is written under bench/results/ (git-ignored), inside the repository, so the packages
 * it leaves outside resolve from the repository's node_modules as they do beside the Lambda bundle.
 */
import { build } from 'esbuild';
import { ESBUILD_OPTIONS, GATEWAY_NODE_MODULES } from '../infra/bundling.ts';

const OUTFILE = 'bench/results/gateway-process/index.mjs';

/** Bundles bench/gateway-process.ts and answers the path of the bundle. */
export async function bundleGatewayProcess(): Promise<string> {
  await build({
    entryPoints: ['bench/gateway-process.ts'],
    bundle: true,
    platform: 'node',
    outfile: OUTFILE,
    logLevel: 'error',
    external: [...GATEWAY_NODE_MODULES],
    ...ESBUILD_OPTIONS,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
  });
  return OUTFILE;
}
