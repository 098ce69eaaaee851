/** Small shared pieces: page state (loading / error / empty), a labelled field, a data table, a pager. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export type Load<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; data: T };

/** Runs `fn` whenever `deps` change; `reload()` runs it again. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    fn().then(
      (data) => live && setLoad({ state: 'ok', data }),
      (err: Error) => live && setLoad({ state: 'error', message: err.message }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [load, () => setTick((t) => t + 1)];
}

export function Status<T>({ load, empty, emptyText, children }: { load: Load<T>; empty?: (d: T) => boolean; emptyText?: string; children: (d: T) => ComponentChildren }) {
  if (load.state === 'loading') return <p class="muted" role="status">Loading…</p>;
  if (load.state === 'error') return <p class="error" role="alert">Could not load: {load.message}</p>;
  if (empty?.(load.data)) return <p class="empty" role="status">{emptyText ?? 'Nothing here yet.'}</p>;
  return <>{children(load.data)}</>;
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
      {hint ? <small class="muted">{hint}</small> : null}
    </label>
  );
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  num?: boolean;
}

export function Table<T>({ rows, columns, caption, rowKey }: { rows: T[]; columns: Column<T>[]; caption: string; rowKey: (r: T) => string }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" class={c.num ? 'num' : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)} data-row={rowKey(r)}>
              {columns.map((c) => (
                <td class={c.num ? 'num' : undefined} data-label={c.label}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Server-side paging: a stack of cursors so "Previous" works too. */
export function usePager(): { cursor: string | undefined; next: (c: string | null) => void; prev: () => void; reset: () => void; page: number } {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (c) => c && setStack([...stack, c]),
    prev: () => stack.length > 1 && setStack(stack.slice(0, -1)),
    reset: () => setStack([undefined]),
  };
}

export function Pager({ pager, hasMore, nextCursor }: { pager: ReturnType<typeof usePager>; hasMore: boolean; nextCursor: string | null }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" onClick={pager.prev} disabled={pager.page === 1}>
        Previous
      </button>
      <span>Page {pager.page}</span>
      <button type="button" onClick={() => pager.next(nextCursor)} disabled={!hasMore}>
        Next
      </button>
    </nav>
  );
}

export function downloadCsv(name: string, header: string[], rows: (string | number)[][]): void {
  const esc = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const text = [header, ...rows].map((r) => r.map(esc).join(',')).join('\n') + '\n';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
