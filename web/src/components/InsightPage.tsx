/**
 * The Insight page (docs/dashboard.md, "Insight"): response times (MTTA/MTTR), SLA compliance,
 * the hour × weekday heatmap, weekly trends and the top entities for a chosen range and port
 * time zone, from the /api/insight routes; live (stores/insight.ts) while it is open. Every chart
 * has its table (read by screen readers, shown with "Show tables", copyable) and a CSV download
 * of the same route. Admins edit the SLA targets here (PUT /api/sla). Loaded on demand: uPlot
 * stays out of the main bundle.
 */
import { For, Index, Show, createMemo, createSignal, type JSX } from 'solid-js';
import type uPlot from 'uplot';
import uPlotLib from 'uplot';
import { CATEGORIES, SEVERITIES } from '../../../protocol/enums.ts';
import type { InsightAnswers } from '../lib/api.ts';
import { can } from '../lib/auth.ts';
import {
  DIMENSIONS,
  DIMENSION_LABEL,
  ENTITY_KINDS,
  PRESETS,
  PRESET_LABEL,
  WEEKDAYS,
  durationUnit,
  formatDuration,
  formatPercent,
  groupedBars,
  heatLevel,
  inUnit,
  insightQuery,
  isTimeZone,
  rangeOf,
  toWall,
  type Dimension,
  type EntityKind,
  type InsightParams,
  type InsightQuery,
  type Preset,
} from '../lib/insight.ts';
import { createInsightStore } from '../stores/insight.ts';
import { useApi, useFeed, useSession, useSla, useToasts } from '../stores/context.tsx';
import { SlaEditor } from './SlaEditor.tsx';
import { UChart, themedAxes, type ChartColors } from './UChart.tsx';

const ENTITY_LABEL: Record<EntityKind, string> = {
  berth: 'Berths',
  ship: 'Vessels',
  container: 'Containers',
  crane: 'Cranes',
  port: 'Ports',
};
const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3]];

/** The shown name of a group key ("" is an unassigned event's assignee). */
function keyLabel(by: string, key: string): string {
  return by === 'assignee' && key === '' ? 'Unassigned' : key;
}

function barOptions(
  c: ChartColors,
  labels: string[],
  centers: number[],
  series: string[],
  yLabel: string,
  max: number,
): Omit<uPlot.Options, 'width' | 'height'> {
  const bars = uPlotLib.paths.bars!({ size: [0.9, 48] });
  return {
    scales: { x: { time: false, range: () => [-0.75, max + 0.75] }, y: { range: (_u, _min, hi) => [0, hi || 1] } },
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    axes: themedAxes(
      c,
      { splits: () => centers, values: (_u, splits) => splits.map((_s, i) => labels[i] ?? '') },
      { label: yLabel, size: 56 },
    ),
    series: [
      {},
      ...series.map((label, i) => ({
        label,
        stroke: c.series[i],
        fill: c.series[i],
        width: 0,
        paths: bars,
        points: { show: false },
      })),
    ],
  };
}

/** A table as tab-separated text (pasting it into a spreadsheet keeps the columns). */
function tableText(table: HTMLTableElement): string {
  return [...table.rows].map((r) => [...r.cells].map((c) => (c.textContent ?? '').trim()).join('\t')).join('\n');
}

function Section(props: {
  id: string;
  title: string;
  csv: InsightQuery;
  onCsv: (q: InsightQuery) => void;
  showTables: boolean;
  error?: string;
  chart: JSX.Element;
  table: JSX.Element;
}) {
  const [, toasts] = useToasts();
  let box: HTMLDivElement | undefined;
  async function copy() {
    const tables = [...(box?.querySelectorAll('table') ?? [])];
    try {
      await navigator.clipboard.writeText(tables.map(tableText).join('\n\n'));
      toasts.push('info', `“${props.title}” copied as a table`);
    } catch {
      toasts.push('error', 'The browser did not allow copying; select the table instead');
    }
  }
  return (
    <section class="insight-section" aria-labelledby={`${props.id}-h`} data-testid={props.id}>
      <header class="insight-section-head">
        <h3 id={`${props.id}-h`}>{props.title}</h3>
        <span class="spacer" />
        <button type="button" class="link" onClick={copy}>
          Copy table
        </button>
        <button type="button" class="link" onClick={() => props.onCsv(props.csv)} data-testid={`${props.id}-csv`}>
          CSV
        </button>
      </header>
      <Show when={props.error}>
        <p class="form-error" role="alert">
          {props.error}
        </p>
      </Show>
      {props.chart}
      <div classList={{ 'sr-only': !props.showTables, 'insight-table': true }} ref={box}>
        {props.table}
      </div>
    </section>
  );
}

