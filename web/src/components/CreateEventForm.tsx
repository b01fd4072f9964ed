/**
 * The create-event form, validated inline with the same schema the Worker applies
 * (protocol/schemas/event.ts EventInputSchema), the one module of protocol/schemas/ the
 * dashboard imports. Loaded on demand: zod stays out of the main bundle.
 */
import { For, Show, createSignal, onMount } from 'solid-js';
import { createStore } from 'solid-js/store';
import '../lib/zod-jitless.ts'; // first: before protocol/schemas/event.ts builds its schemas
import { CATEGORIES, SEVERITIES } from '../../../protocol/enums.ts';
import { EventInputSchema } from '../../../protocol/schemas/event.ts';
import { ApiError } from '../lib/api.ts';
import { useApi, useToasts } from '../stores/context.tsx';

export type CreateValues = {
  title: string;
  eventType: string;
  category: string;
  severity: string;
  description: string;
  source: string;
  eventTime: string;
  containerId: string;
  shipId: string;
  berthId: string;
  portId: string;
  requiresAction: boolean;
};

export const EMPTY_VALUES: CreateValues = {
  title: '',
  eventType: '',
  category: 'Container',
  severity: 'Medium',
  description: '',
  source: 'dashboard',
  eventTime: '',
  containerId: '',
  shipId: '',
  berthId: '',
  portId: '',
  requiresAction: false,
};

/** Form values to the API's input (blank optional fields left out), with per-field messages. */
export function validateCreate(v: CreateValues): { input: Record<string, unknown>; errors: Record<string, string> } {
  const input: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string' || k === 'title' || k === 'eventType') {
      input[k] = value; // required fields go as typed: the schema trims and reports blanks
      continue;
    }
    const t = value.trim();
    if (t === '') continue;
    if (k === 'eventTime') {
      const d = new Date(t); // datetime-local: the operator's local time
      input[k] = Number.isNaN(d.getTime()) ? t : d.toISOString();
    } else input[k] = t;
  }
  const errors: Record<string, string> = {};
  const parsed = EventInputSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? 'form');
      errors[key] ??=
        key === 'title' || key === 'eventType'
          ? String(input[key] ?? '').trim() === ''
            ? 'Required'
            : issue.message
          : issue.message;
    }
  }
  return { input, errors };
}

export default function CreateEventForm(props: { onClose: () => void }) {
  const api = useApi();
  const [, toast] = useToasts();
  const [values, setValues] = createStore<CreateValues>({ ...EMPTY_VALUES });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [submitted, setSubmitted] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  let first!: HTMLInputElement;
  onMount(() => first.focus());

  const set = <K extends keyof CreateValues>(k: K, v: CreateValues[K]) => {
    setValues(k, v as never);
    if (submitted()) setErrors(validateCreate(values).errors);
  };

  async function submit(e: Event) {
    e.preventDefault();
    setSubmitted(true);
    const { input, errors: errs } = validateCreate(values);
    setErrors(errs);
    if (Object.keys(errs).length > 0) {
      document.querySelector<HTMLElement>('.create-form [aria-invalid="true"]')?.focus();
      return;
    }
    setBusy(true);
    try {
      const { data } = await api.create(input);
      const r = data[0];
      toast.push(
        'info',
        r?.status === 'duplicate'
          ? `An event with id ${r.id} already exists.`
          : `Created “${String(input.title)}” (#${r?.seq ?? '?'}).`,
      );
      props.onClose();
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.details)) {
        const fromServer: Record<string, string> = {};
        for (const d of err.details as { path?: string; message?: string }[])
          fromServer[String(d.path ?? 'form').split('.')[0]!] = d.message ?? 'invalid';
        setErrors(fromServer);
      }
      setErrors((x) => ({ ...x, form: `Not created: ${(err as Error).message}` }));
    } finally {
      setBusy(false);
    }
  }

  const field = (
    k: keyof CreateValues,
    label: string,
    opts: { required?: boolean; placeholder?: string; ref?: (el: HTMLInputElement) => void; type?: string } = {},
  ) => (
    <div class="field">
      <label for={`f-${k}`}>
        {label}
        {opts.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      <input
        id={`f-${k}`}
        name={k}
        ref={(el) => opts.ref?.(el)}
        type={opts.type ?? 'text'}
        value={values[k] as string}
        placeholder={opts.placeholder ?? ''}
        aria-required={opts.required}
        aria-invalid={!!errors()[k]}
        aria-describedby={errors()[k] ? `e-${k}` : undefined}
        onInput={(e) => set(k, e.currentTarget.value as never)}
      />
      <Show when={errors()[k]}>
        <p class="field-error" id={`e-${k}`}>
          {errors()[k]}
        </p>
      </Show>
    </div>
  );

  const choice = (k: 'category' | 'severity', label: string, options: readonly string[]) => (
    <div class="field">
      <label for={`f-${k}`}>{label}</label>
      <select id={`f-${k}`} value={values[k]} onChange={(e) => set(k, e.currentTarget.value)}>
        <For each={options}>{(o) => <option value={o}>{o}</option>}</For>
      </select>
    </div>
  );

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div
        class="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="create-h"
        onKeyDown={(e) => e.key === 'Escape' && props.onClose()}
      >
        <h2 id="create-h">New event</h2>
        <form class="create-form" onSubmit={submit} novalidate>
          {field('title', 'Title', {
            required: true,
            placeholder: 'Reefer temperature above set point',
            ref: (el) => (first = el),
          })}
          {field('eventType', 'Type', { required: true, placeholder: 'ReeferAlarm' })}
          <div class="field-row">
            {choice('category', 'Category', CATEGORIES)}
            {choice('severity', 'Severity', SEVERITIES)}
          </div>
          <div class="field">
            <label for="f-description">Description</label>
            <textarea
              id="f-description"
              rows="3"
              value={values.description}
              aria-invalid={!!errors().description}
              onInput={(e) => set('description', e.currentTarget.value)}
            />
            <Show when={errors().description}>
              <p class="field-error">{errors().description}</p>
            </Show>
          </div>
          <div class="field-row">
            {field('containerId', 'Container id')}
            {field('shipId', 'Ship id')}
          </div>
          <div class="field-row">
            {field('berthId', 'Berth id')}
            {field('portId', 'Port id')}
          </div>
          <div class="field-row">
            {field('eventTime', 'Event time (blank = now)', { type: 'datetime-local' })}
            {field('source', 'Source')}
          </div>
          <label class="check">
            <input
              type="checkbox"
              checked={values.requiresAction}
              onChange={(e) => set('requiresAction', e.currentTarget.checked)}
            />{' '}
            Requires action
          </label>
          <Show when={errors().form}>
            <p class="field-error" role="alert">
              {errors().form}
            </p>
          </Show>
          <div class="row-buttons">
            <button type="submit" class="primary" disabled={busy()} data-testid="submit-create">
              {busy() ? 'Creating…' : 'Create event'}
            </button>
            <button type="button" onClick={() => props.onClose()}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
