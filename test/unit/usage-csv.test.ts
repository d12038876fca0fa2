import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { CSV_COLUMNS, csvCell, csvRow } from '#shared/usage/export.ts';
import { USAGE_RECORD_FIELDS } from '#shared/usage/record-fields.ts';

/** Splits one CSV line into cells, honouring quotes (enough for these rows). */
function cells(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quoted && char === '"' && line[index + 1] === '"') {
      cell += '"';
      index += 1;
    } else if (char === '"') quoted = !quoted;
    else if (char === ',' && !quoted) {
      out.push(cell);
      cell = '';
    } else cell += char;
  }
  out.push(cell.replace(/\n$/, ''));
  return out;
}

describe('usage CSV', () => {
  it('neutralises every cell a spreadsheet would run as a formula', () => {
    // Prepare: the texts OWASP lists as formula starters, and harmless look-alikes.
    const cases: [string, string][] = [
      ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
      ['=1+1', "'=1+1"],
      ['+1+1', "'+1+1"],
      ['-2+3', "'-2+3"],
      ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
      ['\t=1+1', "'\t=1+1"],
      ['\r=1+1', `"'\r=1+1"`],
      ['gpt-5.1-codex', 'gpt-5.1-codex'],
      ['a=b', 'a=b'],
    ];
    for (const [text, expected] of cases) assert.equal(csvCell(text), expected, JSON.stringify(text));
  });

  it('neutralises a hostile model name in a whole row', () => {
    const row = csvRow({ requestId: 'r1', modelRequested: '=cmd|" /C calc"!A0' } as UsageRecord);
    const modelCell = cells(row)[CSV_COLUMNS.indexOf('modelRequested')];
    assert.equal(modelCell, `'=cmd|" /C calc"!A0`);
  });

  it('puts the user email beside the id and exact USD beside each nano-USD amount', () => {
    // Prepare
    const record = {
      userId: 'usr_1',
      costNano: 30_375_000,
      chargeNano: 1,
      billedNano: 12_345_678_901_234,
    } as UsageRecord;

    // Act
    const row = cells(csvRow(record, 'ada@example.com'));
    const at = (column: string) => row[CSV_COLUMNS.indexOf(column)];

    // Assess: USD by hand, 1 USD = 1e9 nano-USD.
    assert.equal(CSV_COLUMNS[CSV_COLUMNS.indexOf('userId') + 1], 'userEmail');
    assert.equal(at('userEmail'), 'ada@example.com');
    for (const [nano, usd] of [
      ['costNano', 'costUsd'],
      ['chargeNano', 'chargeUsd'],
      ['billedNano', 'billedUsd'],
    ]) {
      assert.equal(CSV_COLUMNS[CSV_COLUMNS.indexOf(nano as string) + 1], usd);
    }
    assert.equal(at('costUsd'), '0.030375');
    assert.equal(at('chargeUsd'), '0.000000001');
    assert.equal(at('billedUsd'), '12345.678901234');
    assert.equal(at('billedNano'), '12345678901234');
  });

  it('has a column for every record field marked for the CSV, and only those plus the added ones', () => {
    const marked = Object.entries(USAGE_RECORD_FIELDS)
      .filter(([, spec]) => spec.csv)
      .map(([name]) => name);
    const added = ['userEmail', 'costUsd', 'chargeUsd', 'billedUsd'];
    assert.deepEqual([...CSV_COLUMNS].sort(), [...marked, ...added].sort());
    assert.equal(new Set(CSV_COLUMNS).size, CSV_COLUMNS.length);
  });
});
