/**
 * Edit a key: alias, models, limits, per-model limits, budget and expiry, through PATCH /admin/keys/{id}.
 * Opens with the focus on its first field; Escape cancels.
 * Checked here first (each field says what is wrong, and a summary lists every problem); the server's answer,
 * when it refuses, is shown next to the field it names.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import type { KeyObject } from './keys';

interface LimitsInput {
  rpm: string;
  tpm: string;
  max_parallel: string;
}
interface ModelLimitRow extends LimitsInput {
  model: string;
}
interface FormState {
  alias: string;
  models: string;
  limits: LimitsInput;
  modelLimits: ModelLimitRow[];
  budget: string;
  period: string;
  expires: string;
}
type Errors = Record<string, string>;
type Limits = { rpm?: number; tpm?: number; max_parallel?: number };

const LIMIT_FIELDS = [
  ['rpm', 'Requests per minute'],
  ['tpm', 'Tokens per minute'],
  ['max_parallel', 'Parallel requests'],
] as const;

const str = (n: number | undefined) => (n === undefined ? '' : String(n));
const limitsIn = (l: Limits | undefined): LimitsInput => ({ rpm: str(l?.rpm), tpm: str(l?.tpm), max_parallel: str(l?.max_parallel) });

function initial(k: KeyObject): FormState {
  return {
    alias: k.alias ?? '',
    models: k.models?.join(', ') ?? '',
    limits: limitsIn(k.limits),
    modelLimits: Object.entries(k.model_limits ?? {}).map(([model, l]) => ({ model, ...limitsIn(l) })),
    budget: k.budget ? String(k.budget.max_usd) : '',
    period: k.budget?.period ?? 'monthly',
    // <input type=datetime-local> in UTC: the label says so.
    expires: k.expires_at ? k.expires_at.slice(0, 16) : '',
  };
}

/** Turn the form into a PATCH body, or the errors that stop it (field name → message). */
export function toPatch(f: FormState, now = Date.now()): { body?: Record<string, unknown>; errors: Errors } {
  const errors: Errors = {};
  const limits = (l: LimitsInput, at: string): Limits => {
    const out: Limits = {};
    for (const [name, label] of LIMIT_FIELDS) {
      const v = l[name].trim();
      if (!v) continue;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) errors[`${at}.${name}`] = `${label} must be a whole number above 0, or empty for no limit.`;
      else out[name] = n;
    }
    return out;
  };
  const models = f.models.split(',').map((m) => m.trim()).filter(Boolean);
  if (new Set(models).size !== models.length) errors.models = 'A model is listed twice.';
  const modelLimits: Record<string, Limits> = {};
  f.modelLimits.forEach((row, i) => {
    const m = row.model.trim();
    if (!m) errors[`model_limits.${i}.model`] = 'Name the model these limits apply to.';
    else if (m in modelLimits) errors[`model_limits.${i}.model`] = `${m} already has limits.`;
    else if (models.length && !models.includes(m)) errors[`model_limits.${i}.model`] = `${m} is not one of the key's models.`;
    const before = Object.keys(errors).length;
    const l = limits(row, `model_limits.${i}`);
    if (Object.keys(errors).length === before && !Object.keys(l).length) errors[`model_limits.${i}.rpm`] = 'Give at least one limit, or remove the row.';
    if (m) modelLimits[m] = l;
  });
  const body: Record<string, unknown> = {
    alias: f.alias.trim() || null,
    models: models.length ? models : null,
    limits: limits(f.limits, 'limits'),
    model_limits: modelLimits,
  };
  if (f.budget.trim()) {
    const b = Number(f.budget);
    if (!Number.isFinite(b) || b < 0) errors['budget.max_usd'] = 'The budget is an amount in USD, 0 or more (empty for no budget).';
    else body.budget = { max_usd: b, period: f.period };
  } else body.budget = null;
  if (f.expires) {
    const t = Date.parse(f.expires + ':00Z');
    if (Number.isNaN(t)) errors.expires_at = 'Not a date and time.';
    else if (t <= now) errors.expires_at = 'The expiry must be in the future (revoke the key to stop it now).';
    else body.expires_at = new Date(t).toISOString();
  } else body.expires_at = null;
  return Object.keys(errors).length ? { errors } : { body, errors };
}

/** Which form field a server error's `param` points at. */
function fieldOf(param: string | null): string {
  if (!param) return 'form';
  if (param === 'budget' || param.startsWith('budget.')) return 'budget.max_usd';
  if (param.startsWith('model_limits')) return 'model_limits';
  if (param.startsWith('limits.')) return param.split('.').slice(0, 2).join('.');
  return param.split('.')[0]!;
}

interface InputProps {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  errors: Errors;
  hint?: string;
  type?: 'text' | 'number' | 'datetime-local';
  min?: string;
  step?: string;
  inputMode?: 'numeric' | 'decimal';
  autoFocus?: boolean;
}

