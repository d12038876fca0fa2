/** Overview: the last 24 hours by hour, this month by day, and who used most this month. */
import { api } from '../api.ts';
import { Outcome, Section, useLoad } from '../components.tsx';
import type { List, UsageSummary, User } from '../types.ts';
import { TopTable, UsageCharts } from '../usage-charts.tsx';

export function OverviewPage() {
  const day = useLoad(() => api<UsageSummary>('GET', '/usage/summary', { query: { bucket: 'hour' } }), []);
  const month = useLoad(
    () => api<UsageSummary>('GET', '/usage/summary', { query: { bucket: 'day', top: '5' } }),
    [],
  );
  const users = useLoad(() => api<List<User>>('GET', '/users'), []);
  const email = (id: string) => users.data?.data.find((user) => user.id === id)?.email ?? id;
  return (
    <>
      <h1>Overview</h1>
      <Outcome error={day.error ?? month.error} />
      <Section title="Last 24 hours, by hour">
        {day.data ? <UsageCharts summary={day.data} title="in the last 24 hours" /> : <p>Loading…</p>}
      </Section>
      <Section title="This month, by day">
        {month.data ? <UsageCharts summary={month.data} title="this month" /> : <p>Loading…</p>}
      </Section>
      {month.data && (
        <Section title="Top this month">
          <div class="tops">
            <TopTable caption="Top users" entries={month.data.top.user} name={email} />
            <TopTable caption="Top keys" entries={month.data.top.key} />
            <TopTable caption="Top models" entries={month.data.top.model} />
          </div>
        </Section>
      )}
    </>
  );
}
