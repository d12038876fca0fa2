/**
 * The recorder's bundle as the stack builds it (`infra/bundling.ts`, through the bench's
 * `bundleFunction`): it sends every DynamoDB request through the project's JSON client, so no AWS
 * SDK client may come back into it. lib-dynamodb's command classes alone pull in
 * `@aws-sdk/client-dynamodb` and smithy (about 300 KB its cold start would read and evaluate).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Metafile } from 'esbuild';
import { bundleFunction } from '../../bench/bundle.ts';

/**
 * The one SDK package the recorder keeps: util-dynamodb's marshall and unmarshall (pure functions,
 * no client, no smithy, about 10 KB), which translate items for the JSON client exactly as the
 * SDK's document client does, so an item reads back the same whichever client wrote it.
 */
const ALLOWED = new Set(['@aws-sdk/util-dynamodb']);

let dir: string;
let metafile: Metafile;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quotagate-recorder-bundle-'));
  metafile = await bundleFunction('recorder', join(dir, 'index.mjs'));
});
after(() => rm(dir, { recursive: true, force: true }));

describe('the recorder bundle', { timeout: 120_000 }, () => {
  it('holds no AWS SDK client and nothing of smithy', () => {
    const inputs = Object.keys(metafile.inputs);
    const sdk = inputs.filter((input) => {
      const name = /node_modules\/(@(?:aws-sdk|smithy)\/[^/]+)\//.exec(input)?.[1];
      return name !== undefined && !ALLOWED.has(name);
    });

    assert.deepEqual(sdk, []);
    // The paths are read as they are written: the recorder's own stores are among them.
    assert.ok(inputs.some((input) => input.endsWith('shared/store/dynamo/usage-ledger.ts')));
  });
});
