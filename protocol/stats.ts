/**
 * `GET /api/stats`: counts for the dashboard's header and charts, the live connections of each
 * room the caller may see, and whether the pipeline flows (protocol/pipeline.ts).
 */
import type { Category, Severity, Status } from './enums.ts';
import type { Pipeline } from './pipeline.ts';

/** Counts of stored events (a scoped token: of its categories only; the others count 0). */
export type EventStats = {
  /** Events stored (not deleted). */
  total: number;
  byCategory: Record<Category, number>;
  bySeverity: Record<Severity, number>;
  byStatus: Record<Status, number>;
  /** Received since 00:00 UTC today (deleted ones included: they did arrive). */
  today: number;
  /** Severity Critical and not Resolved/Closed. */
  critical: number;
  /** Not Resolved/Closed. */
  unresolved: number;
  /** requiresAction and not Resolved/Closed. */
  requiresAction: number;
  /** Events received in each of the last 60 minutes, oldest first (the last entry is the current minute). */
  perMinute: number[];
};

/** A room's live connections and newest seq, as `/api/stats` reports them. */
export type RoomCounts = { connections: number; lastSeq: number };

/** The whole answer of `GET /api/stats`. */
export type StatsResponse = EventStats & {
  /** Keyed by category: the rooms the caller may see. */
  rooms: Record<string, RoomCounts>;
  pipeline: Pipeline;
  /**
   * Where the history lives (docs/archive.md): `hotDays`, the days D1 keeps (text search and
   * `unread` read only those), or null when no archive is bound (everything is in D1).
   */
  storage: { hotDays: number | null };
  /** When the figures were taken (ISO-8601, the Worker's clock). */
  at: string;
};
