/** The room's RPC vocabulary: what the Worker sends a room and what it answers. */
import type { Change, NewEvent } from '../../protocol/event.ts';
import type { NewHistoryEntry } from '../../protocol/history.ts';
import type { ReconnectReason } from '../../protocol/room.ts';

/** Outcome of one event handed to the room. */
export type CommitResult = { id: string; status: 'stored'; seq: number } | { id: string; status: 'duplicate' };

/** A workflow change (or delete) of a stored event, computed by the API from its current state. */
export type ChangeRequest = {
  id: string;
  /** The seq the caller read the event at; the change applies only if it is still there. */
  expectedSeq: number;
  /** The event's new state; for a delete, its last state (the row becomes a tombstone). */
  next: NewEvent;
  deleted: boolean;
  history: NewHistoryEntry;
};
export type ChangeResult = { status: 'changed'; seq: number; change: Change } | { status: 'conflict' };

/** Options of a commit: API-made events are also queued for publishing to Kafka. */
export type CommitOptions = { outbox?: boolean };

/** Options of a drain (deploy-aware reconnect). */
export type DrainOptions = { reason?: ReconnectReason; spreadMs?: number };

/**
 * What a primary forwards to a shard after a settle: the changes of `(after, upTo]`, complete
 * unless `uncertain` (the primary itself recovered from a write of unknown outcome, or it had to
 * drop a backlog): then the shard must re-read that range from D1.
 */
export type ShardDelivery = { after: number; upTo: number; changes: Change[]; uncertain: boolean };

/** Live connections of a room (a primary of a sharded room sums its shards), for /api/stats. */
export type RoomInfo = { connections: number; lastSeq: number; sockets: number; streams: number };
