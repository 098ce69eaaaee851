import { useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { Field, Pager, Status, Table, useLoad, usePager } from '../ui';

interface User {
  id: string;
  email: string | null;
  name: string | null;
  team_id: string | null;
  created_at: string;
}

interface Team {
  id: string;
  name: string;
}

/** Users and their team: a user whose email signs in through OIDC becomes a member of that team. */
export function UsersSection({ canWrite, teams }: { canWrite: boolean; teams: Team[] }) {
  const pager = usePager();
  const [load, reload] = useLoad(() => api.get<ListPage<User>>('/admin/users', { limit: 25, cursor: pager.cursor }), [pager.cursor]);
  const [email, setEmail] = useState('');
  const [teamId, setTeamId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const teamName = (id: string | null) => (id ? (teams.find((t) => t.id === id)?.name ?? id) : '—');
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.post('/admin/users', { email, ...(teamId ? { team_id: teamId } : {}) });
      setEmail('');
      reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section aria-labelledby="users">
      <h2 id="users">Users</h2>
      <p class="muted">A user in a team who signs in with SSO manages their own keys within the team's models and budget.</p>
      {canWrite ? (
        <form class="inline" onSubmit={create}>
          <Field label="Email"><input name="user-email" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} /></Field>
          <Field label="Team">
            <select name="user-team" value={teamId} onChange={(e) => setTeamId(e.currentTarget.value)}>
              <option value="">(none)</option>
              {teams.map((t) => <option value={t.id}>{t.name}</option>)}
            </select>
          </Field>
          <button type="submit">Add user</button>
          {error ? <span class="error" role="alert">{error}</span> : null}
        </form>
      ) : null}
      <Status load={load} empty={(d) => !d.data.length}>
        {(d) => (
          <>
            <Table caption="Users" rows={d.data} rowKey={(u) => u.id} columns={[{ label: 'Email', cell: (u) => u.email ?? '—' }, { label: 'Team', cell: (u) => teamName(u.team_id) }, { label: 'Added', cell: (u) => u.created_at.slice(0, 10) }]} />
            <Pager pager={pager} hasMore={d.has_more} nextCursor={d.next_cursor} />
          </>
        )}
      </Status>
    </section>
  );
}
