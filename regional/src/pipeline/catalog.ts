/**
 * Public model names and their deployments, with weighted choice among a model's deployments. The table can
 * be replaced at run time (deployments managed through the admin API) without touching requests in flight.
 */
import type { ModelEntry, ModelTable } from '../config/load.js';
import type { Deployment } from '../providers/adapter.js';

interface Weighted {
  entry: ModelEntry;
  /** Cumulative weights, for one random draw per request. */
  cumulative: number[];
  total: number;
}

export class ModelCatalog {
  private table = new Map<string, Weighted>();
  /** `GET /v1/models` body per set of allowed models is cheap to rebuild; cache the unrestricted one. */
  private listBody: string | undefined;
  readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(table: ModelTable) {
    this.replace(table);
  }

  replace(table: ModelTable): void {
    const next = new Map<string, Weighted>();
    for (const [name, entry] of table.models) {
      const cumulative: number[] = [];
      let total = 0;
      for (const d of entry.deployments) cumulative.push((total += d.weight));
      next.set(name, { entry, cumulative, total });
    }
    this.table = next;
    this.listBody = undefined;
  }

  get(name: string): ModelEntry | undefined {
    return this.table.get(name)?.entry;
  }

  names(): string[] {
    return [...this.table.keys()];
  }

  /** One deployment of `name`, drawn by weight. */
  pick(name: string): Deployment | undefined {
    const w = this.table.get(name);
    if (!w) return undefined;
    const ds = w.entry.deployments;
    if (ds.length === 1) return ds[0];
    const r = Math.random() * w.total;
    for (let i = 0; i < w.cumulative.length; i++) if (r < w.cumulative[i]!) return ds[i];
    return ds[ds.length - 1];
  }

  /** The OpenAI `GET /v1/models` body, limited to `allowed` when given. */
  listJson(allowed?: ReadonlySet<string>): string {
    if (!allowed && this.listBody) return this.listBody;
    const data = this.names()
      .filter((n) => !allowed || allowed.has(n))
      .map((id) => this.modelObject(id));
    const body = JSON.stringify({ object: 'list', data });
    if (!allowed) this.listBody = body;
    return body;
  }

  modelObject(id: string): { id: string; object: 'model'; created: number; owned_by: string } {
    return { id, object: 'model', created: this.createdAt, owned_by: 'skyway' };
  }
}
