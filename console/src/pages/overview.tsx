import { useState } from 'preact/hooks';
import { api, daysAgo, isoDay, usd } from '../api';
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

const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);

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
    </>
  );
}
