/**
 * SLA countdowns (docs/dashboard.md, "SLA countdowns"): which target applies to an event, how much
 * time it has left, and the words that say so. Pure: the clock and the targets come in.
 *
 * The clock starts at `receivedAt` for both targets. While an event is `New` it runs against the
 * acknowledge target; once it left `New` (acknowledge, start, resolve or close) against the
 * resolve target; a `Resolved` or `Closed` event has no countdown.
 */
import type { Category, Severity, Status } from '../../../protocol/enums.ts';

/** One target of GET /api/sla: a severity's, or (with `category`) a category's override of it. */
export type SlaTarget = { severity: Severity; category: Category | null; ackMinutes: number; resolveMinutes: number };
export type Shift = { name: string; start: string };
/** GET /api/sla's document (PUT takes `targets`, `timeZone` and `shifts`). */
export type SlaDocument = {
  targets: SlaTarget[];
  timeZone: string;
  shifts: Shift[];
  updatedAt: number | null;
  updatedBy: string | null;
};

/** Under this share of its target left, a countdown turns amber ("due soon"). */
export const WARNING_FRACTION = 0.25;

export type SlaPhase = 'ack' | 'resolve';
export type SlaState = 'ok' | 'warning' | 'breached';

export type SlaClock = {
  phase: SlaPhase;
  /** The target's length (ms). */
  targetMs: number;
  /** When the target falls due (ms since the epoch). */
  dueAt: number;
  /** Time left (negative once breached). */
  remainingMs: number;
  state: SlaState;
};

type Timed = { category: Category; severity: Severity; status: Status; receivedAt: string };

/** The target for this category and severity: a category override wins over the severity's own. */
export function targetFor(
  targets: readonly SlaTarget[],
  category: Category,
  severity: Severity,
): SlaTarget | undefined {
  return (
    targets.find((t) => t.severity === severity && t.category === category) ??
    targets.find((t) => t.severity === severity && t.category === null)
  );
}

/** `ok` with at least WARNING_FRACTION of the target left, `warning` under it, `breached` at or past zero. */
export function slaState(remainingMs: number, targetMs: number): SlaState {
  if (remainingMs <= 0) return 'breached';
  return remainingMs < targetMs * WARNING_FRACTION ? 'warning' : 'ok';
}

/** The running countdown of an open event; undefined when it is resolved/closed or has no target. */
export function slaClock(e: Timed, targets: readonly SlaTarget[], now: number): SlaClock | undefined {
  if (e.status === 'Resolved' || e.status === 'Closed') return undefined;
  const target = targetFor(targets, e.category, e.severity);
  const start = Date.parse(e.receivedAt);
  if (!target || !Number.isFinite(start)) return undefined;
  const phase: SlaPhase = e.status === 'New' ? 'ack' : 'resolve';
  const targetMs = (phase === 'ack' ? target.ackMinutes : target.resolveMinutes) * 60_000;
  const dueAt = start + targetMs;
  const remainingMs = dueAt - now;
  return { phase, targetMs, dueAt, remainingMs, state: slaState(remainingMs, targetMs) };
}

/** A length for people: "45 s", "4 min 10 s" (under 10 min), "42 min", "2 h 5 min", "3 d 4 h". */
export function formatSpan(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

export const PHASE_LABEL: Record<SlaPhase, string> = { ack: 'Ack', resolve: 'Resolve' };
const PHASE_WORD: Record<SlaPhase, string> = { ack: 'acknowledge', resolve: 'resolve' };

/** The badge's words: "Ack in 4 min", "Resolve due soon: 1 min 10 s", "Ack breached 3 min ago". */
export function slaText(c: SlaClock): string {
  const label = PHASE_LABEL[c.phase];
  if (c.state === 'breached') return `${label} breached ${formatSpan(c.remainingMs)} ago`;
  if (c.state === 'warning') return `${label} due soon: ${formatSpan(c.remainingMs)}`;
  return `${label} in ${formatSpan(c.remainingMs)}`;
}

/** The long form for a tooltip and screen readers: "Target to acknowledge: 5 min; breached 3 min ago". */
export function slaDescription(c: SlaClock): string {
  const head = `Target to ${PHASE_WORD[c.phase]}: ${formatSpan(c.targetMs)}`;
  return c.state === 'breached'
    ? `${head}; breached ${formatSpan(c.remainingMs)} ago`
    : `${head}; ${formatSpan(c.remainingMs)} left${c.state === 'warning' ? ' (due soon)' : ''}`;
}

/** Parses "HH:MM" (00:00–23:59) into minutes after midnight; undefined otherwise. */
export function parseClock(hhmm: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** The shift a wall-clock minute of the day falls in: shifts wrap past midnight (Night 22:00 → 06:00). */
export function shiftAt(shifts: readonly Shift[], minuteOfDay: number): Shift | undefined {
  const sorted = shifts
    .map((s) => ({ s, at: parseClock(s.start) }))
    .filter((x): x is { s: Shift; at: number } => x.at !== undefined)
    .sort((a, b) => a.at - b.at);
  if (sorted.length === 0) return undefined;
  let hit = sorted[sorted.length - 1]!; // before the first start of the day: the last shift of yesterday
  for (const x of sorted) if (x.at <= minuteOfDay) hit = x;
  return hit.s;
}
