/**
 * The admins' SLA editor on the Insight page: minutes to acknowledge and to resolve per severity,
 * optional per-category overrides, the port's time zone and its shifts; saved with PUT /api/sla
 * (the Worker validates; its error is shown as it comes). The stored document replaces the one
 * the countdowns use at once (stores/sla.ts).
 */
import { For, Show, createSignal } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../../protocol/enums.ts';
import { ApiError } from '../lib/api.ts';
import { isTimeZone } from '../lib/insight.ts';
import { parseClock, type SlaDocument } from '../lib/sla.ts';
import { useSla, useToasts } from '../stores/context.tsx';

type Row = { severity: Severity; category: Category | ''; ack: string; resolve: string };
type Draft = { rows: Row[]; timeZone: string; shifts: { name: string; start: string }[] };

function draftOf(doc: SlaDocument | undefined): Draft {
  const targets = doc?.targets ?? [];
  const rows: Row[] = SEVERITIES.map((severity) => {
    const t = targets.find((x) => x.severity === severity && x.category === null);
    return { severity, category: '', ack: String(t?.ackMinutes ?? ''), resolve: String(t?.resolveMinutes ?? '') };
  });
  for (const t of targets)
    if (t.category !== null)
      rows.push({
        severity: t.severity,
        category: t.category,
        ack: String(t.ackMinutes),
        resolve: String(t.resolveMinutes),
      });
  return { rows, timeZone: doc?.timeZone ?? 'UTC', shifts: (doc?.shifts ?? []).map((s) => ({ ...s })) };
}

/** The PUT body of a draft, or the first thing wrong with it (the Worker checks again). */
export function slaBody(d: Draft): { body: Pick<SlaDocument, 'targets' | 'timeZone' | 'shifts'> } | { error: string } {
  const targets: SlaDocument['targets'] = [];
  for (const r of d.rows) {
    const ack = Number(r.ack);
    const resolve = Number(r.resolve);
    const what = `${r.severity}${r.category ? ` / ${r.category}` : ''}`;
    if (!Number.isInteger(ack) || ack < 1 || !Number.isInteger(resolve) || resolve < 1)
      return { error: `${what}: minutes must be whole numbers of at least 1` };
    targets.push({ severity: r.severity, category: r.category || null, ackMinutes: ack, resolveMinutes: resolve });
  }
  if (!isTimeZone(d.timeZone)) return { error: `“${d.timeZone}” is not a time zone (e.g. Europe/Amsterdam)` };
  if (d.shifts.length === 0) return { error: 'Add at least one shift' };
  for (const s of d.shifts)
    if (!s.name.trim() || parseClock(s.start) === undefined)
      return { error: 'Each shift needs a name and a start as HH:MM' };
  return {
    body: { targets, timeZone: d.timeZone, shifts: d.shifts.map((s) => ({ name: s.name.trim(), start: s.start })) },
  };
}