function Input({ id, label, value, onInput, errors, hint, type, min, step, inputMode, autoFocus }: InputProps) {
  const err = errors[id];
  const described = [hint ? `${id}-hint` : '', err ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <label class="field">
      <span>{label}</span>
      <input type={(type ?? 'text') as 'text' /* preact types `type` as a union keyed by its value */} min={min} step={step} inputMode={inputMode} autoFocus={autoFocus} id={`edit-${id}`} name={`edit-${id}`} value={value} onInput={(e) => onInput(e.currentTarget.value)} aria-invalid={err ? 'true' : undefined} aria-describedby={described} />
      {hint ? <small class="muted" id={`${id}-hint`}>{hint}</small> : null}
      {err ? <small class="error" id={`${id}-error`}>{err}</small> : null}
    </label>
  );
}

export function EditKey({ k, onSaved, onCancel }: { k: KeyObject; onSaved: (k: KeyObject) => void; onCancel: () => void }) {
  const [f, setF] = useState<FormState>(() => initial(k));
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const set = (patch: Partial<FormState>) => setF({ ...f, ...patch });
  const setRow = (i: number, patch: Partial<ModelLimitRow>) => set({ modelLimits: f.modelLimits.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const submit = async (e: Event) => {
    e.preventDefault();
    const { body, errors: found } = toPatch(f);
    setErrors(found);
    if (!body) return;
    setSaving(true);
    try {
      onSaved(await api.patch<KeyObject>(`/admin/keys/${k.id}`, body));
    } catch (err) {
      const p = err instanceof ApiError ? err.param : null;
      setErrors({ [fieldOf(p)]: (err as Error).message });
    } finally {
      setSaving(false);
    }
  };
  const problems = Object.values(errors);
  // Keyboard and screen-reader users land on the list of problems when a save is refused.
  useEffect(() => {
    if (problems.length) document.getElementById('edit-errors')?.focus();
  }, [errors]);
  return (
    <form class="edit-key" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onCancel()} aria-labelledby="edit-key-title" noValidate>
      <h2 id="edit-key-title">Edit key</h2>
      {problems.length ? (
        <div id="edit-errors" class="error-summary" role="alert" tabIndex={-1}>
          <p>
            <strong>{problems.length === 1 ? 'The key was not saved:' : `The key was not saved (${problems.length} problems):`}</strong>
          </p>
          <ul>{problems.map((p) => <li>{p}</li>)}</ul>
        </div>
      ) : null}
      <fieldset>
        <legend>Name and models</legend>
        <Input id="alias" label="Alias" value={f.alias} onInput={(v) => set({ alias: v })} errors={errors} autoFocus />
        <Input id="models" label="Models" value={f.models} onInput={(v) => set({ models: v })} errors={errors} hint="Comma-separated model names; empty = every model" />
      </fieldset>
      <fieldset>
        <legend>Limits (empty = no limit)</legend>
        {LIMIT_FIELDS.map(([name, label]) => (
          <Input id={`limits.${name}`} label={label} type="number" min="1" step="1" inputMode="numeric" value={f.limits[name]} onInput={(v) => set({ limits: { ...f.limits, [name]: v } })} errors={errors} />
        ))}
      </fieldset>
      <fieldset>
        <legend>Per-model limits</legend>
        {errors.model_limits ? <p class="error" id="model_limits-error">{errors.model_limits}</p> : null}
        {f.modelLimits.length ? null : <p class="muted">None: the key's limits apply to every model together.</p>}
        {f.modelLimits.map((row, i) => (
          <div class="model-limit" role="group" aria-label={`Per-model limit ${i + 1}`}>
            <Input id={`model_limits.${i}.model`} label="Model" value={row.model} onInput={(v) => setRow(i, { model: v })} errors={errors} />
            {LIMIT_FIELDS.map(([name, label]) => (
              <Input id={`model_limits.${i}.${name}`} label={label} type="number" min="1" step="1" inputMode="numeric" value={row[name]} onInput={(v) => setRow(i, { [name]: v })} errors={errors} />
            ))}
            <button type="button" onClick={() => set({ modelLimits: f.modelLimits.filter((_r, j) => j !== i) })} aria-label={`Remove the per-model limit ${row.model || i + 1}`}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" id="add-model-limit" onClick={() => set({ modelLimits: [...f.modelLimits, { model: '', rpm: '', tpm: '', max_parallel: '' }] })}>
          Add a per-model limit
        </button>
      </fieldset>
      <fieldset>
        <legend>Budget and expiry</legend>
        <Input id="budget.max_usd" label="Budget (USD)" type="number" min="0" step="0.01" inputMode="decimal" value={f.budget} onInput={(v) => set({ budget: v })} errors={errors} hint="Empty = no budget of its own" />
        <label class="field">
          <span>Budget period</span>
          <select id="edit-budget.period" name="edit-budget.period" value={f.period} onChange={(e) => set({ period: e.currentTarget.value })}>
            <option value="daily">daily</option>
            <option value="weekly">weekly (from Monday)</option>
            <option value="monthly">monthly</option>
            <option value="none">none (lifetime)</option>
          </select>
        </label>
        <Input id="expires_at" label="Expires (UTC)" type="datetime-local" value={f.expires} onInput={(v) => set({ expires: v })} errors={errors} hint="Empty = never" />
      </fieldset>
      {errors.form ? <p class="error">{errors.form}</p> : null}
      <div class="actions">
        <button type="submit" disabled={saving}>
          {saving ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
