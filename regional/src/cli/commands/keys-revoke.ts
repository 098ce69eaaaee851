import type { Command } from '../command.js';

export const keysRevoke: Command = {
  path: ['keys', 'revoke'],
  summary: 'Revoke a key: every replica and the edge stop accepting it',
  positionals: ['<key id>'],
  flags: {
    reason: { type: 'string', value: 'TEXT', description: 'Why (kept in the audit log)', default: 'none' },
  },
  examples: ['skyway keys revoke a1b2c3d4e5f6 --reason "leaked in a log"'],
  async run({ values: o, positionals, admin, print }) {
    const k = await admin.request('POST', `/admin/keys/${encodeURIComponent(positionals[0]!)}/revoke`, typeof o.reason === 'string' ? { reason: o.reason } : {});
    print(k, () => [`revoked key ${String(k.id)} at ${String(k.revoked_at)}`]);
  },
};
