import { CliError, type Command } from '../command.js';
import { num } from '../format.js';

export const keysCreate: Command = {
  path: ['keys', 'create'],
  summary: 'Create a virtual key (the key is printed once)',
  flags: {
    alias: { type: 'string', value: 'NAME', description: 'A unique, human name for the key', default: 'none' },
    team: { type: 'string', value: 'ID', description: 'Team the key belongs to', default: 'none' },
    user: { type: 'string', value: 'ID', description: 'User the key belongs to', default: 'none' },
    models: { type: 'string', value: 'M1,M2', description: 'Models the key may use (comma separated)', default: 'every model' },
    rpm: { type: 'string', value: 'N', description: 'Requests per minute', default: 'no limit' },
    tpm: { type: 'string', value: 'N', description: 'Tokens per minute', default: 'no limit' },
    'max-parallel': { type: 'string', value: 'N', description: 'Requests in flight at once', default: 'no limit' },
    budget: { type: 'string', value: 'USD', description: 'Spend limit in US dollars per --period', default: 'no budget' },
    period: { type: 'string', value: 'daily|weekly|monthly|none', description: 'Budget period (with --budget)', default: 'monthly' },
    expires: { type: 'string', value: 'ISO-8601', description: 'When the key stops working', default: 'never' },
  },
  examples: ['skyway keys create --alias web-app --models gpt-4o-mini,mock-1 --rpm 60 --budget 20 --period monthly'],
  async run({ values: o, admin, print }) {
    if (o.period !== undefined && o.budget === undefined) throw new CliError('--period needs --budget', 2);
    const limits = { rpm: num(o.rpm, 'rpm'), tpm: num(o.tpm, 'tpm'), max_parallel: num(o['max-parallel'], 'max-parallel') };
    const models = typeof o.models === 'string' ? o.models.split(',').map((m) => m.trim()).filter(Boolean) : undefined;
    const k = await admin.request('POST', '/admin/keys', {
      alias: o.alias,
      team_id: o.team,
      user_id: o.user,
      models,
      limits: Object.values(limits).some((v) => v !== undefined) ? limits : undefined,
      budget: o.budget !== undefined ? { max_usd: num(o.budget, 'budget'), period: o.period ?? 'monthly' } : undefined,
      expires_at: o.expires,
    });
    print(k, () => [`created key ${String(k.id)}${k.alias ? ` (${String(k.alias)})` : ''}`, `key: ${String(k.key)}`, `models: ${Array.isArray(k.models) ? k.models.join(', ') : 'every model'}`, 'Store it now: it is not shown again.']);
  },
};
