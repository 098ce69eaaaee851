import { useState } from 'preact/hooks';
import { api, ApiError, usd, type ListPage } from '../api';
import { Field, Status, Table, useLoad } from '../ui';
import type { KeyObject } from './keys';
import { BudgetMeter, type BudgetUse } from './keys-budget';

interface MemberTeam {
  id: string;
  name: string;
  models: string[] | null;
  budget: { max_usd: number; period: string; spent_usd: number; left_usd: number; resets_at: string | null; reserved_usd: number; reserved_keys: number; available_usd: number } | null;
}

/** A member's page: their team's budget, their own keys, create (within the team's limits) and revoke. */
export function MemberKeysPage() {
  const [team, reloadTeam] = useLoad(() => api.get<MemberTeam>('/admin/me/team'), []);
  const [keys, reloadKeys] = useLoad(() => api.get<ListPage<KeyObject>>('/admin/me/keys', { limit: 100 }), []);
  const [use] = useLoad(async () => new Map((await api.get<{ data: BudgetUse[] }>('/admin/me/budget-use')).data.map((u) => [u.id, u])), [keys]);
  const [alias, setAlias] = useState('');
  const [budget, setBudget] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [badField, setBadField] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBadField(null);
    setSecret(null);
    try {
      const k = await api.post<{ key: string }>('/admin/me/keys', { alias: alias || undefined, ...(budget ? { budget_usd: Number(budget) } : {}) });
      setSecret(k.key);
      setAlias('');
      reloadKeys();
      reloadTeam();
    } catch (err) {
      setError((err as Error).message);
      setBadField(err instanceof ApiError ? err.param : null);
      reloadTeam();
    }
  };
  const revoke = async (id: string) => {
    await api.post(`/admin/me/keys/${id}/revoke`, { reason: 'revoked by its owner' }).catch((err: Error) => setError(err.message));
    reloadKeys();
  };
  return (
    <>
      <h1>My keys</h1>
      <Status load={team}>
        {(t) => (
          <section aria-labelledby="my-team">
            <h2 id="my-team">Team {t.name}</h2>
            <p>Models: {t.models?.join(', ') ?? 'all'}</p>
            {t.budget ? (
              <>
                <p id="team-left">
                  {usd(t.budget.left_usd)} left of {usd(t.budget.max_usd)} this {t.budget.period.replace(/ly$/, '').replace('dai', 'day')} (spent {usd(t.budget.spent_usd)}
                  {t.budget.resets_at ? `; resets ${t.budget.resets_at.slice(0, 10)}` : ''})
                </p>
                <p id="team-available">
                  {t.budget.reserved_keys
                    ? `The team's ${t.budget.reserved_keys} active key${t.budget.reserved_keys === 1 ? '' : 's'} with a budget may still spend ${usd(t.budget.reserved_usd)} of it: a new key can have at most ${usd(t.budget.available_usd)}.`
                    : `A new key can have at most ${usd(t.budget.available_usd)}.`}
                </p>
              </>
            ) : (
              <p>The team has no budget.</p>
            )}
          </section>
        )}
      </Status>
      <section aria-labelledby="create-my-key">
        <h2 id="create-my-key">Create a key</h2>
        <form class="inline" onSubmit={create}>
          <Field label="Alias"><input name="alias" value={alias} onInput={(e) => setAlias(e.currentTarget.value)} /></Field>
          <Field label="Budget (USD)" hint={team.state === 'ok' && team.data.budget ? `At most ${usd(team.data.budget.available_usd)}: what the team has left after its other keys' budgets` : 'Optional'}>
            <input name="budget_usd" type="number" min="0" step="0.01" inputMode="decimal" value={budget} onInput={(e) => setBudget(e.currentTarget.value)} aria-invalid={badField === 'budget_usd' ? 'true' : undefined} aria-describedby={badField === 'budget_usd' ? 'create-error' : undefined} />
          </Field>
          <button type="submit">Create key</button>
        </form>
        {error ? <p class="error" role="alert" id="create-error">{error}</p> : null}
        {secret ? (
          <div class="secret" role="status">
            <p><strong>Copy this key now: it is not shown again.</strong></p>
            <code id="new-key-secret">{secret}</code>{' '}
            <button type="button" onClick={() => navigator.clipboard?.writeText(secret)}>Copy</button>
          </div>
        ) : null}
      </section>
      <Status load={keys} empty={(d) => !d.data.length}>
        {(d) => (
          <Table
            caption="My keys"
            rows={d.data}
            rowKey={(k) => k.id}
            columns={[
              { label: 'Alias', cell: (k) => k.alias ?? '—' },
              { label: 'Key', cell: (k) => <code>{k.hint}</code> },
              { label: 'Status', cell: (k) => <span class={`badge ${k.status}`}>{k.status}</span> },
              { label: 'Models', cell: (k) => k.models?.join(', ') ?? 'all' },
              {
                label: 'Budget use',
                cell: (k) => {
                  const u = use.state === 'ok' ? use.data.get(k.id) : undefined;
                  return u ? <BudgetMeter use={u} label={`Key ${k.alias ?? k.hint}`} /> : k.budget ? `${usd(k.budget.max_usd)} / ${k.budget.period}` : '—';
                },
              },
              { label: 'Actions', cell: (k) => (k.status === 'active' ? <button type="button" class="danger" aria-label={`Revoke ${k.alias ?? k.id}`} onClick={() => revoke(k.id)}>Revoke</button> : null) },
            ]}
          />
        )}
      </Status>
    </>
  );
}
