import { useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { Field, Pager, Status, Table, useLoad, usePager } from '../ui';
import { UsersSection } from './users';

interface Team {
  id: string;
  name: string;
  models: string[] | null;
  budget: { max_usd: number; period: string } | null;
  created_at: string;
}

export function TeamsPage({ canWrite }: { canWrite: boolean }) {
  const pager = usePager();
  const [load, reload] = useLoad(() => api.get<ListPage<Team>>('/admin/teams', { limit: 25, cursor: pager.cursor }), [pager.cursor]);
  const [name, setName] = useState('');
  const [models, setModels] = useState('');
  const [budget, setBudget] = useState('');
  const [period, setPeriod] = useState('monthly');
  const [error, setError] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.post('/admin/teams', {
        name,
        ...(models.trim() ? { models: models.split(',').map((m) => m.trim()).filter(Boolean) } : {}),
        ...(budget ? { budget: { max_usd: Number(budget), period } } : {}),
      });
      setName('');
      reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <h1>Teams and users</h1>
      {canWrite ? (
        <section aria-labelledby="create-team">
          <h2 id="create-team">Create a team</h2>
          <form class="inline" onSubmit={create}>
            <Field label="Name"><input name="team-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} /></Field>
            <Field label="Models" hint="Comma-separated; empty = all"><input name="team-models" value={models} onInput={(e) => setModels(e.currentTarget.value)} /></Field>
            <Field label="Budget (USD)"><input name="team-budget" type="number" min="0" step="0.01" value={budget} onInput={(e) => setBudget(e.currentTarget.value)} /></Field>
            <Field label="Period">
              <select name="team-period" value={period} onChange={(e) => setPeriod(e.currentTarget.value)}>
                {['daily', 'weekly', 'monthly'].map((p) => <option value={p}>{p}</option>)}
              </select>
            </Field>
            <button type="submit">Create team</button>
          </form>
          {error ? <p class="error" role="alert">{error}</p> : null}
        </section>
      ) : null}
      <Status load={load} empty={(d) => !d.data.length}>
        {(d) => (
          <>
            <Table
              caption="Teams"
              rows={d.data}
              rowKey={(t) => t.id}
              columns={[
                { label: 'Name', cell: (t) => t.name },
                { label: 'Id', cell: (t) => <code>{t.id}</code> },
                { label: 'Models', cell: (t) => t.models?.join(', ') ?? 'all' },
                { label: 'Budget', cell: (t) => (t.budget ? `$${t.budget.max_usd} / ${t.budget.period}` : '—') },
                { label: 'Created', cell: (t) => t.created_at.slice(0, 10) },
              ]}
            />
            <Pager pager={pager} hasMore={d.has_more} nextCursor={d.next_cursor} />
            <UsersSection canWrite={canWrite} teams={d.data} />
          </>
        )}
      </Status>
    </>
  );
}
