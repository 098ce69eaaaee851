import type { Json } from '../admin-client.js';
import type { Command } from '../command.js';
import { table, usd } from '../format.js';

const NONE: Record<string, string> = { team: '(no team)', user: '(no user)', key: '(no key)' };

export const spend: Command = {
  path: ['spend'],
  summary: 'Spend by key, team, user, model or day (UTC days)',
  flags: {
    by: { type: 'string', value: 'key|team|user|model|day', description: 'How to group', default: 'day' },
    from: { type: 'string', value: 'YYYY-MM-DD', description: 'First day, inclusive', default: '30 days ago' },
    to: { type: 'string', value: 'YYYY-MM-DD', description: 'Last day, inclusive', default: 'today' },
    team: { type: 'string', value: 'ID', description: 'Only this team', default: 'all' },
    key: { type: 'string', value: 'ID', description: 'Only this key', default: 'all' },
    user: { type: 'string', value: 'ID', description: 'Only this user', default: 'all' },
    model: { type: 'string', value: 'NAME', description: 'Only this model', default: 'all' },
  },
  examples: ['skyway spend --by team --from 2026-11-01', 'skyway spend --by model --key a1b2c3d4e5f6 --json'],
  async run({ values: o, admin, print }) {
    const by = typeof o.by === 'string' ? o.by : 'day';
    const q = new URLSearchParams({ group_by: by });
    for (const [name, value] of [['from', o.from], ['to', o.to], ['team_id', o.team], ['key_id', o.key], ['user_id', o.user], ['model', o.model]] as const) {
      if (typeof value === 'string') q.set(name, value);
    }
    const r = await admin.request('GET', `/admin/spend?${q}`);
    const rows = (r.data as Json[]).map((x) => ({ ...x, group: x.group === '' || x.group == null ? (NONE[by] ?? '(none)') : x.group, cost_usd: usd(Number(x.cost_usd)) }));
    const total = r.total as Json;
    print(r, () => [
      `spend by ${String(r.group_by)}, ${String(r.from)} .. ${String(r.to)}`,
      ...table(rows, ['group', 'requests', 'total_tokens', 'cost_usd']),
      `total: ${String(total.requests)} requests, ${String(total.total_tokens)} tokens, ${usd(Number(total.cost_usd))}`,
    ]);
  },
};
