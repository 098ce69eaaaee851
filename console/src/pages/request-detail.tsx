/** One request: latency breakdown, tokens, cost, status, attempts and fallbacks, region, and archived bodies. */
import { api, usd } from '../api';
import { Status, Table, useLoad } from '../ui';

interface Attempt {
  deployment: string;
  model: string;
  status: number;
  error_code: string | null;
  duration_ms: number;
}

interface Detail {
  request_id: string;
  time: string;
  key_id: string;
  team_id: string;
  user_id?: string;
  model: string;
  deployment: string;
  provider?: string;
  region?: string;
  operation?: string;
  status: number;
  error_code: string;
  stream: boolean;
  cache_hit?: boolean;
  latency: { total_ms: number; overhead_ms: number; upstream_ms: number; ttfb_ms: number | null };
  tokens: Record<string, number>;
  cost_usd: number;
  attempts: number;
  attempt_log: Attempt[] | null;
  fallback_model: string | null;
  payload: { state: 'shown' | 'not_archived' | 'not_found' | 'hidden' | 'unavailable'; reason: string; request?: unknown; response?: unknown };
  source: string;
}

/** Names for the token columns the request log records (newer columns show under their own name). */
const TOKEN_LABELS: Record<string, string> = { prompt: 'Input', cached: 'Cached input', cache_write: 'Cache write', cache_creation: 'Cache write', completion: 'Output', reasoning: 'Reasoning' };
const ms = (n: number | null) => (n === null ? '—' : `${Number(n.toFixed(1))} ms`);

function LatencyBar({ l }: { l: Detail['latency'] }) {
  const total = Math.max(l.total_ms, 0.001);
  const w = (n: number) => `${Math.max(0, Math.min(100, (n / total) * 100)).toFixed(1)}%`;
  return (
    <div class="bar" aria-hidden="true">
      <span class="overhead" style={{ width: w(l.overhead_ms) }} title="Gateway overhead" />
      <span class="upstream" style={{ width: w(l.upstream_ms) }} title="Upstream" />
    </div>
  );
}

function Payload({ p }: { p: Detail['payload'] }) {
  return (
    <section aria-labelledby="payload">
      <h2 id="payload">Prompt and response</h2>
      {p.state === 'shown' ? (
        <>
          <p class="muted">{p.reason}</p>
          <h3>Request</h3>
          <pre class="payload" tabIndex={0} aria-label="Archived request body">{JSON.stringify(p.request, null, 2)}</pre>
          <h3>Response</h3>
          <pre class="payload" tabIndex={0} aria-label="Archived response body">{JSON.stringify(p.response, null, 2)}</pre>
        </>
      ) : (
        <p class="empty" data-payload-state={p.state}>
          Not shown: {p.reason}
        </p>
      )}
    </section>
  );
}

export function RequestDetailPage({ id, day }: { id: string; day: string | undefined }) {
  const [load] = useLoad(() => api.get<Detail>(`/admin/requests/${encodeURIComponent(id)}`, { day }), [id, day]);
  return (
    <>
      <p>
        <a href="#/requests">← Requests</a>
      </p>
      <h1>Request</h1>
      <Status load={load}>
        {(d) => {
          const tokens = Object.entries(d.tokens).filter(([k, v]) => v > 0 || k === 'prompt' || k === 'completion');
          return (
            <>
              <dl class="kv" aria-label="Request">
                <dt>Request id</dt><dd><code>{d.request_id}</code></dd>
                <dt>Time (UTC)</dt><dd>{d.time}</dd>
                <dt>Status</dt><dd><span class={d.status < 300 ? 'ok' : 'error'} data-field="status">{d.status}{d.error_code ? ` ${d.error_code}` : ''}</span></dd>
                <dt>Model</dt><dd>{d.model}{d.fallback_model ? <> → answered by <strong data-field="fallback">{d.fallback_model}</strong> (fallback)</> : null}</dd>
                <dt>Deployment</dt><dd>{d.deployment || '—'}{d.provider ? ` (${d.provider})` : ''}</dd>
                <dt>Region</dt><dd data-field="region">{d.region || '—'}</dd>
                <dt>Key</dt><dd>{d.key_id || 'master key'}</dd>
                <dt>Team</dt><dd>{d.team_id || '—'}</dd>
                <dt>Kind</dt><dd>{d.operation ?? 'chat'}{d.stream ? ', streamed' : ''}{d.cache_hit ? ', from the response cache' : ''}</dd>
                <dt>Cost</dt><dd data-field="cost">{usd(d.cost_usd)}</dd>
              </dl>
              <section aria-labelledby="latency">
                <h2 id="latency">Latency</h2>
                <LatencyBar l={d.latency} />
                <dl class="kv">
                  <dt>Total</dt><dd>{ms(d.latency.total_ms)}</dd>
                  <dt>Gateway overhead</dt><dd data-field="overhead">{ms(d.latency.overhead_ms)}</dd>
                  <dt>Time to first byte / token</dt><dd>{ms(d.latency.ttfb_ms)}</dd>
                  <dt>Upstream (all attempts)</dt><dd>{ms(d.latency.upstream_ms)}</dd>
                </dl>
              </section>
              <section aria-labelledby="tokens">
                <h2 id="tokens">Tokens</h2>
                <dl class="kv">
                  {tokens.map(([k, v]) => (
                    <>
                      <dt>{TOKEN_LABELS[k] ?? k.replaceAll('_', ' ')}</dt>
                      <dd data-token={k}>{v}</dd>
                    </>
                  ))}
                </dl>
              </section>
              <section aria-labelledby="attempts">
                <h2 id="attempts">Attempts and fallbacks ({d.attempts})</h2>
                {d.attempt_log?.length ? (
                  <Table
                    caption="Attempts, in order"
                    rows={d.attempt_log.map((a, i) => ({ ...a, n: i + 1 }))}
                    rowKey={(a) => String(a.n)}
                    columns={[
                      { label: '#', num: true, cell: (a) => a.n },
                      { label: 'Deployment', cell: (a) => a.deployment },
                      { label: 'Model', cell: (a) => (a.model === d.model ? a.model : `${a.model} (fallback)`) },
                      { label: 'Result', cell: (a) => <span class={a.error_code ? 'error' : 'ok'}>{a.status ? a.status : 'no response'}{a.error_code ? ` ${a.error_code}` : ''}</span> },
                      { label: 'Duration', num: true, cell: (a) => ms(a.duration_ms) },
                    ]}
                  />
                ) : (
                  <p class="empty">No per-attempt record for this request (logged before attempts were recorded).</p>
                )}
              </section>
              <Payload p={d.payload} />
            </>
          );
        }}
      </Status>
    </>
  );
}
