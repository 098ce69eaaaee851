import { useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { Field, Pager, Status, Table, useLoad, usePager } from '../ui';
import { BudgetMeter, useBudgetUse } from './keys-budget';

export interface KeyObject {
  id: string;
  alias: string | null;
  hint: string;
  status: string;
  team_id: string | null;
  user_id?: string | null;
  models: string[] | null;
  limits?: { rpm?: number; tpm?: number; max_parallel?: number };
  model_limits?: Record<string, { rpm?: number; tpm?: number; max_parallel?: number }>;
  budget: { max_usd: number; period: string } | null;
  expires_at?: string | null;
  created_at: string;
  revoked_at?: string | null;
  revoked_reason?: string | null;
  replaced_by?: string | null;
}

interface Team {
  id: string;
  name: string;
}

function CreateKey({ onCreated }: { onCreated: () => void }) {
  const [alias, setAlias] = useState('');
  const [teamId, setTeamId] = useState('');
  const [models, setModels] = useState('');
  const [budget, setBudget] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [teams] = useLoad(() => api.get<ListPage<Team>>('/admin/teams', { limit: 500 }), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const body: Record<string, unknown> = { alias: alias || undefined };
    if (teamId) body.team_id = teamId;
    if (models.trim()) body.models = models.split(',').map((m) => m.trim()).filter(Boolean);
    if (budget) body.budget = { max_usd: Number(budget), period: 'monthly' };
    try {
      const k = await api.post<KeyObject & { key: string }>('/admin/keys', body);
      setSecret(k.key);
      setCopied(false);
      setAlias('');
      onCreated();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="create-key">
      <h2 id="create-key">Create a key</h2>
      <form class="inline" onSubmit={submit}>
        <Field label="Alias">
          <input name="alias" value={alias} onInput={(e) => setAlias(e.currentTarget.value)} />
        </Field>
        <Field label="Team">
          <select name="team" value={teamId} onChange={(e) => setTeamId(e.currentTarget.value)}>
            <option value="">(none)</option>
            {teams.state === 'ok' ? teams.data.data.map((t) => <option value={t.id}>{t.name}</option>) : null}
          </select>
        </Field>
        <Field label="Models" hint="Comma-separated; empty = all">
          <input name="models" value={models} onInput={(e) => setModels(e.currentTarget.value)} />
        </Field>
        <Field label="Monthly budget (USD)">
          <input name="budget" type="number" min="0" step="0.01" value={budget} onInput={(e) => setBudget(e.currentTarget.value)} />
        </Field>
        <button type="submit">Create key</button>
      </form>
      {error ? <p class="error" role="alert">{error}</p> : null}
      {secret ? (
        <div class="secret" role="status">
          <p>
            <strong>Copy this key now: it is not shown again.</strong>
          </p>
          <code id="new-key-secret">{secret}</code>{' '}
          <button type="button" onClick={() => navigator.clipboard?.writeText(secret).then(() => setCopied(true), () => setCopied(false))}>
            {copied ? 'Copied' : 'Copy'}
          </button>{' '}
          <button type="button" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      ) : null}
    </section>
  );
}

function Revoke({ k, onDone }: { k: KeyObject; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (k.status !== 'active') return null;
  if (!open)
    return (
      <button type="button" class="danger" onClick={() => setOpen(true)} aria-label={`Revoke ${k.alias ?? k.id}`}>
        Revoke
      </button>
    );
  return (
    <form
      class="inline"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.post(`/admin/keys/${k.id}/revoke`, { reason: reason || undefined });
          onDone();
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <Field label="Reason">
        <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} autoFocus />
      </Field>
      <button type="submit" class="danger">
        Confirm revoke
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {error ? <span class="error" role="alert">{error}</span> : null}
    </form>
  );
}

/** Issue a replacement; the old key keeps working for the chosen grace period. The new secret is shown once. */
function Rotate({ k, onDone }: { k: KeyObject; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [grace, setGrace] = useState('86400');
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (secret)
    return (
      <div class="secret" role="status">
        <strong>New key (shown once):</strong> <code>{secret}</code>{' '}
        <button type="button" onClick={() => navigator.clipboard?.writeText(secret)}>Copy</button>{' '}
        <button type="button" onClick={() => { setSecret(null); onDone(); }}>Done</button>
      </div>
    );
  if (k.status !== 'active') return null;
  if (!open) return <button type="button" onClick={() => setOpen(true)} aria-label={`Rotate ${k.alias ?? k.id}`}>Rotate</button>;
  return (
    <form
      class="inline"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          const r = await api.post<{ key: { key: string } }>(`/admin/keys/${k.id}/rotate`, { grace_period_seconds: Number(grace) });
          setSecret(r.key.key);
          setOpen(false);
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <Field label="Old key keeps working for">
        <select name="grace" value={grace} onChange={(e) => setGrace(e.currentTarget.value)}>
          <option value="0">no grace</option>
          <option value="3600">1 hour</option>
          <option value="86400">1 day</option>
          <option value="604800">7 days</option>
        </select>
      </Field>
      <button type="submit">Confirm rotate</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      {error ? <span class="error" role="alert">{error}</span> : null}
    </form>
  );
}

export function KeysPage({ canWrite }: { canWrite: boolean }) {
  const [status, setStatus] = useState('');
  const [alias, setAlias] = useState('');
  const [model, setModel] = useState('');
  const pager = usePager();
  const [teams] = useLoad(() => api.get<ListPage<Team>>('/admin/teams', { limit: 500 }), []);
  const teamName = (id: string | null) => (id === null ? '—' : teams.state === 'ok' ? (teams.data.data.find((t) => t.id === id)?.name ?? id) : id);
  const [keys, reload] = useLoad(() => api.get<ListPage<KeyObject>>('/admin/keys', { limit: 25, cursor: pager.cursor, status, alias, model }), [pager.cursor, status, alias, model]);
  const [budgetUse] = useBudgetUse('key', keys.state === 'ok' ? keys.data.data.filter((k) => k.budget).map((k) => k.id) : undefined);
  const budgetCell = (k: KeyObject) => {
    const u = budgetUse.get(k.id);
    if (u) return <BudgetMeter use={u} label={`Key ${k.alias ?? k.hint}`} />;
    return k.budget ? `$${k.budget.max_usd} / ${k.budget.period}` : '—';
  };
  const filter = (set: (v: string) => void) => (e: Event) => {
    set((e.currentTarget as HTMLInputElement).value);
    pager.reset();
  };
  return (
    <>
      <h1>Keys</h1>
      {canWrite ? <CreateKey onCreated={reload} /> : null}
      <section aria-labelledby="key-list">
        <h2 id="key-list">Keys</h2>
        <form class="inline" role="search" onSubmit={(e) => e.preventDefault()}>
          <Field label="Status">
            <select name="status" value={status} onChange={filter(setStatus)}>
              <option value="">any</option>
              {['active', 'revoked', 'expired', 'rotated'].map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </Field>
          <Field label="Alias">
            <input name="filter-alias" value={alias} onChange={filter(setAlias)} />
          </Field>
          <Field label="Model">
            <input name="filter-model" value={model} onChange={filter(setModel)} />
          </Field>
        </form>
        <Status load={keys} empty={(d) => !d.data.length}>
          {(d) => (
            <>
              <Table
                caption="Virtual keys"
                rows={d.data}
                rowKey={(k) => k.id}
                columns={[
                  { label: 'Alias', cell: (k) => <a href={`#/keys/${k.id}`} aria-label={`Key ${k.alias ?? k.hint}: details, requests and edit`}>{k.alias ?? '(no alias)'}</a> },
                  { label: 'Key', cell: (k) => <code>{k.hint}</code> },
                  { label: 'Status', cell: (k) => <span class={`badge ${k.status}`}>{k.status}</span> },
                  { label: 'Team', cell: (k) => teamName(k.team_id) },
                  { label: 'Models', cell: (k) => k.models?.join(', ') ?? 'all' },
                  { label: 'Budget use', cell: budgetCell },
                  { label: 'Created', cell: (k) => k.created_at.slice(0, 16).replace('T', ' ') },
                  { label: 'Actions', cell: (k) => (canWrite ? <div class="actions"><Rotate k={k} onDone={reload} /> <Revoke k={k} onDone={reload} /></div> : null) },
                ]}
              />
              <Pager pager={pager} hasMore={d.has_more} nextCursor={d.next_cursor} />
            </>
          )}
        </Status>
      </section>
    </>
  );
}
