/** Budget use (spent / budget this period, and the reset date) for keys and teams, from GET /admin/budget-use. */
import { api, usd } from '../api';
import { useLoad } from '../ui';

export interface BudgetUse {
  id: string;
  max_usd: number;
  period: 'daily' | 'weekly' | 'monthly' | 'none';
  spent_usd: number;
  left_usd: number;
  period_start: string | null;
  resets_at: string | null;
}

const PERIOD_WORD: Record<BudgetUse['period'], string> = { daily: 'today', weekly: 'this week', monthly: 'this month', none: 'in total' };

/** Budget use of the given keys (or teams; all teams with a budget when `ids` is undefined), by id; ids without a budget are absent. Empty while loading; `version` reloads. */
export function useBudgetUse(scope: 'key' | 'team', ids: string[] | undefined, version = 0): [Map<string, BudgetUse>, boolean] {
  const idList = ids?.join(',') ?? '';
  const [load] = useLoad(async () => {
    if (scope === 'key' && !idList) return [];
    return (await api.get<{ data: BudgetUse[] }>('/admin/budget-use', { scope, ids: idList || undefined })).data;
  }, [scope, idList, version]);
  return [new Map(load.state === 'ok' ? load.data.map((u) => [u.id, u]) : []), load.state === 'error'];
}

/** "$0.75 of $2 this month (38%) · resets 2026-12-01", with a progress bar that screen readers announce. */
export function BudgetMeter({ use, label }: { use: BudgetUse; label: string }) {
  const share = use.max_usd > 0 ? Math.min(1, use.spent_usd / use.max_usd) : 1;
  const over = use.spent_usd >= use.max_usd;
  return (
    <span class={`budget-meter${over ? ' over' : ''}`} data-budget-id={use.id}>
      <progress max={1} value={share} aria-label={`${label}: ${Math.round(share * 100)}% of the budget spent`} />
      <span class="budget-text">
        {usd(use.spent_usd)} of {usd(use.max_usd)} {PERIOD_WORD[use.period]}
        {use.resets_at ? ` · resets ${use.resets_at.slice(0, 10)}` : ''}
      </span>
    </span>
  );
}
