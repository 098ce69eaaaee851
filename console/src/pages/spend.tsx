import { useMemo, useState } from 'preact/hooks';
import { api, daysAgo, isoDay, usd, type ListPage } from '../api';
import { StackedChart } from '../chart';
import { downloadCsv, Field, Status, Table, useLoad } from '../ui';

interface Series {
  days: string[];
  series: Array<{ group: string; cost_usd: number[]; requests: number[]; total_tokens: number[] }>;
}

interface Team {
  id: string;
  name: string;
  budget: { max_usd: number; period: string } | null;
}

interface SpendRow {
  group: string;
  cost_usd: number;
  requests: number;
}

/** First day of the current budget period (UTC), matching how budgets reset. */
function periodStart(period: string): string {
  const now = new Date();
  if (period === 'daily') return isoDay(now);
  if (period === 'weekly') return daysAgo((now.getUTCDay() + 6) % 7);
  if (period === 'monthly') return isoDay(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)));
  return '2000-01-01';
}

function BudgetUse() {
  const [load] = useLoad(async () => {
    const teams = (await api.get<ListPage<Team>>('/admin/teams', { limit: 500 })).data.filter((t) => t.budget);
    return Promise.all(
      teams.map(async (t) => {
        const r = await api.get<{ total: { cost_usd: number } }>('/admin/spend', { group_by: 'team', team_id: t.id, from: periodStart(t.budget!.period), to: isoDay(new Date()) });
        return { team: t, spent: r.total.cost_usd };
      }),
    );
  }, []);
  return (
    <section aria-labelledby="budget-use">
      <h2 id="budget-use">Team budgets, this period</h2>
      <Status load={load} empty={(d) => !d.length}>
        {(d) => (
          <ul class="budgets">
            {d.map(({ team, spent }) => (
              <li>
                <span>{team.name}</span>
                <progress max={team.budget!.max_usd} value={Math.min(spent, team.budget!.max_usd)} aria-label={`${team.name} budget use`} />
                <span>
                  {usd(spent)} of {usd(team.budget!.max_usd)} ({team.budget!.period})
                </span>
              </li>
            ))}
          </ul>
        )}
      </Status>
    </section>
  );
}

export function SpendPage() {
  const [groupBy, setGroupBy] = useState('model');
  const [from, setFrom] = useState(daysAgo(13));
  const [to, setTo] = useState(isoDay(new Date()));
  const [series] = useLoad(() => api.get<Series>('/admin/spend/series', { group_by: groupBy, from, to }), [groupBy, from, to]);
  const [topKeys] = useLoad(() => api.get<{ data: SpendRow[] }>('/admin/spend', { group_by: 'key', from, to, limit: 10 }), [from, to]);
  const chartSeries = useMemo(() => (series.state === 'ok' ? series.data.series.map((s) => ({ label: s.group, values: s.cost_usd })) : []), [series]);
  return (
    <>
      <h1>Spend</h1>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <Field label="Group by">
          <select name="group_by" value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value)}>
            <option value="model">model</option>
            <option value="team">team</option>
            <option value="key">key</option>
          </select>
        </Field>
        <Field label="From">
          <input type="date" name="from" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label="To">
          <input type="date" name="to" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </Field>
      </form>
      <Status load={series} empty={(d) => !d.series.length}>
        {(d) => (
          <>
            <StackedChart days={d.days} series={chartSeries} label={`Spend per day by ${groupBy}, stacked`} unit={(n) => usd(n)} />
            <button
              type="button"
              onClick={() =>
                downloadCsv(
                  `skyway-spend-${groupBy}-${from}-${to}.csv`,
                  ['day', groupBy, 'cost_usd', 'requests', 'total_tokens'],
                  d.series.flatMap((s) => d.days.map((day, i) => [day, s.group, s.cost_usd[i]!, s.requests[i]!, s.total_tokens[i]!])),
                )
              }
            >
              Export CSV
            </button>
            <Table
              caption={`Spend by ${groupBy}`}
              rows={d.series}
              rowKey={(s) => s.group}
              columns={[
                { label: groupBy, cell: (s) => s.group },
                { label: 'Requests', num: true, cell: (s) => s.requests.reduce((a, b) => a + b, 0) },
                { label: 'Tokens', num: true, cell: (s) => s.total_tokens.reduce((a, b) => a + b, 0) },
                { label: 'Spend', num: true, cell: (s) => usd(s.cost_usd.reduce((a, b) => a + b, 0)) },
              ]}
            />
          </>
        )}
      </Status>
      <section aria-labelledby="top-keys">
        <h2 id="top-keys">Top keys</h2>
        <Status load={topKeys} empty={(d) => !d.data.length}>
          {(d) => <Table caption="Top keys by spend" rows={d.data} rowKey={(r) => r.group} columns={[{ label: 'Key', cell: (r) => r.group }, { label: 'Requests', num: true, cell: (r) => r.requests }, { label: 'Spend', num: true, cell: (r) => usd(r.cost_usd) }]} />}
        </Status>
      </section>
      <BudgetUse />
    </>
  );
}
