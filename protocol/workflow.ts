/**
 * The event workflow (PATCH /api/events/:id): which action is allowed from which status and
 * what it changes. Pure and shared: the Worker applies `transition` through the event's room;
 * the dashboard offers the actions the table allows and shows a change before the answer.
 *
 *   New ──acknowledge──▶ Acknowledged
 *   New, Acknowledged ──start──▶ InProgress
 *   New, Acknowledged, InProgress ──resolve (resolution)──▶ Resolved
 *   Resolved ──close──▶ Closed
 *   Resolved, Closed ──reopen──▶ Acknowledged   (someone has already triaged it: it is not New again)
 *   assign: any status but Closed; the status stays
 *   markRead / markUnread: any status; per-user read state only (no seq, not pushed)
 */
import type { Status } from './enums.ts';
import type { NewEvent, QuaycastEvent } from './event.ts';

/** Actions that change the event (and so its seq), through `transition`. */
export const TRANSITION_ACTIONS = ['acknowledge', 'assign', 'start', 'resolve', 'close', 'reopen'] as const;
export type TransitionAction = (typeof TRANSITION_ACTIONS)[number];
/** The per-user read state: no new seq, not pushed, allowed in every status. */
export const READ_STATE_ACTIONS = ['markRead', 'markUnread'] as const;
export type ReadStateAction = (typeof READ_STATE_ACTIONS)[number];
/** Every action of `PATCH /api/events/:id` (its `action` field). */
export const WORKFLOW_ACTIONS = [...TRANSITION_ACTIONS, ...READ_STATE_ACTIONS] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

/** The statuses each transition is allowed from. */
export const TRANSITION_FROM: Readonly<Record<TransitionAction, readonly Status[]>> = {
  acknowledge: ['New'],
  start: ['New', 'Acknowledged'],
  resolve: ['New', 'Acknowledged', 'InProgress'],
  close: ['Resolved'],
  reopen: ['Resolved', 'Closed'],
  assign: ['New', 'Acknowledged', 'InProgress', 'Resolved'],
};

/** Every action allowed from a status, in WORKFLOW_ACTIONS order (the 409's `details.allowed`). */
export function allowedActions(status: Status): WorkflowAction[] {
  return WORKFLOW_ACTIONS.filter((a) => !isTransitionAction(a) || TRANSITION_FROM[a].includes(status));
}

/** True for an action that changes the event; false for the read-state ones. */
export function isTransitionAction(action: WorkflowAction): action is TransitionAction {
  return action !== 'markRead' && action !== 'markUnread';
}

/** Who acts: the JWT's `sub`, and its `name` when it has one (shown in the event's `...By` fields). */
export type Actor = { sub: string; name?: string };

export type ActionInput = { action: TransitionAction; assignee?: string | null; resolution?: string };

export type Transition =
  | { ok: true; next: NewEvent; fromStatus: Status; toStatus: Status }
  | { ok: false; reason: 'illegal'; allowed: WorkflowAction[] }
  | { ok: false; reason: 'invalid'; path: string; message: string };

/** The event after `input` by `actor` at `now`, or why it cannot happen. */
export function transition(event: QuaycastEvent | NewEvent, input: ActionInput, actor: Actor, now: number): Transition {
  const from = event.status;
  if (!TRANSITION_FROM[input.action].includes(from))
    return { ok: false, reason: 'illegal', allowed: allowedActions(from) };
  const at = new Date(now).toISOString();
  const by = actor.name ?? actor.sub;
  const { seq: _seq, ...current } = event as QuaycastEvent;
  const next: NewEvent = { ...current, updatedAt: at };
  const acknowledge = () => {
    if (!next.acknowledgedAt) {
      next.acknowledgedAt = at;
      next.acknowledgedBy = by;
    }
  };
  switch (input.action) {
    case 'acknowledge':
      acknowledge();
      next.status = 'Acknowledged';
      break;
    case 'start':
      acknowledge(); // starting work on it is acknowledging it
      next.status = 'InProgress';
      break;
    case 'resolve':
      if (!input.resolution?.trim())
        return { ok: false, reason: 'invalid', path: 'resolution', message: 'is required to resolve' };
      acknowledge();
      next.status = 'Resolved';
      next.isResolved = true;
      next.resolution = input.resolution.trim();
      next.resolvedAt = at;
      next.resolvedBy = by;
      break;
    case 'close':
      next.status = 'Closed';
      next.isResolved = true;
      break;
    case 'reopen':
      next.status = 'Acknowledged';
      next.isResolved = false;
      next.resolvedAt = null;
      next.resolvedBy = null;
      next.resolution = null; // the old resolution stays in the event's history
      break;
    case 'assign':
      if (input.assignee === undefined)
        return { ok: false, reason: 'invalid', path: 'assignee', message: 'is required to assign (null unassigns)' };
      next.assignedTo = input.assignee === null || input.assignee.trim() === '' ? null : input.assignee.trim();
      break;
  }
  return { ok: true, next, fromStatus: from, toStatus: next.status };
}
