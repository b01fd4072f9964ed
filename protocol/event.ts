/**
 * The event contract (DESIGN.md, "The event"), as types: what a producer sends in canonical form,
 * where an event came from, what Quaycast stores and pushes, and a delete in a room's changefeed.
 * Written by hand; the zod schemas that validate these shapes at the boundaries
 * (protocol/schemas/event.ts) prove at compile time that they infer exactly these types.
 */
import type { Category, Severity, Status } from './enums.ts';

/** Longest `eventType`, `title`, `source` and `assignedTo`, in characters (after trimming). */
export const MAX_TITLE_CHARS = 200;
/** Longest `description` and `resolution`, in characters. */
export const MAX_TEXT_CHARS = 4000;
/** Longest `id` and entity id (`containerId`, `shipId`, `berthId`, `portId`), in characters. */
export const MAX_ID_CHARS = 200;

export type Coordinates = { lat: number; lon: number };

/** The canonical input a producer sends (after legacy names and spellings are brought to it). */
export type EventInput = {
  id?: string;
  category?: Category;
  severity?: Severity;
  priority?: Severity;
  status?: Status;
  eventType: string;
  title: string;
  description?: string | null;
  source?: string | null;
  /** ISO-8601, or the .NET forms without a zone (protocol/time.ts). */
  eventTime?: string;
  containerId?: string | null;
  shipId?: string | null;
  berthId?: string | null;
  portId?: string | null;
  requiresAction?: boolean | null;
  isResolved?: boolean | null;
  eventData?: Record<string, unknown> | null;
  metadata?: Record<string, unknown> | null;
  coordinates?: Coordinates | null;
  assignedTo?: string | null;
  resolution?: string | null;
};

/** Where a stored event came from: a Kafka record (its lineage) or the HTTP API. */
export type Origin =
  | {
      kind: 'kafka';
      topic: string;
      partition: number;
      offset: string;
      /** The record's key, as text (absent when the record had none). */
      key?: string;
      /** The record's headers, as text (bounded: see MAX_LINEAGE_HEADERS in schemas/normalize.ts). */
      headers?: Record<string, string>;
      /** The record's Kafka timestamp (producer create time or broker append time), ISO-8601. */
      appendedAt?: string;
    }
  | { kind: 'api' };

/** A stored event, as the API returns it and the rooms push it. Times are ISO-8601 UTC. */
export type QuaycastEvent = {
  id: string;
  /** The room's sequence number of the event's latest change. */
  seq: number;
  category: Category;
  severity: Severity;
  priority: Severity;
  status: Status;
  eventType: string;
  title: string;
  description: string | null;
  source: string | null;
  eventTime: string;
  containerId: string | null;
  shipId: string | null;
  berthId: string | null;
  portId: string | null;
  requiresAction: boolean;
  isResolved: boolean;
  eventData: Record<string, unknown>;
  metadata: Record<string, unknown>;
  coordinates: Coordinates | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  assignedTo: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
  origin: Origin;
  receivedAt: string;
  createdAt: string;
  updatedAt: string;
};

/** An event ready to be stored: everything but `seq`, which the room assigns. */
export type NewEvent = Omit<QuaycastEvent, 'seq'>;

/** A deleted event in a room's changefeed. */
export type Tombstone = { id: string; seq: number; category: Category; deleted: true };

/** One entry of a room's changefeed: an event's new state, or its delete. */
export type Change = QuaycastEvent | Tombstone;

/** True for a delete in a room's changefeed (`{ id, seq, deleted: true }`). */
export function isTombstone(c: Change): c is Tombstone {
  return 'deleted' in c && c.deleted === true;
}

/** One field that failed validation: where (`eventData.items.3`, `(root)`) and why. */
export type FieldIssue = { path: string; message: string };