export default function InsightPage(props: { onClose: () => void }) {
  const api = useApi();
  const [feed] = useFeed();
  const [session] = useSession();
  const [sla] = useSla();
  const [, toasts] = useToasts();

  const [preset, setPreset] = createSignal<Preset>('7d');
  const [tzInput, setTzInput] = createSignal<string>();
  const tz = () => {
    const t = tzInput();
    return t !== undefined && isTimeZone(t) ? t : (sla.doc?.timeZone ?? 'UTC');
  };
  const [customFrom, setCustomFrom] = createSignal(toWall(Date.now() - 7 * 86_400_000, tz()));
  const [customTo, setCustomTo] = createSignal(toWall(Date.now(), tz()));
  const [by, setBy] = createSignal<Dimension>('category');
  const [kind, setKind] = createSignal<EntityKind>('berth');
  const [trendSeverity, setTrendSeverity] = createSignal<string>('');
  const [showTables, setShowTables] = createSignal(false);
  const [editing, setEditing] = createSignal(false);

  const params = (): InsightParams | undefined => {
    const range = rangeOf(preset(), Date.now(), tz(), { from: customFrom(), to: customTo() });
    return range ? { range, tz: tz(), by: by(), kind: kind(), weeks: 8 } : undefined;
  };
  const choice = () => JSON.stringify([preset(), customFrom(), customTo(), tz(), by(), kind()]);
  const [insight] = createInsightStore({ api, params, choice, changes: () => feed.version });

  async function downloadCsv(q: InsightQuery) {
    const p = params();
    if (!p) return;
    try {
      const blob = await api.insightCsv(q, insightQuery(q, p, true));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `quaycast-insight-${q}-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      toasts.push('error', `CSV download failed: ${(err as Error).message}`);
    }
  }

  const rt = () => insight.data['response-times'];
  const compliance = () => insight.data.sla;
  const heat = () => insight.data.heatmap;
  const trends = () => insight.data.trends;
  const top = () => insight.data['top-entities'];

  const rtChart = createMemo(() => {
    const rows = rt()?.rows ?? [];
    const unit = durationUnit(Math.max(0, ...rows.flatMap((r) => [r.ack.meanMs ?? 0, r.resolve.meanMs ?? 0])));
    const g = groupedBars(rows.map((r) => [inUnit(r.ack.meanMs, unit), inUnit(r.resolve.meanMs, unit)]));
    return { ...g, unit, labels: rows.map((r) => keyLabel(rt()!.by, r.key)) };
  });
  const slaChart = createMemo(() => {
    const rows = compliance()?.rows ?? [];
    const pct = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10);
    const g = groupedBars(rows.map((r) => [pct(r.ack.compliance), pct(r.resolve.compliance)]));
    return { ...g, labels: rows.map((r) => keyLabel(compliance()!.by, r.key)) };
  });
  const trendCategories = createMemo(() => {
    const seen = new Set<string>();
    for (const w of trends()?.weeks ?? []) for (const c of Object.keys(w.counts)) seen.add(c);
    return CATEGORIES.filter((c) => seen.has(c));
  });
  const trendCount = (w: InsightAnswers['trends']['weeks'][number], c: string) => {
    const per = w.counts[c] ?? {};
    const s = trendSeverity();
    return s ? (per[s] ?? 0) : Object.values(per).reduce((a, b) => a + b, 0);
  };
  const trendData = createMemo((): uPlot.AlignedData => {
    const weeks = trends()?.weeks ?? [];
    return [weeks.map((_w, i) => i), ...trendCategories().map((c) => weeks.map((w) => trendCount(w, c)))];
  });
  const topChart = createMemo(() => {
    const rows = top()?.rows ?? [];
    return { ...groupedBars(rows.map((r) => [r.count, r.critical])), labels: rows.map((r) => r.id) };
  });
  const heatCategories = createMemo(() => CATEGORIES.filter((c) => heat()?.categories[c] !== undefined));

  const rangeText = () => {
    const p = params();
    if (!p) return 'Choose a range whose start is before its end';
    return `${toWall(p.range.from, p.tz).replace('T', ' ')} – ${toWall(p.range.to, p.tz).replace('T', ' ')} (${p.tz})`;
  };

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <section
        class="modal insight-page"
        role="dialog"
        aria-modal="true"
        aria-labelledby="insight-title"
        data-testid="insight-page"
        data-reads={insight.reads}
      >
        <header class="rules-head">
          <h2 id="insight-title">Insight</h2>
          <span class="muted small" aria-live="polite" data-testid="insight-status">
            {insight.loading
              ? 'Updating…'
              : insight.updatedAt
                ? `Updated ${new Date(insight.updatedAt).toLocaleTimeString()}`
                : ''}
          </span>
          <span class="spacer" />
          <Show when={can(session.claims?.role, 'configure')}>
            <button type="button" class="link" onClick={() => setEditing((v) => !v)} data-testid="edit-sla">
              {editing() ? 'Close SLA targets' : 'SLA targets'}
            </button>
          </Show>
          <button type="button" class="link" onClick={() => props.onClose()}>
            Close
          </button>
        </header>

        <Show when={editing()}>
          <SlaEditor onSaved={() => setEditing(false)} />
        </Show>

        <form class="insight-controls" onSubmit={(e) => e.preventDefault()}>
          <fieldset class="presets">
            <legend>Range</legend>
            <For each={PRESETS}>
              {(p) => (
                <label class="chip">
                  <input
                    type="radio"
                    name="insight-preset"
                    value={p}
                    checked={preset() === p}
                    onChange={() => setPreset(p)}
                  />
                  {PRESET_LABEL[p]}
                </label>
              )}
            </For>
          </fieldset>
          <Show when={preset() === 'custom'}>
            <label>
              From
              <input
                type="datetime-local"
                value={customFrom()}
                onChange={(e) => setCustomFrom(e.currentTarget.value)}
              />
            </label>
            <label>
              To
              <input type="datetime-local" value={customTo()} onChange={(e) => setCustomTo(e.currentTarget.value)} />
            </label>
          </Show>
          <label>
            Time zone
            <input
              type="text"
              list="insight-zones"
              value={tz()}
              aria-invalid={tzInput() !== undefined && !isTimeZone(tzInput()!)}
              onChange={(e) => setTzInput(e.currentTarget.value.trim())}
              data-testid="insight-tz"
            />
            <datalist id="insight-zones">
              <For
                each={[
                  ...new Set([sla.doc?.timeZone ?? 'UTC', 'UTC', Intl.DateTimeFormat().resolvedOptions().timeZone]),
                ]}
              >
                {(z) => <option value={z} />}
              </For>
            </datalist>
          </label>
          <label>
            By
            <select value={by()} onChange={(e) => setBy(e.currentTarget.value as Dimension)} data-testid="insight-by">
              <For each={DIMENSIONS}>{(d) => <option value={d}>{DIMENSION_LABEL[d]}</option>}</For>
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={showTables()} onChange={(e) => setShowTables(e.currentTarget.checked)} />
            Show tables
          </label>
        </form>
        <p class="muted small" data-testid="insight-range">
          {rangeText()}
        </p>

        <Show when={compliance()}>
          {(s) => (
            <p class="insight-open" data-testid="open-breached">
              Open past target now: <strong>{s().openBreached.ack}</strong> unacknowledged,{' '}
              <strong>{s().openBreached.resolve}</strong> unresolved
            </p>
          )}
        </Show>

        <div class="insight-grid">
          <Section
            id="response-times"
            title={`Time to acknowledge and resolve by ${DIMENSION_LABEL[by()].toLowerCase()}`}
            csv="response-times"
            onCsv={downloadCsv}
            showTables={showTables()}
            error={insight.errors['response-times']}
            chart={
              <UChart
                testid="chart-response-times"
                shape={`rt:${rtChart().unit.name}:${rtChart().labels.join('|')}`}
                data={rtChart().data as uPlot.AlignedData}
                build={(c) =>
                  barOptions(
                    c,
                    rtChart().labels,
                    rtChart().centers,
                    [`MTTA (${rtChart().unit.short})`, `MTTR (${rtChart().unit.short})`],
                    rtChart().unit.name,
                    rtChart().data[0].length - 1,
                  )
                }
              />
            }
            table={
              <table data-testid="rt-table">
                <caption>
                  Mean (MTTA / MTTR), median and 90th percentile, by {DIMENSION_LABEL[by()].toLowerCase()}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{DIMENSION_LABEL[(rt()?.by as Dimension) ?? by()]}</th>
                    <th scope="col">Acknowledged</th>
                    <th scope="col">MTTA</th>
                    <th scope="col">Median</th>
                    <th scope="col">p90</th>
                    <th scope="col">Resolved</th>
                    <th scope="col">MTTR</th>
                    <th scope="col">Median</th>
                    <th scope="col">p90</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={rt()?.rows ?? []} fallback={<EmptyRow cols={9} />}>
                    {(r) => (
                      <tr data-key={r.key}>
                        <th scope="row">{keyLabel(rt()!.by, r.key)}</th>
                        <td data-col="ack-count">{r.ack.count}</td>
                        <td data-col="mtta" data-ms={r.ack.meanMs ?? ''}>
                          {formatDuration(r.ack.meanMs)}
                        </td>
                        <td>{formatDuration(r.ack.medianMs)}</td>
                        <td>{formatDuration(r.ack.p90Ms)}</td>
                        <td data-col="resolve-count">{r.resolve.count}</td>
                        <td data-col="mttr" data-ms={r.resolve.meanMs ?? ''}>
                          {formatDuration(r.resolve.meanMs)}
                        </td>
                        <td>{formatDuration(r.resolve.medianMs)}</td>
                        <td>{formatDuration(r.resolve.p90Ms)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            }
          />

          <Section
            id="sla-compliance"
            title={`SLA compliance by ${DIMENSION_LABEL[by()].toLowerCase()}`}
            csv="sla"
            onCsv={downloadCsv}
            showTables={showTables()}
            error={insight.errors.sla}
            chart={
              <UChart
                testid="chart-sla"
                shape={`sla:${slaChart().labels.join('|')}`}
                data={slaChart().data as uPlot.AlignedData}
                build={(c) =>
                  barOptions(
                    c,
                    slaChart().labels,
                    slaChart().centers,
                    ['Ack met (%)', 'Resolve met (%)'],
                    '%',
                    slaChart().data[0].length - 1,
                  )
                }
              />
            }
            table={
              <table data-testid="sla-table">
                <caption>Targets met and breached (an open event past its target counts as breached)</caption>
                <thead>
                  <tr>
                    <th scope="col">{DIMENSION_LABEL[(compliance()?.by as Dimension) ?? by()]}</th>
                    <th scope="col">Ack met</th>
                    <th scope="col">Ack breached</th>
                    <th scope="col">Ack compliance</th>
                    <th scope="col">Resolve met</th>
                    <th scope="col">Resolve breached</th>
                    <th scope="col">Resolve compliance</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={compliance()?.rows ?? []} fallback={<EmptyRow cols={7} />}>
                    {(r) => (
                      <tr data-key={r.key}>
                        <th scope="row">{keyLabel(compliance()!.by, r.key)}</th>
                        <td data-col="ack-met">{r.ack.met}</td>
                        <td data-col="ack-breached">{r.ack.breached}</td>
                        <td>{formatPercent(r.ack.compliance)}</td>
                        <td data-col="resolve-met">{r.resolve.met}</td>
                        <td data-col="resolve-breached">{r.resolve.breached}</td>
                        <td>{formatPercent(r.resolve.compliance)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            }
          />

          <Section
            id="trends"
            title="Weekly trends"
            csv="trends"
            onCsv={downloadCsv}
            showTables={showTables()}
            error={insight.errors.trends}
            chart={
              <>
                <label class="inline-control">
                  Severity
                  <select value={trendSeverity()} onChange={(e) => setTrendSeverity(e.currentTarget.value)}>
                    <option value="">All</option>
                    <For each={SEVERITIES}>{(s) => <option value={s}>{s}</option>}</For>
                  </select>
                </label>
                <UChart
                  testid="chart-trends"
                  shape={`trends:${trendCategories().join('|')}:${(trends()?.weeks ?? []).map((w) => w.start).join('|')}`}
                  data={trendData()}
                  build={(c) => {
                    const weeks = trends()?.weeks ?? [];
                    return {
                      scales: { x: { time: false }, y: { range: (_u, _lo, hi) => [0, hi || 1] } },
                      axes: themedAxes(
                        c,
                        { values: (_u, splits) => splits.map((s) => weeks[s]?.start.slice(5) ?? '') },
                        { label: 'events', size: 56 },
                      ),
                      series: [
                        { label: 'Week' },
                        ...trendCategories().map((cat, i) => ({
                          label: cat,
                          stroke: c.series[i % 5],
                          width: 2,
                          dash: DASHES[i % 5],
                          points: { show: true, size: 6 },
                        })),
                      ],
                    };
                  }}
                />
              </>
            }
            table={
              <table data-testid="trends-table">
                <caption>
                  Events per week (weeks start Monday 00:00 in {trends()?.timeZone ?? tz()}; the last is this, partial
                  week)
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Week of</th>
                    <For each={trendCategories()}>{(c) => <th scope="col">{c}</th>}</For>
                  </tr>
                </thead>
                <tbody>
                  <For each={trends()?.weeks ?? []} fallback={<EmptyRow cols={1} />}>
                    {(w) => (
                      <tr data-key={w.start}>
                        <th scope="row">{w.start}</th>
                        <For each={trendCategories()}>{(c) => <td data-col={c}>{trendCount(w, c)}</td>}</For>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            }
          />

          <Section
            id="top-entities"
            title={`Top ${ENTITY_LABEL[kind()].toLowerCase()} by incidents`}
            csv="top-entities"
            onCsv={downloadCsv}
            showTables={showTables()}
            error={insight.errors['top-entities']}
            chart={
              <>
                <label class="inline-control">
                  Entity
                  <select value={kind()} onChange={(e) => setKind(e.currentTarget.value as EntityKind)}>
                    <For each={ENTITY_KINDS}>{(k) => <option value={k}>{ENTITY_LABEL[k]}</option>}</For>
                  </select>
                </label>
                <UChart
                  testid="chart-top"
                  shape={`top:${topChart().labels.join('|')}`}
                  data={topChart().data as uPlot.AlignedData}
                  build={(c) =>
                    barOptions(
                      c,
                      topChart().labels,
                      topChart().centers,
                      ['Events', 'Critical'],
                      'events',
                      topChart().data[0].length - 1,
                    )
                  }
                />
              </>
            }
            table={
              <table data-testid="top-table">
                <caption>{ENTITY_LABEL[kind()]} with the most events in the range</caption>
                <thead>
                  <tr>
                    <th scope="col">Id</th>
                    <th scope="col">Events</th>
                    <th scope="col">Critical</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={top()?.rows ?? []} fallback={<EmptyRow cols={3} />}>
                    {(r) => (
                      <tr data-key={r.id}>
                        <th scope="row">{r.id}</th>
                        <td data-col="count">{r.count}</td>
                        <td data-col="critical">{r.critical}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            }
          />
        </div>

        <Section
          id="heatmap"
          title={`Volume by hour and weekday (${heat()?.timeZone ?? tz()})`}
          csv="heatmap"
          onCsv={downloadCsv}
          showTables={true}
          error={insight.errors.heatmap}
          chart={null}
          table={
            <For each={heatCategories()} fallback={<p class="muted">No events in the range.</p>}>
              {(cat) => <HeatTable category={cat} grid={heat()!.categories[cat]!} />}
            </For>
          }
        />
      </section>
    </div>
  );
}

function EmptyRow(props: { cols: number }) {
  return (
    <tr>
      <td colSpan={props.cols} class="muted">
        No events in the range
      </td>
    </tr>
  );
}

/**
 * One category's 7 × 24 counts as a table whose cells are coloured by a 6-step scale (each step
 * keeps its number readable: tokens --heat-N / --heat-ink-N). A table rather than a canvas: the
 * counts are the chart, so screen readers, copying and the eye get the same thing.
 */
function HeatTable(props: { category: string; grid: number[][] }) {
  const max = () => Math.max(0, ...props.grid.flat());
  return (
    <table class="heatmap" data-testid={`heatmap-${props.category}`}>
      <caption>{props.category}</caption>
      <thead>
        <tr>
          <th scope="col">
            <span class="sr-only">Day</span>
          </th>
          <Index each={Array.from({ length: 24 })}>
            {(_x, h) => (
              <th scope="col" class="heat-hour">
                {String(h).padStart(2, '0')}
              </th>
            )}
          </Index>
        </tr>
      </thead>
      <tbody>
        <Index each={props.grid}>
          {(row, d) => (
            <tr>
              <th scope="row">{WEEKDAYS[d]!.slice(0, 3)}</th>
              <Index each={row()}>
                {(n, h) => (
                  <td
                    class={`heat heat-${heatLevel(n(), max())}`}
                    title={`${WEEKDAYS[d]} ${String(h).padStart(2, '0')}:00: ${n()}`}
                    data-day={d}
                    data-hour={h}
                  >
                    {n()}
                  </td>
                )}
              </Index>
            </tr>
          )}
        </Index>
      </tbody>
    </table>
  );
}
