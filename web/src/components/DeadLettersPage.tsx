/**
 * The Dead letters page (admins; docs/bridge.md, "Dead letters on the page"): the letters the
 * bridge reported, filtered by topic, reason text, time and status; one in full with its
 * replays; selected ones replayed or discarded, and one letter's value edited before its replay
 * (the fix). The outcome comes from the Worker (the bridge settles each replay); the page
 * re-reads while a replay is outstanding. Loaded on demand like the Rules page.
 */
import { For, Show, createResource, createSignal, onCleanup } from 'solid-js';
import { createStore } from 'solid-js/store';
import { ApiError, type DeadLetterRow } from '../lib/api.ts';
import { useApi, useToasts } from '../stores/context.tsx';

const STATUSES = ['new', 'replaying', 'replayed', 'failed', 'discarded'] as const;

/** The page's filters as the list's query (the Worker validates them). */
export function filterQuery(f: { topic: string; reason: string; from: string; to: string; status: string }) {
  const q = new URLSearchParams({ limit: '100' });
  if (f.topic.trim()) q.set('topic', f.topic.trim());
  if (f.reason.trim()) q.set('reason', f.reason.trim());
  if (f.from) q.set('from', new Date(f.from).toISOString());
  if (f.to) q.set('to', new Date(f.to).toISOString());
  if (f.status) q.set('status', f.status);
  return q;
}

