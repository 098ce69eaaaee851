/** One key's page (#/keys/<id>): its settings, budget use, edit form, spend over time and recent requests. */
import { useMemo, useState } from 'preact/hooks';
import { api, daysAgo, isoDay, usd, type ListPage } from '../api';
import { StackedChart } from '../chart';
import { Pager, Status, Table, useLoad, usePager } from '../ui';
import type { KeyObject } from './keys';
import { BudgetMeter, useBudgetUse } from './keys-budget';
import { EditKey } from './keys-edit';

interface RequestRow {
  request_id: string;
  time: string;
  model: string;
  status: number;
  error_code: string;
  total_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

interface Series {
  days: string[];
  series: Array<{ group: string; cost_usd: number[] }>;
}

const DAYS = 30;

const limitText = (l: { rpm?: number; tpm?: number; max_parallel?: number } | undefined) =>
  [l?.rpm && `${l.rpm} req/min`, l?.tpm && `${l.tpm} tokens/min`, l?.max_parallel && `${l.max_parallel} in parallel`].filter(Boolean).join(', ') || 'none';

function Settings({ k }: { k: KeyObject }) {
  const perModel = Object.entries(k.model_limits ?? {});
  const [team] = useLoad(async () => (k.team_id ? (await api.get<{ name: string }>(`/admin/teams/${encodeURIComponent(k.team_id)}`)).name : null), [k.team_id]);
  return (
    <dl class="key-facts">
      <div><dt>Status</dt><dd><span class={`badge ${k.status}`}>{k.status}</span>{k.revoked_reason ? ` (${k.revoked_reason})` : ''}</dd></div>
      <div><dt>Key</dt><dd><code>{k.hint}</code></dd></div>
      <div><dt>Team</dt><dd>{team.state === 'ok' && team.data ? team.data : (k.team_id ?? '—')}</dd></div>
      <div><dt>Models</dt><dd id="key-models">{k.models?.join(', ') ?? 'all'}</dd></div>
      <div><dt>Limits</dt><dd>{limitText(k.limits)}</dd></div>
      <div><dt>Per-model limits</dt><dd>{perModel.length ? perModel.map(([m, l]) => `${m}: ${limitText(l)}`).join('; ') : 'none'}</dd></div>
      <div><dt>Budget</dt><dd id="key-budget">{k.budget ? `${usd(k.budget.max_usd)} ${k.budget.period}` : 'none'}</dd></div>
      <div><dt>Expires (UTC)</dt><dd>{k.expires_at ? k.expires_at.slice(0, 16).replace('T', ' ') : 'never'}</dd></div>
      <div><dt>Created (UTC)</dt><dd>{k.created_at.slice(0, 16).replace('T', ' ')}</dd></div>
    </dl>
  );
}

function BudgetSection({ k, version }: { k: KeyObject; version: number }) {
  const [use, failed] = useBudgetUse('key', k.budget ? [k.id] : undefined, version);
  const u = use.get(k.id);
  return (
    <section aria-labelledby="key-budget-use">
      <h2 id="key-budget-use">Budget use</h2>
      {!k.budget ? (
        <p class="empty" role="status">This key has no budget of its own{k.team_id ? "; its team's budget still applies" : ''}.</p>
      ) : failed ? (
        <p class="error" role="alert">Could not load the budget use.</p>
      ) : u ? (
        <p id="key-budget-use-text">
          <BudgetMeter use={u} label={`Key ${k.alias ?? k.hint}`} />
          {u.period_start ? <span class="muted"> (period from {u.period_start})</span> : null}
        </p>
      ) : (
        <p class="muted" role="status">Loading…</p>
      )}
    </section>
  );
}

function SpendSection({ k }: { k: KeyObject }) {
  const [from, to] = [daysAgo(DAYS - 1), isoDay(new Date())];
  const [load] = useLoad(() => api.get<Series>('/admin/spend/series', { group_by: 'model', key_id: k.id, from, to }), [k.id]);
  const series = useMemo(() => (load.state === 'ok' ? load.data.series.map((s) => ({ label: s.group, values: s.cost_usd })) : []), [load]);
  return (
    <section aria-labelledby="key-spend">
      <h2 id="key-spend">Spend, last {DAYS} days</h2>
      <Status load={load}>
        {(d) =>
          d.series.length ? (
            <StackedChart days={d.days} series={series} label={`Spend per day of this key by model, last ${DAYS} days`} unit={(n) => usd(n)} />
          ) : (
            <p class="empty" role="status">No spend from this key in the last {DAYS} days.</p>
          )
        }
      </Status>
    </section>
  );
}

function RequestsSection({ k }: { k: KeyObject }) {
  const pager = usePager();
  const [load] = useLoad(() => api.get<ListPage<RequestRow>>('/admin/requests', { key_id: k.id, from: daysAgo(DAYS - 1), to: isoDay(new Date()), limit: 20, cursor: pager.cursor }), [k.id, pager.cursor]);
  return (
    <section aria-labelledby="key-requests">
      <h2 id="key-requests">Recent requests</h2>
      <Status load={load}>
        {(d) =>
          !d.data.length && pager.page === 1 ? (
            <p class="empty" role="status">No requests from this key in the last {DAYS} days.</p>
          ) : (
            <>
              <Table
                caption="Recent requests of this key"
                rows={d.data}
                rowKey={(r) => r.request_id}
                columns={[
                  { label: 'Time (UTC)', cell: (r) => r.time.slice(0, 19) },
                  { label: 'Model', cell: (r) => r.model },
                  { label: 'Status', cell: (r) => <span class={r.status < 300 ? 'ok' : 'error'}>{r.status}{r.error_code ? ` ${r.error_code}` : ''}</span> },
                  { label: 'Total', num: true, cell: (r) => `${Math.round(r.total_ms)} ms` },
                  { label: 'Tokens in/out', num: true, cell: (r) => `${r.prompt_tokens} / ${r.completion_tokens}` },
                  { label: 'Cost', num: true, cell: (r) => usd(r.cost_usd) },
                ]}
              />
              <Pager pager={pager} hasMore={d.has_more} nextCursor={d.next_cursor} />
            </>
          )
        }
      </Status>
    </section>
  );
}

export function KeyDetailPage({ id, canWrite }: { id: string; canWrite: boolean }) {
  const [load, reload] = useLoad(() => api.get<KeyObject>(`/admin/keys/${encodeURIComponent(id)}`), [id]);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(0);
  const title = load.state === 'ok' ? `Key ${load.data.alias ?? load.data.hint}` : 'Key';
  return (
    <>
      <p>
        <a href="#/keys">← All keys</a>
      </p>
      <h1>{title}</h1>
      <Status load={load}>
        {(k) => (
          <>
            <Settings k={k} />
            {saved ? <p class="ok" role="status" id="key-saved">Saved. Every replica drops its cached copy of the key.</p> : null}
            {canWrite && k.status !== 'revoked' && !k.replaced_by ? (
              editing ? (
                <EditKey
                  k={k}
                  onSaved={() => {
                    setEditing(false);
                    setSaved((n) => n + 1);
                    reload();
                  }}
                  onCancel={() => {
                    setEditing(false);
                    // Back to the button that opened the form, for keyboard users.
                    setTimeout(() => document.getElementById('edit-key-open')?.focus());
                  }}
                />
              ) : (
                <button type="button" id="edit-key-open" onClick={() => setEditing(true)}>
                  Edit key
                </button>
              )
            ) : null}
            <BudgetSection k={k} version={saved} />
            <SpendSection k={k} />
            <RequestsSection k={k} />
          </>
        )}
      </Status>
    </>
  );
}
