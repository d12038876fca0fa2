/**
 * The few building blocks every page uses: loading data, showing an outcome, a table, a section,
 * paging. Form controls are in forms.tsx; picking a table row and its panel in row-panel.tsx.
 */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useForm } from './forms.tsx';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  /** Loads again; resolves once that load (or a newer one) has landed, whatever its answer. */
  reload: () => Promise<void>;
}

/** Runs `load` now and whenever `deps` change or `reload` is called; the newest answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  const requested = useRef(0);
  // Callers of `reload` waiting for the answer of their round or a newer one.
  const waiting = useRef<{ round: number; landed: () => void }[]>([]);
  useEffect(() => {
    let current = true;
    const landed = (next: { data?: T; error?: string }) => {
      if (!current) return;
      setState({ ...next, loading: false });
      const ready = waiting.current.filter((waiter) => waiter.round <= round);
      waiting.current = waiting.current.filter((waiter) => waiter.round > round);
      for (const waiter of ready) waiter.landed();
    };
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => landed({ data }),
      (error: unknown) => landed({ error: messageOf(error) }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  // Nobody waits for a load that will never land.
  useEffect(
    () => () => {
      for (const waiter of waiting.current.splice(0)) waiter.landed();
    },
    [],
  );
  const reload = useCallback(
    () =>
      new Promise<void>((landed) => {
        requested.current += 1;
        waiting.current.push({ round: requested.current, landed });
        setRound(requested.current);
      }),
    [],
  );
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The outcome of the last action: an error is announced at once, a success politely. */
export function Outcome({ error, done }: { error?: string | undefined; done?: string | undefined }) {
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  return (
    <p class="done" role="status">
      {done ?? ''}
    </p>
  );
}

/**
 * An action's error and success message, and a runner that sets them. `after` (a list's reload)
 * runs before the success is announced, so what the message says is already on screen: a row
 * archived or deleted has left its list, a saved value shows in it.
 */
export function useAction(after?: () => void | Promise<void>) {
  const [outcome, setOutcome] = useState<{ error?: string; done?: string }>({});
  const run = useCallback(
    async (action: () => Promise<unknown>, done: string) => {
      setOutcome({});
      try {
        await action();
        await after?.();
        setOutcome({ done });
      } catch (error) {
        setOutcome({ error: messageOf(error) });
      }
    },
    [after],
  );
  return { outcome, run };
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  /** Numbers align right. */
  numeric?: boolean;
}

export function DataTable<T>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  empty?: string;
}) {
  const { caption, columns, rows, rowKey } = props;
  return (
    <div class="table-box">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" class={column.numeric ? 'num' : undefined} key={column.label}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows?.length === 0 ? (
            <tr>
              <td colSpan={columns.length}>{props.empty ?? 'Nothing yet.'}</td>
            </tr>
          ) : (
            rows?.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((column) => (
                  <td class={column.numeric ? 'num' : undefined} key={column.label}>
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Section(props: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** Cursor paging: the cursor of the page shown, and a step back or forward. */
export function useCursors() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    reset: () => setCursors([undefined]),
    back: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined,
    forward: (next: string | undefined) => (next ? () => setCursors([...cursors, next]) : undefined),
  };
}

/**
 * Filters the admin edits in a form and applies on submit: `draft` is what the fields show,
 * `filters` what the page loads with, and applying them starts paging again from the first page.
 */
export function useFilters<T extends Record<keyof T, string>>(initial: T | (() => T)) {
  const { form: draft, set, bind } = useForm(initial);
  const [filters, setFilters] = useState<T>(draft);
  const paging = useCursors();
  const apply = () => {
    paging.reset();
    setFilters(draft);
  };
  return { draft, set, bind, filters, apply, paging };
}

export function Pager({
  back,
  forward,
}: {
  back: (() => void) | undefined;
  forward: (() => void) | undefined;
}) {
  return (
    <div class="inline">
      <button type="button" disabled={!back} onClick={back}>
        Previous page
      </button>
      <button type="button" disabled={!forward} onClick={forward}>
        Next page
      </button>
    </div>
  );
}