export function SlaEditor(props: { onSaved: () => void }) {
  const [sla, slaActions] = useSla();
  const [, toasts] = useToasts();
  const [draft, setDraft] = createStore<Draft>(draftOf(sla.doc));
  const [error, setError] = createSignal<string>();
  const [saving, setSaving] = createSignal(false);

  async function save(e: Event) {
    e.preventDefault();
    const checked = slaBody(draft);
    if ('error' in checked) return setError(checked.error);
    setSaving(true);
    try {
      await slaActions.save(checked.body);
      setError(undefined);
      toasts.push('info', 'SLA targets saved');
      props.onSaved();
    } catch (err) {
      setError(
        err instanceof ApiError
          ? `${err.message}${err.details ? ` (${JSON.stringify(err.details)})` : ''}`
          : String(err),
      );
    } finally {
      setSaving(false);
    }
  }

  return (
    <form class="sla-editor" onSubmit={save} aria-labelledby="sla-editor-h" data-testid="sla-editor">
      <h3 id="sla-editor-h">SLA targets</h3>
      <Show when={sla.doc?.updatedAt}>
        {(at) => (
          <p class="muted small">
            Last saved {new Date(at()).toLocaleString()}
            {sla.doc?.updatedBy ? ` by ${sla.doc.updatedBy}` : ''}
          </p>
        )}
      </Show>
      <table>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">Category</th>
            <th scope="col">Acknowledge within (min)</th>
            <th scope="col">Resolve within (min)</th>
            <th scope="col">
              <span class="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          <For each={draft.rows}>
            {(r, i) => (
              <tr data-testid={`sla-row-${r.severity}-${r.category || 'all'}`}>
                <th scope="row">
                  <Show when={r.category !== '' || i() >= SEVERITIES.length} fallback={r.severity}>
                    <select
                      aria-label="Severity"
                      value={r.severity}
                      onChange={(e) => setDraft('rows', i(), 'severity', e.currentTarget.value as Severity)}
                    >
                      <For each={SEVERITIES}>{(s) => <option value={s}>{s}</option>}</For>
                    </select>
                  </Show>
                </th>
                <td>
                  <Show when={i() >= SEVERITIES.length} fallback={<span class="muted">All</span>}>
                    <select
                      aria-label="Category"
                      value={r.category}
                      onChange={(e) => setDraft('rows', i(), 'category', e.currentTarget.value as Category)}
                    >
                      <For each={CATEGORIES}>{(c) => <option value={c}>{c}</option>}</For>
                    </select>
                  </Show>
                </td>
                <td>
                  <input
                    type="number"
                    min="1"
                    step="1"
                    aria-label={`${r.severity} ${r.category || 'all categories'}: minutes to acknowledge`}
                    value={r.ack}
                    onInput={(e) => setDraft('rows', i(), 'ack', e.currentTarget.value)}
                    data-testid="sla-ack"
                  />
                </td>
                <td>
                  <input
                    type="number"
                    min="1"
                    step="1"
                    aria-label={`${r.severity} ${r.category || 'all categories'}: minutes to resolve`}
                    value={r.resolve}
                    onInput={(e) => setDraft('rows', i(), 'resolve', e.currentTarget.value)}
                    data-testid="sla-resolve"
                  />
                </td>
                <td>
                  <Show when={i() >= SEVERITIES.length}>
                    <button
                      type="button"
                      class="link"
                      onClick={() => setDraft('rows', (rows) => rows.filter((_r, j) => j !== i()))}
                    >
                      Remove
                    </button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <button
        type="button"
        class="link"
        onClick={() =>
          setDraft(
            'rows',
            produce((rows) => {
              rows.push({ severity: 'Critical', category: 'Container', ack: '5', resolve: '60' });
            }),
          )
        }
      >
        Add a category override
      </button>
      <label>
        Port time zone
        <input
          type="text"
          value={draft.timeZone}
          onInput={(e) => setDraft('timeZone', e.currentTarget.value.trim())}
          data-testid="sla-tz"
        />
      </label>
      <fieldset>
        <legend>Shifts (each runs until the next starts; the last wraps past midnight)</legend>
        <For each={draft.shifts}>
          {(s, i) => (
            <div class="sla-shift">
              <input
                type="text"
                aria-label="Shift name"
                value={s.name}
                onInput={(e) => setDraft('shifts', i(), 'name', e.currentTarget.value)}
              />
              <input
                type="time"
                aria-label={`${s.name} starts at`}
                value={s.start}
                onInput={(e) => setDraft('shifts', i(), 'start', e.currentTarget.value)}
              />
              <button
                type="button"
                class="link"
                onClick={() => setDraft('shifts', (all) => all.filter((_x, j) => j !== i()))}
              >
                Remove
              </button>
            </div>
          )}
        </For>
        <button
          type="button"
          class="link"
          onClick={() =>
            setDraft(
              'shifts',
              produce((all) => void all.push({ name: '', start: '00:00' })),
            )
          }
        >
          Add a shift
        </button>
      </fieldset>
      <Show when={error()}>
        <p class="form-error" role="alert" data-testid="sla-error">
          {error()}
        </p>
      </Show>
      <div class="row-buttons">
        <button type="submit" class="primary" disabled={saving()} data-testid="sla-save">
          Save targets
        </button>
      </div>
    </form>
  );
}
