/** Aggregates for GET /api/stats, cheap at a million rows: trigger-kept counters plus index range scans. */
import { CATEGORIES, SEVERITIES, STATUSES, type Category, type Severity, type Status } from '../../protocol/enums.ts';
import type { EventStats } from '../../protocol/stats.ts';
import type { Db } from './client.ts';
import { eventCounts } from './schema.ts';

const zeros = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
const DONE: ReadonlySet<Status> = new Set(['Resolved', 'Closed']);

/**
 * Counts of live events from the `event_counts` counters (plus `archive_counts`, the archived ones), arrivals today and per minute for the
 * last hour. With a scope (a scoped token's categories) every figure counts only those
 * categories: the counters are kept per category, and the arrival counts are range scans of the
 * (category, received_at) index, so no total of another category is ever summed in.
 */
export async function eventStats(db: Db, now = Date.now(), scope?: readonly Category[]): Promise<EventStats> {
  const minute = 60_000;
  const currentMinute = Math.floor(now / minute);
  const hourStart = (currentMinute - 59) * minute;
  const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
  const d1 = db.$client;
  const inScope = scope ? ` AND category IN (${scope.map((_, i) => `?${i + 2}`).join(', ')})` : '';
  const scopeParams = scope ?? [];
  const [hotCounts, archivedCounts, today, perMinute] = await Promise.all([
    db.select().from(eventCounts),
    // The live events that moved to the archive (migrations/0008_archive.sql): totals cover the whole history.
    d1
      .prepare('SELECT category, severity, status, requires_action AS requiresAction, n FROM archive_counts')
      .all<{ category: Category; severity: Severity; status: Status; requiresAction: number; n: number }>(),
    d1
      .prepare(`SELECT COUNT(*) AS n FROM events WHERE received_at >= ?1${inScope}`)
      .bind(dayStart, ...scopeParams)
      .first<{ n: number }>(),
    d1
      .prepare(
        `SELECT received_at / 60000 AS m, COUNT(*) AS n FROM events WHERE received_at >= ?1${inScope} GROUP BY m`,
      )
      .bind(hourStart, ...scopeParams)
      .all<{ m: number; n: number }>(),
  ]);
  const allCounts = [...hotCounts, ...archivedCounts.results];
  const counts = scope ? allCounts.filter((c) => scope.includes(c.category)) : allCounts;
  const stats: EventStats = {
    total: 0,
    byCategory: zeros(CATEGORIES),
    bySeverity: zeros(SEVERITIES),
    byStatus: zeros(STATUSES),
    today: today?.n ?? 0,
    critical: 0,
    unresolved: 0,
    requiresAction: 0,
    perMinute: new Array<number>(60).fill(0),
  };
  for (const c of counts) {
    if (c.n <= 0) continue;
    stats.total += c.n;
    if (c.category in stats.byCategory) stats.byCategory[c.category] += c.n;
    if (c.severity in stats.bySeverity) stats.bySeverity[c.severity] += c.n;
    if (c.status in stats.byStatus) stats.byStatus[c.status] += c.n;
    if (!DONE.has(c.status)) {
      stats.unresolved += c.n;
      if (c.severity === 'Critical') stats.critical += c.n;
      if (c.requiresAction) stats.requiresAction += c.n;
    }
  }
  for (const { m, n } of perMinute.results) {
    const at = Math.floor(m) - (currentMinute - 59);
    if (at >= 0 && at < 60) stats.perMinute[at]! += n;
  }
  return stats;
}

/** The newest stored event's `receivedAt` (ms), or null: MAX over the `events_received` index, one seek. */
export async function newestReceivedAt(db: Db): Promise<number | null> {
  const row = await db.$client.prepare('SELECT MAX(received_at) AS at FROM events').first<{ at: number | null }>();
  return row?.at ?? null;
}
