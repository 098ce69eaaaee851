/**
 * Model deployments managed at run time. Credentials are written once and never read back through the API:
 * either envelope-encrypted (keys/envelope.ts) or a reference to AWS Secrets Manager resolved by the loader.
 * Every change publishes a `deployment` event; api replicas reload with `watchDeployments`.
 */
import type pg from 'pg';
import type { z } from 'zod';
import type { Deployment } from '../providers/adapter.js';
import { writeAudit, type Actor } from '../db/audit.js';
import { inTransaction } from '../db/pool.js';
import { insertRow, jsonb, listPage, selectForUpdate, updateRow, type Page } from '../db/sql.js';
import type { EnvelopeCipher, Envelope } from '../keys/envelope.js';
import type { ChangeBus, ChangeEvent } from '../keys/events.js';
import { InvalidRequest, ResourceConflict, ResourceNotFound } from '../errors/catalogue.js';
import type { DeploymentCreate, DeploymentUpdate } from './schemas.js';
import { checkApiBase, trimTrailingSlashes, type ApiBasePolicy } from './api-base-policy.js';
import { isSecretHeader, isSecretOption, keepMaskedSecrets, redactHeaders, redactOptions, secretNames } from './deployment-secrets.js';

export interface DeploymentRow {
  id: string;
  model_name: string;
  provider: string;
  upstream_model: string;
  api_base: string | null;
  credential_kind: 'none' | 'encrypted' | 'secret_ref';
  credential_envelope: Envelope | null;
  credential_secret_ref: string | null;
  weight: number;
  timeout_ms: number;
  headers: Record<string, string>;
  options: Record<string, unknown>;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** What the API and the audit log may show: no envelope, secret headers and options masked and named. */
export type PublicDeploymentRow = Omit<DeploymentRow, 'credential_envelope'> & { secret_headers: string[]; secret_options: string[] };

export function publicDeployment(row: DeploymentRow): PublicDeploymentRow {
  const { credential_envelope: _e, ...rest } = row;
  const names = secretNames(row.headers, row.options);
  return { ...rest, headers: redactHeaders(row.headers), options: redactOptions(row.options), secret_headers: names.headers, secret_options: names.options };
}

/**
 * The audit entry of an update: only the fields that changed, redacted. A changed secret shows as `***` on
 * both sides, its name in `secret_headers`/`secret_options` says which one changed.
 */
function auditDiff(before: DeploymentRow, after: DeploymentRow): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b = publicDeployment(before) as unknown as Record<string, unknown>;
  const a = publicDeployment(after) as unknown as Record<string, unknown>;
  // Changed underneath the mask: the raw values differ while the redacted ones are equal (a secret, or a
  // nested secret inside an option object).
  const changedSecrets = (x: Record<string, unknown>, y: Record<string, unknown>, redact: (v: Record<string, unknown>) => Record<string, unknown>) => {
    const [rx, ry] = [redact(x ?? {}), redact(y ?? {})];
    const same = (p: unknown, q: unknown) => JSON.stringify(p) === JSON.stringify(q);
    return [...new Set([...Object.keys(x ?? {}), ...Object.keys(y ?? {})])].filter((k) => !same(x?.[k], y?.[k]) && same(rx[k], ry[k]));
  };
  const out = { before: {} as Record<string, unknown>, after: {} as Record<string, unknown> };
  for (const k of Object.keys(a)) {
    if (k === 'updated_at' || k === 'secret_headers' || k === 'secret_options') continue;
    if (JSON.stringify(b[k]) !== JSON.stringify(a[k])) {
      out.before[k] = b[k];
      out.after[k] = a[k];
    }
  }
  const sh = changedSecrets(before.headers, after.headers, (h) => redactHeaders(h as Record<string, string>));
  const so = changedSecrets(before.options, after.options, redactOptions);
  if (sh.length) out.after.secret_headers_changed = sh;
  if (so.length) out.after.secret_options_changed = so;
  if (before.credential_envelope && after.credential_envelope && JSON.stringify(before.credential_envelope) !== JSON.stringify(after.credential_envelope)) out.after.credential_changed = true;
  return out;
}

type Input = z.infer<typeof DeploymentUpdate> & { id?: string | undefined };

export class DeploymentService {
  constructor(
    private readonly db: pg.Pool,
    private readonly bus: ChangeBus,
    private readonly cipher: EnvelopeCipher | undefined,
    private readonly onChange?: (e: ChangeEvent) => void,
    private readonly apiBasePolicy: ApiBasePolicy = { allowHttpHosts: new Set(), local: false },
  ) {}

