import { useState } from 'preact/hooks';
import { api, daysAgo, isoDay, usd } from '../api';
import { TimeChart } from '../time-chart';
import { Field, Status, Table, useLoad } from '../ui';

interface Group {
  group: string;
  requests: number;
  total_tokens: number;
  cost_usd: number;
}

interface Overview {
  spend: { requests: number; total_tokens: number; cost_usd: number };
  by_model: Group[];
  by_team: Group[];
  requests: { count: number; errors: number; error_rate: number | null; p50_ms: number | null; p95_ms: number | null; p50_overhead_ms: number | null; p95_overhead_ms: number | null };
}

interface Series {
  bucket: 'hour' | 'day';
  t: number[];
  totals: { requests: number[]; errors: number[]; error_rate: (number | null)[]; p50_ms: (number | null)[]; p95_ms: (number | null)[]; p50_overhead_ms: (number | null)[]; p95_overhead_ms: (number | null)[]; total_tokens: number[]; cost_usd: number[] };
  groups: Array<{ group: string; requests: number[]; total_tokens: number[]; cost_usd: number[] }>;
}

const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);
const count = (n: number) => (n >= 1e6 ? `${Number((n / 1e6).toPrecision(3))}M` : n >= 1e3 ? `${Number((n / 1e3).toPrecision(3))}k` : String(Number(n.toPrecision(3))));
const pct = (n: number) => `${Number((n * 100).toPrecision(3))}%`;
const msAxis = (n: number) => `${Number(n.toPrecision(3))} ms`;

/** The period as charts: server-side buckets (hours for up to two days, else days), by model or by team. */
function Charts({ from, to }: { from: string; to: string }) {
  const [groupBy, setGroupBy] = useState<'model' | 'team'>('model');
  const [load] = useLoad(() => api.get<Series>('/admin/overview/series', { from, to, group_by: groupBy }), [from, to, groupBy]);
  return (
    <section aria-labelledby="charts">
      <h2 id="charts">Over time</h2>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <Field label="Split tokens and spend by">
          <select name="chart_group_by" value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as 'model' | 'team')}>
            <option value="model">model</option>
            <option value="team">team</option>
          </select>
        </Field>
      </form>
      <Status load={load}>
        {(d) => {
          const hourly = d.bucket === 'hour';
          const by = (k: 'requests' | 'total_tokens' | 'cost_usd') => d.groups.map((g) => ({ label: g.group || '(none)', values: g[k] }));
          const tt = d.totals;
          return (
            <div class="charts">
              <TimeChart name="requests" label={`Requests per ${d.bucket}, by ${groupBy}`} t={d.t} hourly={hourly} stacked series={by('requests')} unit={count} />
              <TimeChart name="errors" label={`Error rate per ${d.bucket}`} t={d.t} hourly={hourly} series={[{ label: 'Error rate', values: tt.error_rate }]} unit={pct} floor={0.05} />
              <TimeChart name="latency" label="Latency and gateway overhead, p50 / p95" t={d.t} hourly={hourly} unit={msAxis}
                series={[{ label: 'p50', values: tt.p50_ms }, { label: 'p95', values: tt.p95_ms }, { label: 'Overhead p50', values: tt.p50_overhead_ms }, { label: 'Overhead p95', values: tt.p95_overhead_ms }]} />
              <TimeChart name="tokens" label={`Tokens per ${d.bucket}, by ${groupBy}`} t={d.t} hourly={hourly} stacked series={by('total_tokens')} unit={count} />
              <TimeChart name="spend" label={`Spend per ${d.bucket}, by ${groupBy}`} t={d.t} hourly={hourly} stacked series={by('cost_usd')} unit={usd} floor={0.0001} />
            </div>
          );
        }}
      </Status>
    </section>
  );
}

function Groups({ title, rows }: { title: string; rows: Group[] }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {rows.length ? (
        <Table caption={title} rows={rows} rowKey={(r) => r.group} columns={[{ label: 'Name', cell: (r) => r.group || '(none)' }, { label: 'Requests', num: true, cell: (r) => r.requests }, { label: 'Tokens', num: true, cell: (r) => r.total_tokens }, { label: 'Spend', num: true, cell: (r) => usd(r.cost_usd) }]} />
      ) : (
        <p class="empty">No spend in this period.</p>
      )}
    </section>
  );
}

export function OverviewPage() {
  const [from, setFrom] = useState(daysAgo(6));
  const [to, setTo] = useState(isoDay(new Date()));
  const [load] = useLoad(() => api.get<Overview>('/admin/overview', { from, to }), [from, to]);
  return (
    <>
      <h1>Overview</h1>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <Field label="From">
          <input type="date" name="from" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        </Field>
        <Field label="To">
          <input type="date" name="to" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </Field>
      </form>
      <Status load={load}>
        {(d) => (
          <>
            <dl class="tiles">
              <div><dt>Requests</dt><dd>{d.spend.requests}</dd></div>
              <div><dt>Error rate</dt><dd>{d.requests.error_rate === null ? '—' : `${(d.requests.error_rate * 100).toFixed(1)}%`}</dd></div>
              <div><dt>Latency p50 / p95</dt><dd>{ms(d.requests.p50_ms)} / {ms(d.requests.p95_ms)}</dd></div>
              <div><dt>Gateway overhead p50 / p95</dt><dd>{ms(d.requests.p50_overhead_ms)} / {ms(d.requests.p95_overhead_ms)}</dd></div>
              <div><dt>Tokens</dt><dd>{d.spend.total_tokens}</dd></div>
              <div><dt>Spend</dt><dd>{usd(d.spend.cost_usd)}</dd></div>
            </dl>
            <div class="two">
              <Groups title="By model" rows={d.by_model} />
              <Groups title="By team" rows={d.by_team} />
            </div>
          </>
        )}
      </Status>
      <Charts from={from} to={to} />
    </>
  );
}
