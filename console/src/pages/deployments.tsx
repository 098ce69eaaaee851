import { useState } from 'preact/hooks';
import { api, type ListPage } from '../api';
import { Field, Pager, Status, Table, useLoad, usePager } from '../ui';

interface Deployment {
  id: string;
  model_name: string;
  provider: string;
  upstream_model: string;
  api_base: string | null;
  credential: string | null;
  weight: number;
  enabled: boolean;
}

export function DeploymentsPage({ canWrite }: { canWrite: boolean }) {
  const pager = usePager();
  const [load, reload] = useLoad(() => api.get<ListPage<Deployment>>('/admin/deployments', { limit: 25, cursor: pager.cursor }), [pager.cursor]);
  const [f, setF] = useState({ model_name: '', provider: 'openai', upstream_model: '', api_base: '', api_key: '' });
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.post('/admin/deployments', { model_name: f.model_name, provider: f.provider, upstream_model: f.upstream_model, ...(f.api_base ? { api_base: f.api_base } : {}), ...(f.api_key ? { api_key: f.api_key } : {}) });
      setF({ ...f, api_key: '' });
      reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <h1>Deployments</h1>
      {canWrite ? (
        <section aria-labelledby="add-deployment">
          <h2 id="add-deployment">Add a deployment</h2>
          <form class="inline" onSubmit={create}>
            <Field label="Model name"><input name="model_name" required value={f.model_name} onInput={set('model_name')} /></Field>
            <Field label="Provider"><input name="provider" required value={f.provider} onInput={set('provider')} /></Field>
            <Field label="Upstream model"><input name="upstream_model" required value={f.upstream_model} onInput={set('upstream_model')} /></Field>
            <Field label="API base"><input name="api_base" type="url" value={f.api_base} onInput={set('api_base')} /></Field>
            <Field label="API key" hint="Write-only: stored encrypted, never shown again"><input name="api_key" type="password" autocomplete="off" value={f.api_key} onInput={set('api_key')} /></Field>
            <button type="submit">Add deployment</button>
          </form>
          {error ? <p class="error" role="alert">{error}</p> : null}
        </section>
      ) : null}
      <Status load={load} empty={(d) => !d.data.length}>
        {(d) => (
          <>
            <Table
              caption="Model deployments"
              rows={d.data}
              rowKey={(x) => x.id}
              columns={[
                { label: 'Model', cell: (x) => x.model_name },
                { label: 'Provider', cell: (x) => x.provider },
                { label: 'Upstream model', cell: (x) => x.upstream_model },
                { label: 'API base', cell: (x) => x.api_base ?? '—' },
                { label: 'Credential', cell: (x) => (x.credential ? `${x.credential} (hidden)` : 'none') },
                { label: 'Weight', num: true, cell: (x) => x.weight },
                { label: 'Enabled', cell: (x) => (x.enabled ? 'yes' : 'no') },
              ]}
            />
            <Pager pager={pager} hasMore={d.has_more} nextCursor={d.next_cursor} />
          </>
        )}
      </Status>
    </>
  );
}
