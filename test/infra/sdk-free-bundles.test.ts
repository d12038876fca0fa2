/**
 * The bundles of the functions that send every AWS request through the project's JSON clients,
 * built as the stack builds them (`infra/bundling.ts`, through the bench's `bundleFunction`): the
 * gateway (a new instance's first request waits for its cold start), the recorder (cold-started at
 * every scale-out of the usage events), the token refresh (every 5 minutes) and the admin API
 * (whose cold start the console and the CLI wait for). No AWS SDK client may come back into them:
 * lib-dynamodb's command classes alone pull in `@aws-sdk/client-dynamodb`, its credential chain
 * and smithy, about 300 KB a cold start would read and evaluate.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Metafile } from 'esbuild';
import { bundleFunction, type FunctionName } from '../../bench/bundle.ts';

/**
 * The one SDK package they keep: util-dynamodb's marshall and unmarshall (pure functions, no
 * client, no smithy, 5 KB), which translate items for the JSON client exactly as the SDK's
 * document client does, so an item reads back the same whichever client wrote it.
 */
const ALLOWED = new Set(['@aws-sdk/util-dynamodb']);

const FUNCTIONS: { name: FunctionName; ownFile: string }[] = [
  { name: 'gateway', ownFile: 'shared/store/dynamo/slot-store.ts' },
  { name: 'recorder', ownFile: 'shared/store/dynamo/usage-ledger.ts' },
  { name: 'tokenRefresh', ownFile: 'shared/store/dynamo/oauth-account-store.ts' },
  { name: 'admin', ownFile: 'shared/store/dynamo/config-admin.ts' },
];

let dir: string;
const metafiles = new Map<FunctionName, Metafile>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quotagate-sdk-free-bundles-'));
  for (const { name } of FUNCTIONS)
    metafiles.set(name, await bundleFunction(name, join(dir, name, 'index.mjs')));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('the bundles without the AWS SDK', { timeout: 120_000 }, () => {
  for (const { name, ownFile } of FUNCTIONS) {
    it(`${name}: holds no AWS SDK client and nothing of smithy`, () => {
      const inputs = Object.keys(metafiles.get(name)?.inputs ?? {});
      const sdk = inputs.filter((input) => {
        const pkg = /node_modules\/(@(?:aws-sdk|smithy)\/[^/]+)\//.exec(input)?.[1];
        return pkg !== undefined && !ALLOWED.has(pkg);
      });

      assert.deepEqual(sdk, []);
      // The paths are read as they are written: the function's own stores are among them.
      assert.ok(inputs.some((input) => input.endsWith(ownFile)));
    });
  }
});
