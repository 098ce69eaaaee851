import { useMemo, useState } from 'preact/hooks';
import { api, daysAgo, isoDay, usd, type ListPage } from '../api';
import { StackedChart } from '../chart';
import { downloadCsv, Field, Status, Table, useLoad } from '../ui';
import { BudgetMeter, useBudgetUse } from './keys-budget';

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

/** Budget use per team this period, with the reset date (GET /admin/budget-use). */
function BudgetUse() {
  const [teams] = useLoad(() => api.get<ListPage<Team>>('/admin/teams', { limit: 500 }), []);
  const [use, failed] = useBudgetUse('team', undefined);
  const name = (id: string) => (teams.state === 'ok' ? (teams.data.data.find((t) => t.id === id)?.name ?? id) : id);
  const rows = [...use.values()];
  return (
    <section aria-labelledby="budget-use">
      <h2 id="budget-use">Team budgets, this period</h2>
      {failed ? (
        <p class="error" role="alert">Could not load the budget use.</p>
      ) : !rows.length ? (
        <p class="empty" role="status">No team has a budget.</p>
      ) : (
        <ul class="budgets">
          {rows.map((u) => (
            <li data-team={u.id}>
              <span>{name(u.id)}</span>
              <BudgetMeter use={u} label={`Team ${name(u.id)}`} />
            </li>
          ))}
        </ul>
      )}
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
          {(d) => <Table caption="Top keys by spend" rows={d.data} rowKey={(r) => r.group} columns={[{ label: 'Key', cell: (r) => (r.group ? <a href={`#/keys/${r.group}`}>{r.group}</a> : '(none)') }, { label: 'Requests', num: true, cell: (r) => r.requests }, { label: 'Spend', num: true, cell: (r) => usd(r.cost_usd) }]} />}
        </Status>
      </section>
      <BudgetUse />
    </>
  );
}
