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

/** What the API and the audit log may show: no envelope. */
export type PublicDeploymentRow = Omit<DeploymentRow, 'credential_envelope'>;

export function publicDeployment(row: DeploymentRow): PublicDeploymentRow {
  const { credential_envelope: _e, ...rest } = row;
  return rest;
}

type Input = z.infer<typeof DeploymentUpdate> & { id?: string | undefined };

export class DeploymentService {
  constructor(
    private readonly db: pg.Pool,
    private readonly bus: ChangeBus,
    private readonly cipher: EnvelopeCipher | undefined,
    private readonly onChange?: (e: ChangeEvent) => void,
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
    const cred = await this.#credential(id, input);
    const row = await inTransaction(this.db, async (c) => {
      const created = await insertRow<DeploymentRow>(c, 'model_deployments', { id, ...this.#columns(input), ...cred });
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
    const cred = await this.#credential(id, input);
    const row = await inTransaction(this.db, async (c) => {
      const before = await selectForUpdate<DeploymentRow>(c, 'model_deployments', id);
      if (!before) throw new ResourceNotFound('deployment', id);
      const after = (await updateRow<DeploymentRow>(c, 'model_deployments', id, { ...this.#columns(input), ...cred }))!;
      await writeAudit(c, actor, { action: 'deployment.update', entityType: 'deployment', entityId: id, before: publicDeployment(before), after: publicDeployment(after) });
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
        apiBase: (r.api_base ?? '').replace(/\/+$/, ''),
        apiKey,
        weight: r.weight,
        timeoutMs: r.timeout_ms,
        headers: r.headers,
        options: r.options,
      },
    });
  }
  return out;
}

/**
 * Reload deployments whenever one changes anywhere (over the change bus), and once at start. `onReload` gets
 * the full set each time; errors go to `onError` and the previous set stays in force. Returns a stop function.
 */
export function watchDeployments(
  db: pg.Pool,
  bus: ChangeBus,
  opts: LoadOptions & { onReload: (all: ManagedDeployment[]) => void; onError?: (err: unknown) => void },
): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  const reload = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = loadDeployments(db, opts)
      .then(opts.onReload, (err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          reload();
        }
      });
  };
  const unsub = bus.subscribe((e) => {
    if (e.type === 'deployment') reload();
  });
  const unsync = bus.onResync(reload);
  reload();
  return () => {
    unsub();
    unsync();
  };
}
