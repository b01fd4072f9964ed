/**
 * "Find": the feed's client-side filter and the same filter as API query parameters, so the CSV
 * export holds exactly the rows on screen.
 */
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../../protocol/enums.ts';
import type { QuaycastEvent } from '../../../protocol/event.ts';

export type QuickFilter = 'critical' | 'today' | 'unread' | 'requiresAction' | 'mine';
export const QUICK_FILTERS: { key: QuickFilter; label: string }[] = [
  { key: 'critical', label: 'Critical' },
  { key: 'today', label: 'Today' },
  { key: 'unread', label: 'Unread' },
  { key: 'requiresAction', label: 'Requires action' },
  { key: 'mine', label: 'Mine' },
];

export type FindFilter = {
  quick: Record<QuickFilter, boolean>;
  /** Free text over title, description, type, ids, source. */
  q: string;
  /** `datetime-local` values (local time), empty for open-ended. */
  from: string;
  to: string;
};

export type Subscription = { categories: Category[]; severities: Severity[] };

export const EMPTY_FILTER: FindFilter = {
  quick: { critical: false, today: false, unread: false, requiresAction: false, mine: false },
  q: '',
  from: '',
  to: '',
};

export type FilterContext = { now: number; me: string | undefined; isRead: (e: QuaycastEvent) => boolean };

export function startOfToday(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const localMs = (value: string): number | undefined => {
  if (!value) return undefined;
  const t = new Date(value).getTime(); // datetime-local has no zone: read as local time, as the user meant
  return Number.isNaN(t) ? undefined : t;
};

/** The time window of the filter in epoch ms (either end open). */
export function timeWindow(f: FindFilter, now: number): { from?: number; to?: number } {
  let from = localMs(f.from);
  const to = localMs(f.to);
  if (f.quick.today) from = Math.max(from ?? 0, startOfToday(now));
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** Words of a text as the server's full-text search sees them (letters and digits). */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) as string[];
}

/** The server's `q`: every word of the query is a prefix of a word of the title, description, event type or an entity id. */
export function matchesText(
  e: Pick<QuaycastEvent, 'title' | 'description'> &
    Partial<Pick<QuaycastEvent, 'eventType' | 'containerId' | 'shipId' | 'berthId' | 'portId'>>,
  terms: string[],
): boolean {
  if (terms.length === 0) return true;
  const have = words(
    [e.title, e.description, e.eventType, e.containerId, e.shipId, e.berthId, e.portId].filter(Boolean).join(' '),
  );
  return terms.every((t) => have.some((w) => w.startsWith(t)));
}

/** A predicate for the feed; the subscription's own filters are applied too (what is shown is what is subscribed). */
export function makePredicate(f: FindFilter, sub: Subscription, ctx: FilterContext): (e: QuaycastEvent) => boolean {
  const cats = new Set(sub.categories);
  const sevs = new Set(sub.severities);
  const { from, to } = timeWindow(f, ctx.now);
  const terms = words(f.q);
  return (e) => {
    if (!cats.has(e.category) || !sevs.has(e.severity)) return false;
    if (f.quick.critical && e.severity !== 'Critical') return false;
    if (f.quick.requiresAction && !e.requiresAction) return false;
    if (f.quick.mine && (!ctx.me || e.assignedTo !== ctx.me)) return false;
    if (f.quick.unread && ctx.isRead(e)) return false;
    if (from !== undefined || to !== undefined) {
      // as the API: receivedAt in [from, to)
      const t = Date.parse(e.receivedAt);
      if (from !== undefined && t < from) return false;
      if (to !== undefined && t >= to) return false;
    }
    return matchesText(e, terms);
  };
}

/**
 * The same filter as list/export query parameters (DESIGN.md: category, severity, status, q,
 * from, to, unread, limit). What the API cannot express (several categories but not all,
 * requires action, mine) is left to `exportRowFilter`.
 */
export function toQuery(
  f: FindFilter,
  sub: Subscription,
  ctx: Pick<FilterContext, 'now' | 'me'>,
  limit?: number,
): URLSearchParams {
  const q = new URLSearchParams();
  if (sub.categories.length === 1) q.set('category', sub.categories[0]!);
  const sevs = f.quick.critical ? sub.severities.filter((s) => s === 'Critical') : sub.severities;
  if (sevs.length < SEVERITIES.length) q.set('severity', sevs.join(','));
  if (f.q.trim()) q.set('q', f.q.trim());
  const { from, to } = timeWindow(f, ctx.now);
  if (from !== undefined) q.set('from', new Date(from).toISOString());
  if (to !== undefined) q.set('to', new Date(to).toISOString());
  if (f.quick.unread) q.set('unread', 'true');
  if (limit !== undefined) q.set('limit', String(limit));
  return q;
}

/** The rest of the filter, applied to exported CSV rows (by header name); undefined when the query says it all. */
export function exportRowFilter(
  f: FindFilter,
  sub: Subscription,
  me: string | undefined,
): ((row: Record<string, string>) => boolean) | undefined {
  const cats =
    sub.categories.length > 1 && sub.categories.length < CATEGORIES.length
      ? new Set<string>(sub.categories)
      : undefined;
  if (!cats && !f.quick.requiresAction && !f.quick.mine) return undefined;
  return (row) =>
    (!cats || cats.has(row.category ?? '')) &&
    (!f.quick.requiresAction || row.requiresAction === 'true') &&
    (!f.quick.mine || (!!me && row.assignedTo === me));
}

export function activeFilterCount(f: FindFilter): number {
  return Object.values(f.quick).filter(Boolean).length + (f.q.trim() ? 1 : 0) + (f.from ? 1 : 0) + (f.to ? 1 : 0);
}