  async #credential(id: string, input: Input): Promise<Record<string, unknown>> {
    if (input.api_key && input.api_key_secret_ref) throw new InvalidRequest('Give either api_key or api_key_secret_ref, not both.', 'api_key');
    if (input.api_key) {
      if (!this.cipher) throw new InvalidRequest('This gateway has no SKYWAY_ENCRYPTION_KEY (or KMS key) to store credentials; use api_key_secret_ref.', 'api_key', 'encryption_not_configured');
      return { credential_kind: 'encrypted', credential_envelope: jsonb(await this.cipher.encrypt(input.api_key, id)), credential_secret_ref: null };
    }
    if (input.api_key_secret_ref) return { credential_kind: 'secret_ref', credential_envelope: null, credential_secret_ref: input.api_key_secret_ref };
    if (input.clear_credential) return { credential_kind: 'none', credential_envelope: null, credential_secret_ref: null };
    return {};
  }

  /** Masked secrets sent back (`"***"`) keep their stored values; a mask with nothing stored is refused. */
  #unmask(i: Input, stored: DeploymentRow | undefined): Input {
    const out: Input = { ...i };
    if (i.headers) {
      const r = keepMaskedSecrets(i.headers, stored?.headers ?? {}, isSecretHeader);
      if (r.unknownMasked.length) throw new InvalidRequest(`headers.${r.unknownMasked[0]} is '***' (the mask of a secret) but no value is stored for it; send the value.`, `headers.${r.unknownMasked[0]}`);
      out.headers = r.merged;
    }
    if (i.options) {
      const r = keepMaskedSecrets(i.options, stored?.options ?? {}, isSecretOption);
      if (r.unknownMasked.length) throw new InvalidRequest(`options.${r.unknownMasked[0]} is '***' (the mask of a secret) but no value is stored for it; send the value.`, `options.${r.unknownMasked[0]}`);
      out.options = r.merged;
    }
    return out;
  }

  #columns(i: Input): Record<string, unknown> {
    return {
      model_name: i.model_name,
      provider: i.provider,
      upstream_model: i.upstream_model,
      api_base: i.api_base,
      weight: i.weight,
      timeout_ms: i.timeout_ms,
      headers: i.headers === undefined ? undefined : jsonb(i.headers),
      options: i.options === undefined ? undefined : jsonb(i.options),
      enabled: i.enabled,
    };
  }

  async #emit(e: ChangeEvent): Promise<void> {
    await this.bus.publish(e).catch(() => undefined);
    this.onChange?.(e);
  }

  async create(actor: Actor, input: z.infer<typeof DeploymentCreate>): Promise<PublicDeploymentRow> {
    const id = input.id ?? `${input.model_name}/${Date.now().toString(36)}`;
    if (input.api_base) checkApiBase(input.api_base, this.apiBasePolicy);
    const cred = await this.#credential(id, input);
    const row = await inTransaction(this.db, async (c) => {
      const created = await insertRow<DeploymentRow>(c, 'model_deployments', { id, ...this.#columns(this.#unmask(input, undefined)), ...cred });
      await writeAudit(c, actor, { action: 'deployment.create', entityType: 'deployment', entityId: id, before: null, after: publicDeployment(created) });
      return created;
    }).catch((err: { code?: string }) => {
      if (err.code === '23505') throw new ResourceConflict(`A deployment with id '${id}' already exists.`, 'deployment_exists', 'id');
      throw err;
    });
    await this.#emit({ type: 'deployment', id, action: 'created' });
    return publicDeployment(row);
  }

  async get(id: string): Promise<PublicDeploymentRow> {
    const row = (await this.db.query('select * from model_deployments where id = $1', [id])).rows[0] as DeploymentRow | undefined;
    if (!row) throw new ResourceNotFound('deployment', id);
    return publicDeployment(row);
  }

  async list(modelName: string | undefined, page: { limit: number; cursor?: string | undefined }): Promise<Page<PublicDeploymentRow>> {
    const p = await listPage<DeploymentRow>(this.db, 'model_deployments', modelName ? ['model_name = $1'] : [], modelName ? [modelName] : [], page);
    return { ...p, data: p.data.map(publicDeployment) };
  }

  async update(actor: Actor, id: string, input: Input): Promise<PublicDeploymentRow> {
    if (input.api_base) checkApiBase(input.api_base, this.apiBasePolicy);
    const cred = await this.#credential(id, input);
    const row = await inTransaction(this.db, async (c) => {
      const before = await selectForUpdate<DeploymentRow>(c, 'model_deployments', id);
      if (!before) throw new ResourceNotFound('deployment', id);
      const after = (await updateRow<DeploymentRow>(c, 'model_deployments', id, { ...this.#columns(this.#unmask(input, before)), ...cred }))!;
      const diff = auditDiff(before, after);
      await writeAudit(c, actor, { action: 'deployment.update', entityType: 'deployment', entityId: id, ...diff });
      return after;
    });
    await this.#emit({ type: 'deployment', id, action: 'updated' });
    return publicDeployment(row);
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await inTransaction(this.db, async (c) => {
      const before = await selectForUpdate<DeploymentRow>(c, 'model_deployments', id);
      if (!before) throw new ResourceNotFound('deployment', id);
      await c.query('delete from model_deployments where id = $1', [id]);
      await writeAudit(c, actor, { action: 'deployment.delete', entityType: 'deployment', entityId: id, before: publicDeployment(before), after: null });
    });
    await this.#emit({ type: 'deployment', id, action: 'deleted' });
  }
}

/** A deployment from the database, ready for routing: the public model name and the resolved deployment. */
export interface ManagedDeployment {
  modelName: string;
  deployment: Deployment;
}

export interface LoadOptions {
  cipher?: EnvelopeCipher | undefined;
  /** Resolves a Secrets Manager reference to the credential (e.g. GetSecretValue); required for secret_ref rows. */
  resolveSecretRef?: ((ref: string) => Promise<string>) | undefined;
}

/**
 * Every enabled deployment with its credential decrypted or resolved — for the api role's routing table.
 *
 * @example const managed = await loadDeployments(db, { cipher: credentialCipherFromEnv(), resolveSecretRef: secretsManagerResolver() });
 */
export async function loadDeployments(db: pg.Pool, opts: LoadOptions = {}): Promise<ManagedDeployment[]> {
  const rows = (await db.query('select * from model_deployments where enabled order by model_name, id')).rows as DeploymentRow[];
  const out: ManagedDeployment[] = [];
  for (const r of rows) {
    let apiKey: string | undefined;
    if (r.credential_kind === 'encrypted') {
      if (!opts.cipher) throw new Error(`deployment ${r.id} has an encrypted credential but no SKYWAY_ENCRYPTION_KEY/KMS key is configured`);
      apiKey = await opts.cipher.decrypt(r.credential_envelope!, r.id);
    } else if (r.credential_kind === 'secret_ref') {
      if (!opts.resolveSecretRef) throw new Error(`deployment ${r.id} references a secret but no secret resolver is configured`);
      apiKey = await opts.resolveSecretRef(r.credential_secret_ref!);
    }
    out.push({
      modelName: r.model_name,
      deployment: {
        id: r.id,
        provider: r.provider,
        upstreamModel: r.upstream_model,
        apiBase: trimTrailingSlashes(r.api_base ?? ''),
        apiKey,
        weight: r.weight,
        timeoutMs: r.timeout_ms,
        headers: r.headers,
        options: r.options,
        // Added at run time by an admin: an upstream's error body is not shown to clients verbatim.
        hideUpstreamErrorBodies: true,
      },
    });
  }
  return out;
}

/**
 * Reload deployments whenever one changes anywhere (over the change bus), and once at start. `onReload` gets
 * the full set each time; errors go to `onError` and the previous set stays in force, and a failed load (a
 * decrypt or a Secrets Manager call that failed) is retried with exponential backoff (`retryMs`, doubling up to
 * `maxRetryMs`) until one succeeds or a change event reloads anyway. Returns a stop function.
 */
export function watchDeployments(
  db: pg.Pool,
  bus: ChangeBus,
  opts: LoadOptions & { onReload: (all: ManagedDeployment[]) => void; onError?: (err: unknown) => void; retryMs?: number; maxRetryMs?: number },
): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  const scheduleRetry = (): void => {
    if (stopped || retryTimer) return;
    const delay = Math.min((opts.retryMs ?? 1000) * 2 ** Math.min(failures - 1, 16), opts.maxRetryMs ?? 60_000);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      reload();
    }, delay);
    retryTimer.unref();
  };
  const reload = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = undefined;
    }
    running = loadDeployments(db, opts)
      .then(
        (all) => {
          failures = 0;
          try {
            opts.onReload(all);
          } catch (err) {
            opts.onError?.(err);
          }
        },
        (err: unknown) => {
          failures++;
          opts.onError?.(err);
        },
      )
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          reload();
        } else if (failures > 0) scheduleRetry();
      });
  };
  const unsub = bus.subscribe((e) => {
    if (e.type === 'deployment') reload();
  });
  const unsync = bus.onResync(reload);
  reload();
  return () => {
    stopped = true;
    if (retryTimer) clearTimeout(retryTimer);
    unsub();
    unsync();
  };
}
