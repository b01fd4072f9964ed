/** Which workflow actions an event offers to a role, and which are safe to show before the server answers. */
import type { Role } from '../../../protocol/roles.ts';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import type { WorkflowAction } from './api.ts';
import { can } from './auth.ts';

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

/** The actions a role may take on an event in its current state, in display order. */
export function availableActions(e: Pick<QuaycastEvent, 'status'>, role: Role | undefined, read: boolean): EventAction[] {
  const out: EventAction[] = [];
  if (can(role, 'workflow')) {
    const s = e.status;
    if (s === 'New') out.push('acknowledge');
    if (s === 'New' || s === 'Acknowledged') out.push('start');
    if (s !== 'Closed') out.push('assign');
    if (s === 'New' || s === 'Acknowledged' || s === 'InProgress') out.push('resolve');
    if (s === 'Resolved') out.push('close');
    if (s === 'Resolved' || s === 'Closed') out.push('reopen');
    out.push(read ? 'markUnread' : 'markRead');
  }
  if (can(role, 'delete')) out.push('delete');
  return out;
}

/**
 * The local state to show at once for an action, or undefined when the outcome depends on the
 * server (resolve with its note, reopen's target state, delete) and the UI waits for the answer.
 */
export function optimisticPatch(action: WorkflowAction, me: string, nowIso: string, assignee?: string): Partial<QuaycastEvent> | undefined {
  switch (action) {
    case 'acknowledge':
      return { status: 'Acknowledged', acknowledgedAt: nowIso, acknowledgedBy: me };
    case 'start':
      return { status: 'InProgress' };
    case 'close':
      return { status: 'Closed' };
    case 'assign':
      return assignee ? { assignedTo: assignee } : undefined;
    default:
      return undefined;
  }
}
