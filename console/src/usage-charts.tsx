/** The four charts of a usage summary (requests, cost, tokens, errors) and its top-N tables. */
import { useMemo } from 'preact/hooks';
import { Chart } from './chart.tsx';
import { type Column, DataTable } from './components.tsx';
import { count, usd } from './format.ts';
import type { TopEntry, UsageSummary } from './types.ts';

export function UsageCharts({ summary, title }: { summary: UsageSummary; title: string }) {
  const lines = useMemo(() => {
    const times = summary.series.map((point) => Date.parse(point.start) / 1000);
    const of = (pick: (point: UsageSummary['series'][number]) => number) => summary.series.map(pick);
    return {
      times,
      requests: [{ label: 'Requests', values: of((p) => p.requests), color: '#2563eb', format: count }],
      cost: [
        { label: 'Billed', values: of((p) => p.billedNano), color: '#059669', format: usd },
        { label: 'List cost', values: of((p) => p.costNano), color: '#9333ea', format: usd },
      ],
      tokens: [
        { label: 'Input tokens', values: of((p) => p.inputTokens), color: '#0891b2', format: count },
        { label: 'Output tokens', values: of((p) => p.outputTokens), color: '#ea580c', format: count },
      ],
      errors: [{ label: 'Errors', values: of((p) => p.errors), color: '#dc2626', format: count }],
    };
  }, [summary]);
  return (
    <div class="charts" data-records={summary.total.requests}>
      <p class="totals">
        {title}: <strong>{count(summary.total.requests)}</strong> requests,{' '}
        <strong>{usd(summary.total.billedNano)}</strong> billed,{' '}
        <strong>{count(summary.total.inputTokens + summary.total.outputTokens)}</strong> tokens,{' '}
        <strong>{count(summary.total.errors)}</strong> errors
        {summary.truncated ? ' (the range held more records than one summary reads: narrow it)' : ''}
      </p>
      <div class="chart-grid">
        <Chart title={`Requests ${title}`} times={lines.times} series={lines.requests} />
        <Chart title={`Cost ${title}`} times={lines.times} series={lines.cost} />
        <Chart title={`Tokens ${title}`} times={lines.times} series={lines.tokens} />
        <Chart title={`Errors ${title}`} times={lines.times} series={lines.errors} />
      </div>
    </div>
  );
}

export function TopTable({
  caption,
  entries,
  name,
}: {
  caption: string;
  entries: TopEntry[];
  name?: (id: string) => string;
}) {
  const columns: Column<TopEntry>[] = [
    { label: 'Who', cell: (entry) => name?.(entry.id) ?? entry.id },
    { label: 'Requests', cell: (entry) => count(entry.requests), numeric: true },
    { label: 'Tokens', cell: (entry) => count(entry.inputTokens + entry.outputTokens), numeric: true },
    { label: 'Billed', cell: (entry) => usd(entry.billedNano), numeric: true },
  ];
  return <DataTable caption={caption} columns={columns} rows={entries} rowKey={(entry) => entry.id} />;
}
