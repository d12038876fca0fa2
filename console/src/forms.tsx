/**
 * The form pieces the pages share: a labelled text field and select, a form's fields as one
 * state, a form that runs one admin action on submit, the body an edited form sends, a button
 * that asks before something final, and the disable/enable button of anything with a status.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/**
 * A form's text fields as one state, a setter per field, and `bind(field)`: the `value` and
 * `onInput` a `Field` spreads, so each field names its state once (`<Field {...bind('email')} />`).
 */
export function useForm<T extends Record<keyof T, string>>(initial: T | (() => T)) {
  const [form, setForm] = useState<T>(initial);
  const set = (field: keyof T) => (value: string) => setForm((current) => ({ ...current, [field]: value }));
  const bind = (field: keyof T) => ({ value: form[field], onInput: set(field) });
  return { form, set, bind, setForm };
}

/**
 * What a form sends: trimmed values; an empty field is left out (`omit`, when creating) or sent
 * as `none`, which removes the setting (`none`, when editing).
 */
export function formBody(form: Record<string, string>, empty: 'omit' | 'none'): Record<string, string> {
  const body: Record<string, string> = {};
  for (const [field, value] of Object.entries(form)) {
    const text = value.trim();
    if (text !== '') body[field] = text;
    else if (empty === 'none') body[field] = 'none';
  }
  return body;
}

/** A one-line form that calls `onSubmit` instead of navigating; `filters` marks a page's filter bar. */
export function ActionForm(props: {
  onSubmit: () => void;
  children: ComponentChildren;
  label?: string;
  filters?: boolean;
}) {
  return (
    <form
      class={props.filters ? 'inline filters' : 'inline'}
      aria-label={props.label}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}

/** A danger button that runs `action` only once the admin confirmed `question`. */
export function ConfirmButton(props: {
  question: string;
  action: () => void;
  children: ComponentChildren;
  label?: string;
}) {
  return (
    <button
      type="button"
      class="danger"
      aria-label={props.label}
      onClick={() => {
        if (confirm(props.question)) props.action();
      }}
    >
      {props.children}
    </button>
  );
}

/** "Disable X" or "Enable X", whichever changes the item's `status`, calling `change` with the new one. */
export function StatusButton(props: {
  status: string;
  noun: string;
  change: (status: 'active' | 'disabled') => void;
  label?: string;
}) {
  const active = props.status === 'active';
  return (
    <button
      type="button"
      aria-label={props.label ? `${active ? 'Disable' : 'Enable'} ${props.label}` : undefined}
      onClick={() => props.change(active ? 'disabled' : 'active')}
    >
      {active ? 'Disable' : 'Enable'}
      {props.noun ? ` ${props.noun}` : ''}
    </button>
  );
}

export function Field(props: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email' | 'search' | 'password' | 'date';
  placeholder?: string;
  required?: boolean;
  name?: string;
  autoComplete?: string;
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        // Preact types each input type apart; all of these take the same attributes used here.
        type={(props.type ?? 'text') as 'text'}
        value={props.value}
        name={props.name}
        placeholder={props.placeholder}
        required={props.required}
        autoComplete={props.autoComplete ?? 'off'}
        onInput={(event) => props.onInput((event.target as HTMLInputElement).value)}
      />
    </label>
  );
}

/** A labelled select; an option given as a plain string is its own value and label. */
export function Select(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: (string | { value: string; label: string })[];
}) {
  const options = props.options.map((option) =>
    typeof option === 'string' ? { value: option, label: option } : option,
  );
  return (
    <label class="field">
      <span>{props.label}</span>
      <select
        value={props.value}
        onChange={(event) => props.onChange((event.target as HTMLSelectElement).value)}
      >
        {options.map((option) => (
          <option value={option.value} key={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}
