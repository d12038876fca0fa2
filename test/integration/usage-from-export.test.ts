import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ApiKey } from '#shared/domain/types.ts';
import {
  type ExportTarget,
  snapshotTable,
  writeFullExport,
  writeIncrementalExport,
} from '../support/dynamodb-export.ts';
import { startLocalS3 } from '../support/local-s3.ts';
import {
  KEYS,
  type RecorderWorld,
  SimulatedCrash,
  startRecorderWorld,
  usageEvent,
} from './recorder-harness.ts';
import { runUsage } from './usage-cli.ts';

const BUCKET = 'acme-finance-exports';
const RANGE = ['--from', '2026-11-20', '--to', '2026-11-22'];
/** Longer than a dead delivery's lease (its deadline plus 30 s). */
const LEASE_OVER_MS = 60_000;

describe('quotagate usage from-export', () => {
  let world: RecorderWorld;
  let raw: DynamoDBClient;
  let root: string;
  let exportTarget: ExportTarget;
  let full: string;
  let incremental1: string;
  let incremental2: string;
  /** `usage export` of the range before the incrementals' changes, and the pending ids then. */
  let before1: { csv: string; jsonl: string };

  const run = (args: string[]) => runUsage(world, args);

  async function ok(args: string[]): Promise<string> {
    const { code, stdout, stderr } = await run(args);
    assert.equal(code, 0, stderr);
    return stdout;
  }

  function record(id: string, key: number, startedAt: string, client = world.recorderClient) {
    const event = usageEvent(id, KEYS[key] as ApiKey, {
      startedAt,
      endedAt: new Date(Date.parse(startedAt) + 1500).toISOString(),
    });
    return world.runtime(client).record(event);
  }

  /** A delivery that dies after `writes` writes leaves the record pending. */
  async function recordPending(id: string, key: number, startedAt: string, writes: number) {
    await assert.rejects(record(id, key, startedAt, world.crashAfterWrites(writes)), SimulatedCrash);
  }

  before(async () => {
    world = await startRecorderWorld();
    raw = new DynamoDBClient({
      endpoint: world.db.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    root = await mkdtemp(join(tmpdir(), 'qg-from-export-'));
    exportTarget = {
      root,
      bucket: BUCKET,
      prefix: 'quotagate/usage',
      tableArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${world.tables.usage}`,
    };

    // Six applied records over three days and three keys; two left pending (one before any
    // charge, one after some), as crashed deliveries leave them.
    for (let index = 0; index < 6; index += 1) {
      await record(`r-0${index}`, index % 3, `2026-11-${20 + (index % 3)}T0${index}:00:00.000Z`);
    }
    await recordPending('p-00', 0, '2026-11-21T10:00:00.000Z', 1);
    await recordPending('p-01', 1, '2026-11-22T10:00:00.000Z', 3);
    const atFull = await snapshotTable(raw, world.tables.usage);
    full = await writeFullExport(exportTarget, atFull, new Date('2026-11-23T00:00:00.000Z'));
    before1 = {
      csv: await ok(['export', ...RANGE]),
      jsonl: await ok(['export', ...RANGE, '--format', 'jsonl']),
    };

    // Incremental 1: a pending record completed by its redelivery (once the dead delivery's
    // lease has run out), two records added.
    world.clock.advance(LEASE_OVER_MS);
    await record('p-00', 0, '2026-11-21T10:00:00.000Z');
    await record('r-06', 2, '2026-11-22T20:00:00.000Z');
    await record('r-07', 0, '2026-11-20T23:59:59.999Z');
    const atFirst = await snapshotTable(raw, world.tables.usage);
    incremental1 = await writeIncrementalExport(exportTarget, atFull, atFirst, {
      from: new Date('2026-11-23T00:00:00.000Z'),
      to: new Date('2026-11-24T00:00:00.000Z'),
      writtenAt: new Date('2026-11-23T09:00:00.000Z'),
    });

    // Incremental 2: the other pending record completed, one more added.
    await record('p-01', 1, '2026-11-22T10:00:00.000Z');
    await record('r-08', 1, '2026-11-21T12:00:00.000Z');
    incremental2 = await writeIncrementalExport(
      exportTarget,
      atFirst,
      await snapshotTable(raw, world.tables.usage),
      {
        from: new Date('2026-11-24T00:00:00.000Z'),
        to: new Date('2026-11-25T00:00:00.000Z'),
        writtenAt: new Date('2026-11-24T09:00:00.000Z'),
      },
    );
  });
  after(async () => {
    raw.destroy();
    await world.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes from a full export alone what usage export wrote then, without the pending records', async () => {
    // Prepare: what usage export listed at the full export's time, the two pending rows taken out.
    const withoutPending = (text: string) =>
      text
        .split('\n')
        .filter((line) => !/^"?p-0/.test(line) && !line.includes('"requestId":"p-0'))
        .join('\n');
    assert.equal(before1.csv.split('\n').length - withoutPending(before1.csv).split('\n').length, 2);

    // Act
    const csv = await ok(['from-export', full, ...RANGE]);
    const jsonl = await ok(['from-export', full, ...RANGE, '--format', 'jsonl']);

    // Assess
    assert.equal(csv, withoutPending(before1.csv));
    assert.equal(jsonl, withoutPending(before1.jsonl));
    assert.equal(csv.trimEnd().split('\n').length, 1 + 6);
  });

  it('applies two incrementals that complete, add and change records: byte for byte usage export', async () => {
    const csv = await ok(['from-export', full, incremental1, incremental2, ...RANGE]);
    const expected = await ok(['export', ...RANGE]);
    assert.equal(csv, expected);
    assert.equal(csv.trimEnd().split('\n').length, 1 + 11);
    assert.equal(
      await ok(['from-export', full, incremental1, incremental2, ...RANGE, '--format', 'jsonl']),
      await ok(['export', ...RANGE, '--format', 'jsonl']),
    );
  });

  it('gives the same bytes whatever order the exports are named in, and with --out says what it wrote', async () => {
    const out = join(root, 'november.csv');
    const { code, stdout, stderr } = await run([
      'from-export',
      incremental2,
      full,
      incremental1,
      ...RANGE,
      '--out',
      out,
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, '');
    assert.equal(await readFile(out, 'utf8'), await ok(['export', ...RANGE]));
    assert.match(
      stderr,
      /^Wrote 11 usage record\(s\) \(--from 2026-11-20 --to 2026-11-22, 3 export\(s\); started 2026-11-20T00:00:00\.000Z to 2026-11-22T20:00:00\.000Z\) as CSV to .*november\.csv\.\n$/,
    );
  });

  it('keeps a record the table deleted later (the TTL), since the exports are the ledger of record', async () => {
    const kept = await ok(['from-export', full, incremental1, incremental2, ...RANGE]);
    const atSecond = await snapshotTable(raw, world.tables.usage);
    await raw.send(
      new DeleteItemCommand({
        TableName: world.tables.usage,
        Key: { pk: { S: 'REQ#r-00' }, sk: { S: 'REQ' } },
      }),
    );
    const deletion = await writeIncrementalExport(
      exportTarget,
      atSecond,
      await snapshotTable(raw, world.tables.usage),
      {
        from: new Date('2026-11-25T00:00:00.000Z'),
        to: new Date('2026-11-26T00:00:00.000Z'),
        writtenAt: new Date('2026-11-25T09:00:00.000Z'),
      },
    );
    const after = await ok(['from-export', full, incremental1, incremental2, deletion, ...RANGE]);
    assert.equal(after, kept);
    assert.ok(after.includes('\nr-00,'));
  });

  it('reads the same exports from an s3:// prefix', async () => {
    const s3 = await startLocalS3(BUCKET, root);
    try {
      const url = (folder: string) => `s3://${BUCKET}/${folder.slice(root.length + 1)}`;
      const csv = await ok([
        'from-export',
        url(full),
        url(incremental1),
        url(incremental2),
        ...RANGE,
        '--s3-endpoint',
        s3.endpoint,
      ]);
      assert.equal(csv, await ok(['from-export', full, incremental1, incremental2, ...RANGE]));
      assert.ok(s3.requests.some((key) => key.startsWith('quotagate/usage/AWSDynamoDB/data/')));
    } finally {
      await s3.close();
    }
  });

  it('refuses exports it cannot fold, saying why', async () => {
    const cases: [string[], number, RegExp][] = [
      [['from-export', incremental1], 2, /exactly one full export .* got 0/],
      [['from-export', full, full], 2, /exactly one full export .* got 2/],
      [['from-export'], 2, /at least one full export/],
      [['from-export', join(root, 'nowhere')], 1, /holds no manifest-summary\.json/],
      [['from-export', full, '--format', 'xlsx'], 2, /--format must be csv or jsonl/],
    ];
    for (const [args, exitCode, message] of cases) {
      const { code, stderr } = await run(args);
      assert.equal(code, exitCode, args.join(' '));
      assert.match(stderr, message);
    }
  });

  it('refuses a data file with fewer items than its manifest says (a truncated copy)', async () => {
    // Prepare: a copy of the full export whose first data file lost its lines.
    const copy = await writeFullExport(
      exportTarget,
      await snapshotTable(raw, world.tables.usage),
      new Date(),
    );
    const manifest = (await readFile(join(copy, 'manifest-files.json'), 'utf8')).split('\n')[0] ?? '';
    const { dataFileS3Key } = JSON.parse(manifest) as { dataFileS3Key: string };
    await writeFile(join(root, dataFileS3Key), gzipSync(''));

    // Act
    const { code, stderr } = await run(['from-export', copy]);

    // Assess
    assert.equal(code, 1);
    assert.match(stderr, /holds 0 item\(s\) but the manifest says \d+; the copy is incomplete/);
  });
});
