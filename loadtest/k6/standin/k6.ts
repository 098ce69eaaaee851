/** Stand-in for the `k6` module: check, group, sleep, fail. */
import { record, state } from './context.js';

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>, tags?: Record<string, string>): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    let ok: boolean;
    try {
      ok = Boolean(fn(value));
    } catch {
      ok = false;
    }
    const c = state.checks.get(name) ?? { passes: 0, fails: 0 };
    if (ok) c.passes++;
    else c.fails++;
    state.checks.set(name, c);
    record('checks', 'rate', ok ? 1 : 0, { ...tags, check: name });
    all &&= ok;
  }
  return all;
}

export function group<T>(name: string, fn: () => T): T {
  const previous = state.tags;
  state.tags = { ...previous, group: `${previous.group ?? ''}::${name}` };
  try {
    return fn();
  } finally {
    state.tags = previous;
  }
}

/** Sleeps for real, but at most K6_STANDIN_MAX_SLEEP_MS (default 10) so tests stay fast. */
export function sleep(seconds: number): void {
  const cap = Number(process.env.K6_STANDIN_MAX_SLEEP_MS ?? 10);
  const ms = Math.min(seconds * 1000, cap);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export class K6Fail extends Error {
  override readonly name = 'K6Fail';
}

export function fail(message?: string): never {
  throw new K6Fail(message ?? 'fail()');
}

export default { check, group, sleep, fail };
