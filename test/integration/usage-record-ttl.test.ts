import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKey } from '#shared/domain/types.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { loadUsageRecordTtlDays } from '#shared/settings.ts';
import { KEYS, recorderWorldForSuite, SimulatedCrash, silentLogger, usageEvent } from './recorder-harness.ts';
import { runUsage } from './usage-cli.ts';

const TTL_DAYS = 400;

describe('the optional usage record TTL', () => {
  const world = recorderWorldForSuite();

  const withTtl = () =>
    createRecorderRuntime({
      tables: world.tables,
      client: world.client,
      logger: silentLogger,
      now: world.clock.now,
      usageRecordTtlDays: TTL_DAYS,
    });
  const item = (requestId: string) => world.getItem('usage', { pk: `REQ#${requestId}`, sk: 'REQ' });

  it('gives an applied record expiresAt the configured days after it was applied', async () => {
    // Act: applied at the world clock, 2026-11-27T12:00:00Z = 1795780800 s.
    await withTtl().record(usageEvent('ttl-applied', KEYS[0] as ApiKey));

    // Assess: 1795780800 + 400 × 86400, by hand.
    assert.equal((await item('ttl-applied'))?.expiresAt, 1_830_340_800);
  });

  it('never lets a pending record expire, nor a daily aggregate, nor any record when the TTL is off', async () => {
    await assert.rejects(
      createRecorderRuntime({
        tables: world.tables,
        client: world.crashAfterWrites(2),
        logger: silentLogger,
        now: world.clock.now,
        usageRecordTtlDays: TTL_DAYS,
      }).record(usageEvent('ttl-pending', KEYS[1] as ApiKey)),
      SimulatedCrash,
    );
    await world.runtime().record(usageEvent('ttl-off', KEYS[2] as ApiKey));

    assert.equal((await item('ttl-pending'))?.state, 'pending');
    assert.equal((await item('ttl-pending'))?.expiresAt, undefined);
    assert.equal((await item('ttl-off'))?.state, 'applied');
    assert.equal((await item('ttl-off'))?.expiresAt, undefined);
    const aggregates = (await world.scan('usage')).filter((entry) => entry.kind === 'aggregate');
    assert.ok(aggregates.length > 0);
    assert.ok(aggregates.every((aggregate) => aggregate.expiresAt === undefined));
  });

  it('keeps expiresAt out of the exported record', async () => {
    const { code, stdout, stderr } = await runUsage(world, [
      'export',
      '--from',
      '2026-11-27',
      '--to',
      '2026-11-27',
      '--format',
      'jsonl',
    ]);
    assert.equal(code, 0, stderr);
    const exported = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(exported.some((record) => record.requestId === 'ttl-applied'));
    assert.ok(exported.every((record) => !('expiresAt' in record)));
  });

  it('reads the days from QG_USAGE_RECORD_TTL_DAYS, off when unset, refused below 35', () => {
    assert.equal(loadUsageRecordTtlDays({}), undefined);
    assert.equal(loadUsageRecordTtlDays({ QG_USAGE_RECORD_TTL_DAYS: '35' }), 35);
    assert.throws(() => loadUsageRecordTtlDays({ QG_USAGE_RECORD_TTL_DAYS: '34' }), /at least 35/);
  });
});
