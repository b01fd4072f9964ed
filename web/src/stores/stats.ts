/** Server totals (GET /api/stats), refreshed while the dashboard is open. */
import { onCleanup } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { PIPELINE_STATES, type PipelineState } from '../../../protocol/pipeline.ts';
import type { Api, Stats } from '../lib/api.ts';

/** Most reason lines kept from the server (the pill shows the first, its tooltip all). */
const MAX_PIPELINE_REASONS = 12;

export type StatsState = { data: Stats | undefined; available: boolean; updatedAt: number | undefined };

/** Reads the route's answer tolerantly: totals may sit at the top or under `totals`. */
export function normalizeStats(raw: Record<string, unknown>): Stats {
  const src = (
    typeof raw.totals === 'object' && raw.totals !== null ? { ...raw, ...(raw.totals as object) } : raw
  ) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const rec = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, number>) : undefined;
  const out: Stats = {};
  const total = num(src.total) ?? num(src.events) ?? num(src.count);
  if (total !== undefined) out.total = total;
  for (const k of ['today', 'critical', 'unresolved'] as const) {
    const v = num(src[k]);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['byCategory', 'bySeverity', 'byStatus', 'connections'] as const) {
    const v = rec(src[k]);
    if (v) out[k] = v;
  }
  // `rooms: { Container: { connections, lastSeq } }`
  if (!out.connections && rec(src.rooms)) {
    out.connections = Object.fromEntries(
      Object.entries(src.rooms as Record<string, { connections?: unknown }>).map(([k, v]) => [
        k,
        typeof v?.connections === 'number' ? v.connections : 0,
      ]),
    );
  }
  if (Array.isArray(src.perMinute) && src.perMinute.every((n) => typeof n === 'number'))
    out.perMinute = src.perMinute as number[];
  const pipeline = src.pipeline as { state?: unknown; reasons?: unknown } | undefined;
  if (
    typeof pipeline === 'object' &&
    pipeline !== null &&
    (PIPELINE_STATES as readonly unknown[]).includes(pipeline.state)
  ) {
    const reasons = Array.isArray(pipeline.reasons)
      ? pipeline.reasons.filter((r): r is string => typeof r === 'string').slice(0, MAX_PIPELINE_REASONS)
      : [];
    out.pipeline = { state: pipeline.state as PipelineState, reasons };
  }
  const storage = src.storage as { hotDays?: unknown } | undefined;
  if (typeof storage?.hotDays === 'number' && Number.isInteger(storage.hotDays) && storage.hotDays > 0)
    out.hotDays = storage.hotDays;
  return out;
}

export function createStatsStore(
  api: Api,
  enabled: () => boolean,
  everyMs = 15_000,
): [StatsState, { refresh(): Promise<void> }] {
  const [state, setState] = createStore<StatsState>({ data: undefined, available: true, updatedAt: undefined });
  async function refresh(): Promise<void> {
    if (!enabled()) return;
    try {
      const raw = await api.stats();
      setState('data', reconcile(normalizeStats(raw)));
      setState({ available: true, updatedAt: Date.now() });
    } catch {
      setState('available', false); // the panel falls back to what the feed holds
    }
  }
  void refresh();
  const timer = setInterval(() => void refresh(), everyMs);
  onCleanup(() => clearInterval(timer));
  return [state, { refresh }];
}
