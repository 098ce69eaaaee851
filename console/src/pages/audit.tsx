import { useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { Field, Pager, Status, Table, useLoad, usePager } from '../ui';

interface Entry {
  id: string;
  at: string;
  actor: string;
  actor_kind: string;
  action: string;
  entity_type: string;
  entity_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** The fields that changed (the API already redacts secrets in before/after). */
function diff(e: Entry): string {
  const keys = new Set([...Object.keys(e.before ?? {}), ...Object.keys(e.after ?? {})]);
  const changed = [...keys].filter((k) => k !== 'updated_at' && JSON.stringify(e.before?.[k]) !== JSON.stringify(e.after?.[k]));
  if (!e.before) return 'created';
  if (!e.after) return 'deleted';
  return changed.map((k) => `${k}: ${JSON.stringify(e.before?.[k])} → ${JSON.stringify(e.after?.[k])}`).join('; ') || '—';
}

export function AuditPage() {
  const pager = usePager();
  const [type, setType] = useState('');
  const [load] = useLoad(() => api.get<ListPage<Entry>>('/admin/audit', { limit: 25, cursor: pager.cursor, entity_type: type }), [pager.cursor, type]);
  return (
    <>
      <h1>Audit log</h1>
      <form class="inline" onSubmit={(e) => e.preventDefault()}>
        <Field label="Entity">
          <select name="entity_type" value={type} onChange={(e) => { setType(e.currentTarget.value); pager.reset(); }}>
            <option value="">any</option>
            {['key', 'team', 'user', 'deployment'].map((t) => <option value={t}>{t}</option>)}
          </select>
        </Field>
      </form>
      <Status load={load} empty={(d) => !d.data.length}>
        {(d) => (
          <>
            <Table
              caption="Audit log"
              rows={d.data}
              rowKey={(x) => x.id}
              columns={[
                { label: 'When (UTC)', cell: (x) => x.at.slice(0, 19).replace('T', ' ') },
                { label: 'Who', cell: (x) => `${x.actor} (${x.actor_kind})` },
                { label: 'Action', cell: (x) => x.action },
                { label: 'Entity', cell: (x) => <code>{x.entity_id}</code> },
                { label: 'Change', cell: (x) => <span class="diff">{diff(x)}</span> },
              ]}
            />
            <Pager pager={pager} hasMore={d.has_more} nextCursor={d.next_cursor} />
          </>
        )}
      </Status>
    </>
  );
}
