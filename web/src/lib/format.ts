/** Display helpers: times, lineage, entity ids. */
import type { QuaycastEvent } from '../../../protocol/event.ts';

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'narrow' });

/** "12 s ago", "3 min ago", "yesterday". */
export function relativeTime(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  if (a < 5) return 'now';
  if (a < 60) return rtf.format(s, 'second');
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86_400) return rtf.format(Math.round(s / 3600), 'hour');
  return rtf.format(Math.round(s / 86_400), 'day');
}

const abs = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function absoluteTime(iso: string | number): string {
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  return Number.isNaN(t) ? String(iso) : abs.format(t);
}

export function clockTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '—' : clock.format(t);
}

/**
 * The time an event spent in each stage, from its own time to this screen:
 * `Kafka +12 ms → Worker +8 ms → screen +25 ms` (stages without a timestamp are left out).
 * Clocks differ between producer, broker, Worker and browser: small negative steps are clock skew.
 */
export function pipelineStages(
  e: Pick<QuaycastEvent, 'eventTime' | 'receivedAt' | 'origin'>,
  arrivedAt: number | undefined,
): string | undefined {
  const points: [string, number][] = [['event', Date.parse(e.eventTime)]];
  if (e.origin?.kind === 'kafka' && e.origin.appendedAt) points.push(['Kafka', Date.parse(e.origin.appendedAt)]);
  points.push(['Worker', Date.parse(e.receivedAt)]);
  if (arrivedAt !== undefined) points.push(['screen', arrivedAt]);
  const valid = points.filter(([, t]) => Number.isFinite(t));
  if (valid.length < 2) return undefined;
  const step = (ms: number) => (Math.abs(ms) >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
  return valid
    .slice(1)
    .map(([name, t], i) => `${name} ${t - valid[i]![1] >= 0 ? '+' : '−'}${step(Math.abs(t - valid[i]![1]))}`)
    .join(' → ');
}

/** Where an event came from: `container-events/2@1043` or `API`. */
export function lineage(e: Pick<QuaycastEvent, 'origin'>): string {
  const o = e.origin;
  if (!o) return '—';
  return o.kind === 'kafka' ? `${o.topic}/${o.partition}@${o.offset}` : 'API';
}

export function entityIds(e: QuaycastEvent): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  if (e.containerId) out.push({ label: 'Container', value: e.containerId });
  if (e.shipId) out.push({ label: 'Ship', value: e.shipId });
  if (e.berthId) out.push({ label: 'Berth', value: e.berthId });
  if (e.portId) out.push({ label: 'Port', value: e.portId });
  return out;
}

export const STATUS_LABEL: Record<string, string> = {
  New: 'New',
  Acknowledged: 'Acknowledged',
  InProgress: 'In progress',
  Resolved: 'Resolved',
  Closed: 'Closed',
};

export function formatCount(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k` : n.toLocaleString();
}
