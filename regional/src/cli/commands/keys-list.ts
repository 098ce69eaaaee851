import type { Json } from '../admin-client.js';
import type { Command } from '../command.js';
import { table, usd } from '../format.js';

/** The rotation of a key in one cell: where it went (and until when it still works) or where it came from. */
export function rotationCell(k: Json, now = Date.now()): string {
  if (k.replaced_by) {
    const until = k.grace_expires_at ? Date.parse(String(k.grace_expires_at)) : NaN;
    return until > now ? `replaced by ${String(k.replaced_by)}, works until ${String(k.grace_expires_at)}` : `replaced by ${String(k.replaced_by)} (grace over)`;
  }
  return k.rotated_from ? `replaces ${String(k.rotated_from)}` : '';
}

export const keysList: Command = {
  path: ['keys', 'list'],
  summary: 'List keys, newest first, with their rotation state',
  flags: {
    team: { type: 'string', value: 'ID', description: 'Only keys of this team', default: 'all' },
    user: { type: 'string', value: 'ID', description: 'Only keys of this user', default: 'all' },
    model: { type: 'string', value: 'NAME', description: 'Only keys that may use this model', default: 'all' },
    status: { type: 'string', value: 'active|revoked|expired|rotated', description: 'Only keys in this state (rotated: replaced, in grace or past it)', default: 'all' },
    limit: { type: 'string', value: 'N', description: 'How many keys to show', default: '100' },
  },
  examples: ['skyway keys list --status rotated', 'skyway keys list --team search --json'],
  async run({ values: o, admin, print }) {
    const q = new URLSearchParams();
    for (const [name, value] of [['team_id', o.team], ['user_id', o.user], ['status', o.status], ['limit', o.limit ?? '100'], ['model', o.model]] as const) {
      if (typeof value === 'string') q.set(name, value);
    }
    const page = await admin.request('GET', `/admin/keys?${q}`);
    const data = page.data as Json[];
    // The alias moves to the replacement at rotation; the old key shows it too while it still works.
    const aliasOf = new Map(data.map((k) => [String(k.id), k.alias]));
    for (const k of data) if (k.replaced_by && !aliasOf.has(String(k.replaced_by))) {
      const next = await admin.request('GET', `/admin/keys/${encodeURIComponent(String(k.replaced_by))}`).catch(() => undefined);
      aliasOf.set(String(k.replaced_by), next?.alias);
    }
    const now = Date.now();
    const rows = data.map((k) => {
      const inheritedAlias = !k.alias && k.replaced_by ? aliasOf.get(String(k.replaced_by)) : undefined;
      const budget = k.budget as { max_usd: number; period: string } | null;
      return {
        ...k,
        alias: inheritedAlias ? `${String(inheritedAlias)} (old)` : k.alias,
        status: k.replaced_by && k.status === 'active' ? 'rotated (grace)' : k.status,
        budget: budget ? `${usd(budget.max_usd)}/${budget.period}` : '',
        rotation: rotationCell(k, now),
      };
    });
    print(page, () => [...table(rows, ['id', 'alias', 'status', 'team_id', 'models', 'budget', 'expires_at', 'rotation']), ...(page.has_more ? ['(more: raise --limit or filter)'] : [])]);
  },
};
