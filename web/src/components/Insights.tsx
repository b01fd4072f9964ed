/** "Understand": totals, shares, severity distribution, the per-minute chart and stream health. */
import { For, Show, createMemo } from 'solid-js';
import { unwrap } from 'solid-js/store';
import { SEVERITIES } from '../../../protocol/enums.ts';
import { allowedCategories } from '../../../protocol/scope.ts';
import { formatCount } from '../lib/format.ts';
import { startOfToday } from '../lib/filters.ts';
import { useConnection, useFeed, useNow, useStats, useSession } from '../stores/context.tsx';
import { RateChart } from './RateChart.tsx';

function ms(v: number | undefined): string {
  if (v === undefined) return '—';
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

export function Insights() {
  const [stats] = useStats();
  const [feed, feedActions] = useFeed();
  const [conn] = useConnection();
  const [session] = useSession();
  /** The categories this token may see (a scoped token's only). */
  const visible = () => allowedCategories(session.claims ?? {});
  const now = useNow();

  const server = () => (stats.available ? stats.data : undefined);
  /**
   * What the feed holds, for when /api/stats is not there. Only computed then: walking every
   * held event on each animation frame would cost the feed its frame budget under a heavy stream.
   */
  const local = createMemo(() => {
    if (server()) return undefined;
    void feed.version;
    const raw = unwrap(feed.byId);
    const today = startOfToday(now());
    const byCategory: Record<string, number> = {};
    const bySeverity: Record<string, number> = {};
    let critical = 0;
    let todayCount = 0;
    let unresolved = 0;
    for (const id of feed.order) {
      const e = raw[id];
      if (!e) continue;
      byCategory[e.category] = (byCategory[e.category] ?? 0) + 1;
      bySeverity[e.severity] = (bySeverity[e.severity] ?? 0) + 1;
      if (e.severity === 'Critical') critical++;
      if (Date.parse(e.eventTime) >= today) todayCount++;
      if (e.status !== 'Resolved' && e.status !== 'Closed') unresolved++;
    }
    return { total: feed.order.length, critical, today: todayCount, unresolved, byCategory, bySeverity };
  });
  const pick = (k: 'total' | 'critical' | 'today' | 'unresolved') => server()?.[k] ?? local()?.[k] ?? 0;
  const byCategory = () => server()?.byCategory ?? local()?.byCategory ?? {};
  const bySeverity = () => server()?.bySeverity ?? local()?.bySeverity ?? {};
  const catTotal = () =>
    Math.max(
      1,
      visible().reduce((s, c) => s + (byCategory()[c] ?? 0), 0),
    );
  const sevTotal = () =>
    Math.max(
      1,
      SEVERITIES.reduce((s, v) => s + (bySeverity()[v] ?? 0), 0),
    );

  // Meter readings are plain numbers: re-read them on the clock tick.
  const stream = createMemo(() => {
    const t = now(); // the clock ticks every second: enough for rates and percentiles
    const local = feedActions.meter.series(t);
    const perMinute = server()?.perMinute;
    let series = local;
    if (perMinute && perMinute.length > 0) {
      // the server's hour, with the current minute topped up by what arrived since it was read
      const last = Math.floor(t / 60_000);
      series = perMinute.map((count, i) => ({ minute: last - perMinute.length + 1 + i, count }));
      const current = local[local.length - 1]?.count ?? 0;
      const tail = series[series.length - 1];
      if (tail && current > tail.count) tail.count = current;
    }
    return {
      rate: feedActions.meter.rate(t),
      p50: feedActions.meter.percentile(50),
      p95: feedActions.meter.percentile(95),
      series,
    };
  });
  const connections = () => Object.values(conn.rooms).reduce((s, r) => s + (r?.connections ?? 0), 0);

  return (
    <section class="panel insights" aria-labelledby="ins-h">
      <h2 id="ins-h">
        Overview{' '}
        <Show when={!server()}>
          <span class="muted small">(events in view)</span>
        </Show>
      </h2>
      <dl class="cards" data-testid="totals">
        <div class="card-stat">
          <dt>Total</dt>
          <dd>{formatCount(pick('total'))}</dd>
        </div>
        <div class="card-stat critical">
          <dt>{server() ? 'Critical open' : 'Critical'}</dt>
          <dd>{formatCount(pick('critical'))}</dd>
        </div>
        <div class="card-stat">
          <dt>Today</dt>
          <dd>{formatCount(pick('today'))}</dd>
        </div>
        <div class="card-stat">
          <dt>Unresolved</dt>
          <dd>{formatCount(pick('unresolved'))}</dd>
        </div>
      </dl>

      <h3>By category</h3>
      <ul class="shares">
        <For each={visible()}>
          {(c) => {
            const n = () => byCategory()[c] ?? 0;
            const pct = () => Math.round((100 * n()) / catTotal());
            return (
              <li>
                <span class="share-label">{c}</span>
                <span class="share-bar" aria-hidden="true">
                  <span style={{ width: `${pct()}%` }} />
                </span>
                <span class="share-val">
                  {formatCount(n())} <span class="muted">({pct()}%)</span>
                </span>
              </li>
            );
          }}
        </For>
      </ul>

      <h3>By severity</h3>
      <div class="sev-dist" role="img" aria-label={SEVERITIES.map((s) => `${s} ${bySeverity()[s] ?? 0}`).join(', ')}>
        <For each={SEVERITIES}>
          {(s) => (
            <span
              class={`seg sev-bg-${s}`}
              style={{ 'flex-grow': bySeverity()[s] ?? 0 }}
              title={`${s}: ${bySeverity()[s] ?? 0}`}
            />
          )}
        </For>
      </div>
      <ul class="legend">
        <For each={SEVERITIES}>
          {(s) => (
            <li>
              <span class={`swatch sev-bg-${s}`} aria-hidden="true" />
              {s} <b>{formatCount(bySeverity()[s] ?? 0)}</b>{' '}
              <span class="muted">({Math.round((100 * (bySeverity()[s] ?? 0)) / sevTotal())}%)</span>
            </li>
          )}
        </For>
      </ul>

      <h3>Events per minute</h3>
      <RateChart series={stream().series} />

      <h3>Stream</h3>
      <dl class="kv" data-testid="stream-metrics">
        <dt>Events/s</dt>
        <dd>{stream().rate.toFixed(1)}</dd>
        <dt title="From eventTime to the frame that showed it">Latency p50 / p95</dt>
        <dd>
          {ms(stream().p50)} / {ms(stream().p95)}
        </dd>
        <dt>Connections</dt>
        <dd>{connections()}</dd>
        <dt title="Changes received twice (replays, overlapping transports) and dropped">Duplicates dropped</dt>
        <dd data-testid="duplicates">{feed.duplicates}</dd>
      </dl>
    </section>
  );
}
