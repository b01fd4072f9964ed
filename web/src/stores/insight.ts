/**
 * The Insight page's data: the five /api/insight answers for the chosen range, zone, dimension
 * and entity kind. Read at once when the choice changes; then again, throttled to once per
 * `everyMs`, whenever the feed applies changes (new events, workflow moves) and once a minute
 * (preset ranges end "now"); nothing while the tab is hidden, one catch-up read when it shows.
 */
import { batch, createEffect, on, onCleanup, untrack, type Accessor } from 'solid-js';
import { createStore, reconcile, unwrap } from 'solid-js/store';
import type { Api, InsightAnswers } from '../lib/api.ts';
import { makeThrottle, insightQuery, type InsightParams, type InsightQuery } from '../lib/insight.ts';

export const INSIGHT_QUERIES = ['response-times', 'sla', 'heatmap', 'trends', 'top-entities'] as const;

export type InsightState = {
  data: { [Q in InsightQuery]?: InsightAnswers[Q] };
  errors: { [Q in InsightQuery]?: string };
  loading: boolean;
  /** When the last read finished (ms), and how many reads there were. */
  updatedAt: number | undefined;
  reads: number;
};

export type InsightStoreOptions = {
  api: Api;
  /** The parameters as of now (read when loading: preset ranges move with the clock); undefined = invalid choice. */
  params: () => InsightParams | undefined;
  /** Changes when the user's choice does: reloads at once. */
  choice: Accessor<unknown>;
  /** Changes whenever the feed applied changes (its `version`). */
  changes: Accessor<unknown>;
  everyMs?: number;
  /** Besides changes, a read this often while visible (0: never). */
  minuteMs?: number;
  hidden?: () => boolean;
  /** Subscribes to visibility changes; returns the unsubscribe. */
  onVisible?: (fn: () => void) => () => void;
};

function browserHidden(): boolean {
  return typeof document !== 'undefined' && document.hidden;
}
function browserOnVisible(fn: () => void): () => void {
  if (typeof document === 'undefined') return () => {};
  const h = () => !document.hidden && fn();
  document.addEventListener('visibilitychange', h);
  return () => document.removeEventListener('visibilitychange', h);
}

export function createInsightStore(opts: InsightStoreOptions): [InsightState, { refresh(): Promise<void> }] {
  const hidden = opts.hidden ?? browserHidden;
  const [state, setState] = createStore<InsightState>({
    data: {},
    errors: {},
    loading: false,
    updatedAt: undefined,
    reads: 0,
  });
  let inflight: AbortController | undefined;

  async function load(): Promise<void> {
    const p = untrack(opts.params);
    if (!p) return;
    inflight?.abort();
    const ctl = new AbortController();
    inflight = ctl;
    setState('loading', true);
    const answers = await Promise.allSettled(
      INSIGHT_QUERIES.map((q) => opts.api.insight(q, insightQuery(q, p), ctl.signal)),
    );
    if (ctl.signal.aborted) return; // a newer read replaced this one
    inflight = undefined;
    const data = { ...unwrap(state.data) } as Record<string, unknown>;
    const errors: Record<string, string> = {};
    answers.forEach((a, i) => {
      const q = INSIGHT_QUERIES[i]!;
      if (a.status === 'fulfilled') data[q] = a.value;
      else errors[q] = (a.reason as Error)?.message ?? String(a.reason);
    });
    batch(() => {
      setState('data', reconcile(data as InsightState['data']));
      setState('errors', reconcile(errors));
      setState({ loading: false, updatedAt: Date.now(), reads: state.reads + 1 });
    });
  }

  const throttle = makeThrottle({ run: () => void load(), everyMs: opts.everyMs ?? 2000, hidden });
  createEffect(
    on(opts.choice, () => {
      throttle.ran();
      void load();
    }),
  );
  createEffect(on(opts.changes, () => throttle.poke(), { defer: true }));
  const offVisible = (opts.onVisible ?? browserOnVisible)(() => throttle.resume());
  const minuteMs = opts.minuteMs ?? 60_000;
  const timer = minuteMs > 0 ? setInterval(() => !hidden() && throttle.poke(), minuteMs) : undefined;
  onCleanup(() => {
    throttle.stop();
    offVisible();
    if (timer) clearInterval(timer);
    inflight?.abort();
  });
  return [state, { refresh: load }];
}
