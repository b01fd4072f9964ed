import { describe, expect, it } from 'vitest';
import { sampleNewEvent } from './fixtures.ts';
import { allowedActions, transition } from './workflow.ts';

const base = sampleNewEvent({ id: 'e1', status: 'New' });
const actor = { sub: 'u1', name: 'Ada' };
const now = Date.UTC(2026, 0, 2);

describe('protocol > workflow', () => {
  it('acknowledges a New event and records who and when', () => {
    const t = transition(base, { action: 'acknowledge' }, actor, now);
    expect(t).toMatchObject({ ok: true, fromStatus: 'New', toStatus: 'Acknowledged' });
    if (t.ok)
      expect(t.next).toMatchObject({
        acknowledgedBy: 'Ada',
        acknowledgedAt: '2026-01-02T00:00:00.000Z',
        updatedAt: '2026-01-02T00:00:00.000Z',
      });
  });

  it('requires a resolution to resolve and sets resolvedAt/By', () => {
    expect(transition(base, { action: 'resolve' }, actor, now)).toMatchObject({
      ok: false,
      reason: 'invalid',
      path: 'resolution',
    });
    const t = transition(base, { action: 'resolve', resolution: 'fixed' }, { sub: 'u2' }, now);
    expect(t.ok && t.next).toMatchObject({
      status: 'Resolved',
      isResolved: true,
      resolution: 'fixed',
      resolvedBy: 'u2',
      acknowledgedBy: 'u2',
    });
  });

  it('refuses illegal transitions with the allowed actions', () => {
    expect(transition(base, { action: 'close' }, actor, now)).toEqual({
      ok: false,
      reason: 'illegal',
      allowed: allowedActions('New'),
    });
    expect(allowedActions('Closed')).toEqual(['reopen', 'markRead', 'markUnread']);
    expect(allowedActions('InProgress')).toEqual(['assign', 'resolve', 'markRead', 'markUnread']);
    expect(transition({ ...base, status: 'Closed' }, { action: 'assign', assignee: 'x' }, actor, now)).toMatchObject({
      ok: false,
      reason: 'illegal',
    });
  });

  it('reopens to Acknowledged and clears the resolution', () => {
    const t = transition(
      { ...base, status: 'Closed', isResolved: true, resolution: 'r', resolvedAt: 'x', resolvedBy: 'y' },
      { action: 'reopen' },
      actor,
      now,
    );
    expect(t.ok && t.next).toMatchObject({
      status: 'Acknowledged',
      isResolved: false,
      resolution: null,
      resolvedAt: null,
      resolvedBy: null,
    });
  });

  it('assigns without changing the status, null unassigns', () => {
    const t = transition(base, { action: 'assign', assignee: 'bob' }, actor, now);
    expect(t.ok && t.next).toMatchObject({ status: 'New', assignedTo: 'bob' });
    const u = transition({ ...base, assignedTo: 'bob' }, { action: 'assign', assignee: null }, actor, now);
    expect(u.ok && u.next.assignedTo).toBeNull();
    expect(transition(base, { action: 'assign' }, actor, now)).toMatchObject({ ok: false, path: 'assignee' });
  });
});
