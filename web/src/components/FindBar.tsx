/** "Find": quick filters, free text, a time range, and the CSV export of exactly this filter. */
import { For, Show, createSignal, onCleanup } from 'solid-js';
import { can } from '../lib/auth.ts';
import { filterCsv } from '../lib/csv.ts';
import { QUICK_FILTERS, activeFilterCount, exportRowFilter, toQuery } from '../lib/filters.ts';
import { useApi, useFind, usePreferences, useSession, useStats, useToasts } from '../stores/context.tsx';
import { Icon } from './Icons.tsx';

export function FindBar(props: { shown: number; onCreate: () => void; searchRef?: (el: HTMLInputElement) => void }) {
  const [find, actions] = useFind();
  const [prefs] = usePreferences();
  const [session] = useSession();
  const [, toast] = useToasts();
  const api = useApi();
  const [stats] = useStats();
  /** The archive's hot window (docs/archive.md): text search reads only its days. */
  const hotDays = () => stats.data?.hotDays;
  const searchScope = () =>
    `Text search covers the last ${hotDays()} days; time ranges and filters also reach older, archived events.`;
  const [text, setText] = createSignal(find.q);
  const [exporting, setExporting] = createSignal(false);
  /** Phones and tablets fold the time range away behind a toggle (docs/mobile.md); desktops always show it. */
  const [rangeOpen, setRangeOpen] = createSignal(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));

  async function exportCsv() {
    setExporting(true);
    try {
      const q = toQuery(find, prefs.subscription, { now: Date.now(), me: session.claims?.sub });
      let blob = await api.exportCsv(q);
      const rest = exportRowFilter(find, prefs.subscription, session.claims?.sub);
      if (rest) blob = new Blob([filterCsv(await blob.text(), rest)], { type: 'text/csv' });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `quaycast-events-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      toast.push('error', `Export failed: ${(err as Error).message}`);
    } finally {
      setExporting(false);
    }
  }

  return (
    <div class="findbar" classList={{ 'range-open': rangeOpen() }} role="search" aria-label="Find events">
      <div class="quick" role="group" aria-label="Quick filters">
        <For each={QUICK_FILTERS}>
          {(f) => (
            <button
              type="button"
              class="toggle"
              aria-pressed={find.quick[f.key]}
              onClick={() => actions.toggleQuick(f.key)}
              data-filter={f.key}
            >
              {f.label}
            </button>
          )}
        </For>
      </div>
      <label class="search">
        <Icon name="search" />
        <span class="sr-only">Search events</span>
        <input
          aria-describedby={hotDays() ? 'search-scope' : undefined}
          title={hotDays() ? searchScope() : undefined}
          ref={(el) => props.searchRef?.(el)}
          type="search"
          placeholder="Search text, ids, type  ( / )"
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value);
            clearTimeout(timer);
            timer = setTimeout(() => actions.setText(text()), 150);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setText('');
              actions.setText('');
              e.currentTarget.blur();
            }
          }}
        />
      </label>
      <Show when={hotDays() && text().trim() !== ''}>
        <span id="search-scope" class="muted small" data-testid="search-scope">
          {searchScope()}
        </span>
      </Show>
      <button
        type="button"
        class="range-toggle"
        aria-controls="find-range"
        aria-expanded={rangeOpen()}
        data-testid="range-toggle"
        onClick={() => setRangeOpen((v) => !v)}
      >
        Time range{find.from || find.to ? ' •' : ''}
      </button>
      <div class="range" id="find-range" role="group" aria-label="Time range">
        <label>
          <span>From</span>
          <input
            type="datetime-local"
            value={find.from}
            onChange={(e) => actions.setRange(e.currentTarget.value, find.to)}
          />
        </label>
        <label>
          <span>To</span>
          <input
            type="datetime-local"
            value={find.to}
            onChange={(e) => actions.setRange(find.from, e.currentTarget.value)}
          />
        </label>
      </div>
      <div class="find-actions">
        <span class="muted small" aria-live="polite" data-testid="shown-count">
          {props.shown.toLocaleString()} shown
        </span>
        <Show when={activeFilterCount(find) > 0}>
          <button
            type="button"
            class="link"
            onClick={() => {
              setText('');
              actions.reset();
            }}
          >
            Clear filters
          </button>
        </Show>
        <button type="button" onClick={exportCsv} disabled={exporting()} data-testid="export-csv">
          <Icon name="download" /> {exporting() ? 'Exporting…' : 'Export CSV'}
        </button>
        <Show when={can(session.claims?.role, 'create')}>
          <button type="button" class="primary" onClick={() => props.onCreate()} data-testid="create-event">
            <Icon name="plus" /> New event
          </button>
        </Show>
      </div>
    </div>
  );
}
