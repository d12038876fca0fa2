import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExportInfo } from '#shared/store/table-exports.ts';
import { nextWindow, planExports } from '#shared/usage/export-schedule.ts';

const at = (iso: string) => Date.parse(iso);
let serial = 0;

function full(status: ExportInfo['status'], exportTime: string): ExportInfo {
  serial += 1;
  return {
    arn: `e${serial}`,
    status,
    type: 'FULL_EXPORT',
    startTime: at(exportTime),
    exportTime: at(exportTime),
  };
}

function incremental(status: ExportInfo['status'], from: string, to: string): ExportInfo {
  serial += 1;
  return {
    arn: `e${serial}`,
    status,
    type: 'INCREMENTAL_EXPORT',
    startTime: at(to),
    from: at(from),
    to: at(to),
  };
}

describe('planning the Usage table exports', () => {
  it('starts the one full export when there is none', () => {
    const plan = planExports([], at('2026-12-03T10:30:00Z'));
    assert.deepEqual(plan.start, { type: 'FULL_EXPORT', clientToken: 'quotagate-full-0' });
    assert.equal(plan.coveredUntil, undefined);
    assert.equal(plan.lagHours, 0);
  });

  it('waits for the full export day to end, then exports the rest of that day', () => {
    const exports = [full('COMPLETED', '2026-12-03T10:05:00Z')];
    assert.equal(planExports(exports, at('2026-12-03T23:30:00Z')).start, undefined);
    // 00:10 is less than 15 minutes after midnight: not yet.
    assert.equal(planExports(exports, at('2026-12-04T00:10:00Z')).start, undefined);
    assert.deepEqual(planExports(exports, at('2026-12-04T00:30:00Z')).start, {
      type: 'INCREMENTAL_EXPORT',
      from: at('2026-12-03T10:05:00Z'),
      to: at('2026-12-04T00:00:00Z'),
      clientToken: 'quotagate-2026-12-03T100500.000Z-2026-12-04T000000.000Z-0',
    });
  });

  it('exports exactly the previous UTC day once the chain reaches midnight', () => {
    const exports = [
      full('COMPLETED', '2026-12-03T10:05:00Z'),
      incremental('COMPLETED', '2026-12-03T10:05:00Z', '2026-12-04T00:00:00Z'),
    ];
    const plan = planExports(exports, at('2026-12-05T00:30:00Z'));
    assert.deepEqual(plan.start && 'from' in plan.start && [plan.start.from, plan.start.to], [
      at('2026-12-04T00:00:00Z'),
      at('2026-12-05T00:00:00Z'),
    ]);
    assert.equal(plan.coveredUntil, at('2026-12-04T00:00:00Z'));
    assert.equal(plan.lagHours, 24.5);
  });

  it('starts nothing while the day is already being exported, and counts only completed coverage', () => {
    const exports = [
      full('COMPLETED', '2026-12-03T10:05:00Z'),
      incremental('COMPLETED', '2026-12-03T10:05:00Z', '2026-12-04T00:00:00Z'),
      incremental('IN_PROGRESS', '2026-12-04T00:00:00Z', '2026-12-05T00:00:00Z'),
    ];
    const plan = planExports(exports, at('2026-12-05T01:30:00Z'));
    assert.equal(plan.start, undefined);
    assert.equal(plan.coveredUntil, at('2026-12-04T00:00:00Z'));
    assert.equal(plan.lagHours, 25.5);
  });

  it('starts a failed window again with a new client token, and reports the failure until then', () => {
    const exports = [
      full('COMPLETED', '2026-12-03T10:05:00Z'),
      incremental('COMPLETED', '2026-12-03T10:05:00Z', '2026-12-04T00:00:00Z'),
      incremental('FAILED', '2026-12-04T00:00:00Z', '2026-12-05T00:00:00Z'),
    ];
    const plan = planExports(exports, at('2026-12-05T02:30:00Z'));
    assert.equal(plan.unresolvedFailures, 1);
    assert.deepEqual(plan.start, {
      type: 'INCREMENTAL_EXPORT',
      from: at('2026-12-04T00:00:00Z'),
      to: at('2026-12-05T00:00:00Z'),
      clientToken: 'quotagate-2026-12-04T000000.000Z-2026-12-05T000000.000Z-1',
    });
    const retried = [...exports, incremental('IN_PROGRESS', '2026-12-04T00:00:00Z', '2026-12-05T00:00:00Z')];
    assert.equal(planExports(retried, at('2026-12-05T03:30:00Z')).unresolvedFailures, 0);
  });

  it('starts a new full export when the only one failed', () => {
    const plan = planExports([full('FAILED', '2026-12-03T10:05:00Z')], at('2026-12-03T11:30:00Z'));
    assert.deepEqual(plan.start, { type: 'FULL_EXPORT', clientToken: 'quotagate-full-1' });
    assert.equal(plan.unresolvedFailures, 1);
  });

  it('measures the lag of a full export still running from when it was requested', () => {
    const plan = planExports([full('IN_PROGRESS', '2026-12-03T10:00:00Z')], at('2026-12-03T13:00:00Z'));
    assert.equal(plan.start, undefined);
    assert.equal(plan.lagHours, 3);
  });

  it('stretches a window shorter than 15 minutes to DynamoDB minimum', () => {
    assert.deepEqual(nextWindow(at('2026-12-03T23:50:00Z')), {
      from: at('2026-12-03T23:50:00Z'),
      to: at('2026-12-04T00:05:00Z'),
    });
    assert.deepEqual(nextWindow(at('2026-12-04T00:05:00Z')), {
      from: at('2026-12-04T00:05:00Z'),
      to: at('2026-12-05T00:00:00Z'),
    });
  });
});
