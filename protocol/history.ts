/**
 * An event's workflow history (`GET /api/events/{id}/history`): one entry per change, oldest
 * first, kept for deleted events too. One shape for the D1 row (worker/db/schema.ts
 * `event_history`), the API's answer and the dashboard's detail panel.
 */
import type { Status } from './enums.ts';
import { TRANSITION_ACTIONS, type TransitionAction } from './workflow.ts';

/**
 * What a history entry records: a transition, the delete, or a rule's severity raise (status
 * unchanged, docs/rules.md). Read marks are not history.
 */
export const HISTORY_ACTIONS = [...TRANSITION_ACTIONS, 'delete', 'raiseSeverity'] as const;
export type HistoryAction = TransitionAction | 'delete' | 'raiseSeverity';

export type HistoryEntry = {
  eventId: string;
  /** The seq the change gave the event. */
  seq: number;
  /** When, ms since the epoch. */
  at: number;
  /** The JWT `sub` of who changed it. */
  actor: string;
  action: HistoryAction;
  /** The status before the change (a nullable column; every writer sets it). */
  fromStatus: Status | null;
  /** The status after (null for a delete). */
  toStatus: Status | null;
  note: string | null;
};

/** An entry as the room records it with the change, before the event and its new seq are known to it. */
export type NewHistoryEntry = Omit<HistoryEntry, 'eventId' | 'seq'>;
