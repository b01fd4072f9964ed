/**
 * Which workflow actions an event offers to a role, in display order, and which are safe to show
 * before the server answers. The workflow itself (which status allows which action, what each
 * changes) is the shared table of protocol/workflow.ts, the same the Worker applies.
 */
import type { QuaycastEvent } from '../../../protocol/event.ts';
import type { Role } from '../../../protocol/roles.ts';
import {
  TRANSITION_FROM,
  transition,
  type Actor,
  type TransitionAction,
  type WorkflowAction,
} from '../../../protocol/workflow.ts';
import { can } from './auth.ts';

/** A button of the detail panel: a workflow action, or the admin's delete. */
export type EventAction = WorkflowAction | 'delete';

export const ACTION_LABEL: Record<EventAction, string> = {
  acknowledge: 'Acknowledge',
  assign: 'Assign',
  start: 'Start',
  resolve: 'Resolve',
  close: 'Close',
  reopen: 'Reopen',
  markRead: 'Mark read',
  markUnread: 'Mark unread',
  delete: 'Delete',
};

/** The order the buttons appear in: the usual path of an event first. */
const DISPLAY_ORDER: readonly TransitionAction[] = ['acknowledge', 'start', 'assign', 'resolve', 'close', 'reopen'];

/** The actions a role may take on an event in its current state, in display order. */
export function availableActions(
  e: Pick<QuaycastEvent, 'status'>,
  role: Role | undefined,
  read: boolean,
): EventAction[] {
  const out: EventAction[] = [];
  if (can(role, 'workflow')) {
    out.push(...DISPLAY_ORDER.filter((a) => TRANSITION_FROM[a].includes(e.status)));
    out.push(read ? 'markUnread' : 'markRead');
  }
  if (can(role, 'delete')) out.push('delete');
  return out;
}

/** Actions whose outcome the dashboard may show at once; resolve (its note) and reopen wait for the server. */
const OPTIMISTIC: ReadonlySet<TransitionAction> = new Set(['acknowledge', 'start', 'close', 'assign']);

/**
 * The fields an action changes, computed with the Worker's own `transition`, to show at once; or
 * undefined when the outcome depends on the server (resolve with its note, reopen) or the table
 * does not allow it, and the UI waits for the answer.
 */
export function optimisticPatch(
  event: QuaycastEvent,
  action: TransitionAction,
  actor: Actor,
  nowMs: number,
  assignee?: string,
): Partial<QuaycastEvent> | undefined {
  if (!OPTIMISTIC.has(action) || (action === 'assign' && !assignee)) return undefined;
  const t = transition(event, { action, ...(action === 'assign' ? { assignee } : {}) }, actor, nowMs);
  if (!t.ok) return undefined;
  const patch: Partial<Record<keyof QuaycastEvent, unknown>> = {};
  for (const key of Object.keys(t.next) as (keyof typeof t.next)[])
    if (t.next[key] !== event[key]) patch[key] = t.next[key];
  return patch as Partial<QuaycastEvent>;
}
