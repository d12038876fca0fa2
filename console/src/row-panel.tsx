/**
 * Picking a row of a table to show and edit it in a panel below: the column of pick buttons, the
 * panel's frame, and what the panel of a picked row is given. The accounts, groups, keys and
 * users pages work this way.
 */
import type { ComponentChildren } from 'preact';
import type { Column } from './components.tsx';

/**
 * The panel under a table that shows and edits the row picked there (see {@link pickColumn}):
 * `label` names it for assistive technology, `title` heads it.
 */
export function Details(props: { label: string; title: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="details" aria-label={props.label}>
      <h3>{props.title}</h3>
      {props.children}
    </section>
  );
}

/**
 * What the panel of a picked row is given: the row; `onChanged`, run after each change it saves
 * (the page reloads its list, and the change is announced once that has landed); and `remove`,
 * which takes the row out of the list (delete, archive).
 * The page runs and reports `remove` itself, since the row leaves the list and this panel with it.
 */
export interface RowPanelProps<T> {
  row: T;
  onChanged: () => Promise<void>;
  remove: (row: T) => void;
}

/**
 * A column with one button that picks its row (opens the row's details below the table).
 * `label` is the button's accessible name, e.g. `Manage ada@example.com`.
 */
export function pickColumn<T>(heading: string, label: (row: T) => string, pick: (row: T) => void): Column<T> {
  return {
    label: heading,
    cell: (row) => (
      <button type="button" class="quiet" onClick={() => pick(row)} aria-label={label(row)}>
        {heading}
      </button>
    ),
  };
}