export default function DeadLettersPage(props: { onClose: () => void }) {
  const api = useApi();
  const [, toasts] = useToasts();
  const [filters, setFilters] = createStore({ topic: '', reason: '', from: '', to: '', status: '' });
  const [query, setQuery] = createSignal(filterQuery(filters));
  const [letters, { refetch }] = createResource(query, (q) => api.listDeadLetters(q));
  const [selected, setSelected] = createSignal<number[]>([]);
  const [openId, setOpenId] = createSignal<number>();
  const [open, { refetch: refetchOpen }] = createResource(openId, (id) => api.deadLetter(id));
  const [edited, setEdited] = createSignal<string>();
  const [error, setError] = createSignal<string>();

  // While a replay is outstanding, re-read every 2 s until the bridge settled it.
  const timer = setInterval(() => {
    if (letters()?.data.some((l) => l.status === 'replaying')) {
      void refetch();
      if (openId() !== undefined) void refetchOpen();
    }
  }, 2000);
  onCleanup(() => clearInterval(timer));

  const fail = (err: unknown) => setError(err instanceof ApiError ? err.message : String(err));
  const toggle = (id: number, on: boolean) => setSelected((s) => (on ? [...s, id] : s.filter((x) => x !== id)));

  async function replay(ids: number[], value?: string) {
    setError(undefined);
    try {
      const made = await api.replayDeadLetters(ids, value);
      toasts.push('info', `${made.replays.length} replay(s) requested`);
      setSelected([]);
      setEdited(undefined);
      await refetch();
      if (openId() !== undefined) await refetchOpen();
    } catch (err) {
      fail(err);
    }
  }
  async function discard(ids: number[]) {
    setError(undefined);
    try {
      await api.discardDeadLetters(ids);
      setSelected([]);
      await refetch();
      if (openId() !== undefined) await refetchOpen();
    } catch (err) {
      fail(err);
    }
  }

  const row = (l: DeadLetterRow) => (
    <tr data-testid="dead-letter-row" data-status={l.status}>
      <td>
        <input
          type="checkbox"
          aria-label={`Select dead letter ${l.id}`}
          checked={selected().includes(l.id)}
          onChange={(e) => toggle(l.id, e.currentTarget.checked)}
        />
      </td>
      <td>
        <button type="button" class="link" data-testid="dead-letter-open" onClick={() => setOpenId(l.id)}>
          {l.topic} {l.partition}:{l.offset}
        </button>
      </td>
      <td>{l.key ?? '(no key)'}</td>
      <td class="reason">{l.reason.slice(0, 160)}</td>
      <td>{new Date(l.deadAt).toLocaleString()}</td>
      <td data-testid="dead-letter-status">{l.status}</td>
    </tr>
  );

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <section
        class="modal rules-page"
        role="dialog"
        aria-modal="true"
        aria-label="Dead letters"
        data-testid="dead-letters-page"
      >
        <header class="rules-head">
          <h2>Dead letters</h2>
          <button type="button" class="link" onClick={() => props.onClose()}>
            Close
          </button>
        </header>
        <Show when={error()}>
          <p class="form-error" role="alert" data-testid="dead-letter-error">
            {error()}
          </p>
        </Show>
        <form
          class="dead-letter-filters"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery(filterQuery(filters));
          }}
        >
          <input
            placeholder="Topic"
            aria-label="Topic"
            data-testid="dl-filter-topic"
            value={filters.topic}
            onInput={(e) => setFilters('topic', e.currentTarget.value)}
          />
          <input
            placeholder="Reason contains"
            aria-label="Reason contains"
            data-testid="dl-filter-reason"
            value={filters.reason}
            onInput={(e) => setFilters('reason', e.currentTarget.value)}
          />
          <input
            type="datetime-local"
            aria-label="From"
            value={filters.from}
            onInput={(e) => setFilters('from', e.currentTarget.value)}
          />
          <input
            type="datetime-local"
            aria-label="To"
            value={filters.to}
            onInput={(e) => setFilters('to', e.currentTarget.value)}
          />
          <select
            aria-label="Status"
            value={filters.status}
            onChange={(e) => setFilters('status', e.currentTarget.value)}
          >
            <option value="">Any status</option>
            <For each={STATUSES}>{(s) => <option value={s}>{s}</option>}</For>
          </select>
          <button type="submit" data-testid="dl-filter-apply">
            Filter
          </button>
        </form>
        <div class="actions">
          <button
            type="button"
            data-testid="dl-replay-selected"
            disabled={selected().length === 0}
            onClick={() => void replay(selected())}
          >
            Replay selected
          </button>
          <button
            type="button"
            data-testid="dl-discard-selected"
            disabled={selected().length === 0}
            onClick={() => void discard(selected())}
          >
            Discard selected
          </button>
        </div>
        <Show when={letters()} fallback={<p aria-busy="true">Loading…</p>}>
          {(page) => (
            <Show when={page().data.length > 0} fallback={<p data-testid="dead-letters-empty">No dead letters.</p>}>
              <table class="dead-letters">
                <thead>
                  <tr>
                    <th />
                    <th>From</th>
                    <th>Key</th>
                    <th>Reason</th>
                    <th>Dead at</th>
                    <th>Status</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={page().data}>{row}</For>
                </tbody>
              </table>
            </Show>
          )}
        </Show>
        <Show when={open()}>
          {(l) => (
            <article class="dead-letter" data-testid="dead-letter-detail">
              <h3>
                Dead letter {l().id}: {l().topic} {l().partition}:{l().offset} ({l().status})
              </h3>
              <p>
                In {l().dlqTopic} {l().dlqPartition}:{l().dlqOffset}. Reason: {l().reason}
              </p>
              <p>
                Value: {l().valueBytes} bytes{l().valueTruncated ? ', first 8 KiB shown' : ''}
                {l().valueEncoding === 'base64' ? ' (base64)' : ''}
              </p>
              <textarea
                rows={8}
                aria-label="Value"
                data-testid="dead-letter-value"
                readOnly={l().valueTruncated || l().valueEncoding === 'base64'}
                value={edited() ?? l().value ?? ''}
                onInput={(e) => setEdited(e.currentTarget.value)}
              />
              <div class="actions">
                <button
                  type="button"
                  data-testid="dead-letter-replay"
                  disabled={!['new', 'failed'].includes(l().status)}
                  onClick={() => void replay([l().id], edited())}
                >
                  {edited() === undefined ? 'Replay' : 'Replay edited value'}
                </button>
                <button
                  type="button"
                  data-testid="dead-letter-discard"
                  disabled={!['new', 'failed'].includes(l().status)}
                  onClick={() => void discard([l().id])}
                >
                  Discard
                </button>
              </div>
              <ul>
                <For each={l().replays}>
                  {(r) => (
                    <li data-testid="dead-letter-replay-outcome" data-status={r.status}>
                      Replay {r.id}: {r.status}
                      {r.status === 'produced' ? ` at ${r.producedPartition}:${r.producedOffset}` : ''}
                      {r.error ? ` (${r.error})` : ''}
                    </li>
                  )}
                </For>
              </ul>
            </article>
          )}
        </Show>
      </section>
    </div>
  );
}
