import { useState } from 'preact/hooks';
import { api, daysAgo, isoDay, usd, type ListPage } from '../api';
import { Field, Pager, Status, Table, useLoad, usePager } from '../ui';

interface Row {
  request_id: string;
  time: string;
  key_id: string;
  team_id: string;
  model: string;
  status: number;
  error_code: string;
  total_ms: number;
  overhead_ms: number;
  upstream_ms: number;
  ttfb_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  attempts: number;
}

export function RequestsPage() {
  const [f, setF] = useState({ key_id: '', team_id: '', model: '', status: '', from: daysAgo(1), to: isoDay(new Date()) });
  const pager = usePager();
  const [load] = useLoad(() => api.get<ListPage<Row> & { source: string; truncated: boolean }>('/admin/requests', { ...f, limit: 50, cursor: pager.cursor }), [JSON.stringify(f), pager.cursor]);
  const set = (k: keyof typeof f) => (e: Event) => {
    setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value.trim() });
    pager.reset();
  };
  return (
    <>
      <h1>Requests</h1>
      <form class="inline" role="search" aria-label="Filter requests" onSubmit={(e) => e.preventDefault()}>
        <Field label="Key id"><input name="key_id" value={f.key_id} onChange={set('key_id')} /></Field>
        <Field label="Team id"><input name="team_id" value={f.team_id} onChange={set('team_id')} /></Field>
        <Field label="Model"><input name="model" value={f.model} onChange={set('model')} /></Field>
        <Field label="Status">
          <select name="status" value={f.status} onChange={set('status')}>
            <option value="">any</option>
            <option value="ok">ok (2xx)</option>
            <option value="error">errors</option>
            {['400', '401', '429', '499', '500', '502', '504'].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="From"><input type="date" name="from" value={f.from} onChange={set('from')} /></Field>
        <Field label="To"><input type="date" name="to" value={f.to} onChange={set('to')} /></Field>
      </form>
      <Status load={load} empty={(d) => !d.data.length} emptyText="No requests match these filters in this period (the log is written about once a second).">
        {(d) => (
          <>
            {d.truncated ? <p class="muted" role="note">Only the first 200,000 rows of the period were searched: narrow the days or filters.</p> : null}
            <Table
              caption="Request log"
              rows={d.data}
              rowKey={(r) => r.request_id}
              columns={[
                {
                  label: 'Time (UTC)',
                  cell: (r) => (
                    <a href={`#/requests/${encodeURIComponent(r.request_id)}/${r.time.slice(0, 10)}`} aria-label={`Request ${r.request_id} at ${r.time.slice(0, 19)}`}>
                      {r.time.slice(0, 19)}
                    </a>
                  ),
                },
                { label: 'Model', cell: (r) => r.model },
                { label: 'Key', cell: (r) => r.key_id || '—' },
                { label: 'Status', cell: (r) => <span class={r.status < 300 ? 'ok' : 'error'}>{r.status}{r.error_code ? ` ${r.error_code}` : ''}</span> },
                { label: 'Total', num: true, cell: (r) => `${r.total_ms} ms` },
                { label: 'Overhead', num: true, cell: (r) => `${r.overhead_ms} ms` },
                { label: 'TTFB', num: true, cell: (r) => (r.ttfb_ms === null ? '—' : `${r.ttfb_ms} ms`) },
                { label: 'Tokens in/out', num: true, cell: (r) => `${r.prompt_tokens} / ${r.completion_tokens}` },
                { label: 'Cost', num: true, cell: (r) => usd(r.cost_usd) },
                { label: 'Attempts', num: true, cell: (r) => r.attempts },
              ]}
            />
            <Pager pager={pager} hasMore={d.has_more} nextCursor={d.next_cursor} />
          </>
        )}
      </Status>
    </>
  );
}
