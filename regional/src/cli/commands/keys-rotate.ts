import type { Command } from '../command.js';
import { num } from '../format.js';

export const keysRotate: Command = {
  path: ['keys', 'rotate'],
  summary: 'Issue a replacement key; the old one keeps working for the grace period',
  positionals: ['<key id>'],
  flags: {
    grace: { type: 'string', value: 'SECONDS', description: 'How long the old key keeps working (0 = stops now)', default: '86400' },
  },
  examples: ['skyway keys rotate a1b2c3d4e5f6 --grace 3600'],
  async run({ values: o, positionals, admin, print, io }) {
    const r = await admin.request('POST', `/admin/keys/${encodeURIComponent(positionals[0]!)}/rotate`, { grace_period_seconds: num(o.grace, 'grace') ?? 86400 });
    const k = r.key as Record<string, unknown>;
    const prev = r.previous as Record<string, unknown>;
    print(r, () => [`new key ${String(k.id)}${k.alias ? ` (${String(k.alias)})` : ''}: ${String(k.key)}`, `old key ${String(prev.id)} works until ${String(prev.grace_expires_at)}`]);
    if (typeof r.warning === 'string') io.err(`skyway: warning: ${r.warning}`);
  },
};
