/**
 * PATCH /api/events/:id with an `actionId` (migration 0018, docs/mobile.md): each action id is
 * applied once per user; a retry or replay repeats the first answer and changes nothing (no new
 * seq, no second history entry); a conflict is kept as the action's answer; an id reused for
 * another action is refused; another user's same id is theirs.
 */
import { describe, expect, it } from 'vitest';
import { api, postEvents, uid, type ApiErrorBody } from './helpers.ts';

type Ev = { id: string; seq: number; status: string };
const patch = (id: string, body: unknown, role: 'operator' | 'admin' = 'operator') =>
  api(`/api/events/${id}`, { method: 'PATCH', role, body: JSON.stringify(body) });

async function created(): Promise<string> {
  const id = uid('aid');
  await postEvents({ id, eventType: 'Crane', title: 'Crane stopped', berthId: 'B9', severity: 'High' });
  return id;
}

const historyOf = async (id: string) => {
  const r = (await (await api(`/api/events/${id}/history`, { role: 'viewer' })).json()) as unknown;
  return (Array.isArray(r) ? r : ((r as { data: unknown[] }).data ?? [])) as { action: string }[];
};

describe('api > PATCH /api/events/:id with actionId', () => {
  it('applies an action id once: the replay repeats the answer, with no new seq and no second history entry', async () => {
    const id = await created();
    const actionId = `ack-${uid('x')}`;
    const first = await patch(id, { action: 'acknowledge', actionId });
    expect(first.status).toBe(200);
    const a = (await first.json()) as Ev;
    expect(first.headers.get('quaycast-action-replay')).toBeNull();
    for (let i = 0; i < 3; i++) {
      const again = await patch(id, { action: 'acknowledge', actionId });
      expect(again.status).toBe(200);
      expect(again.headers.get('quaycast-action-replay')).toBe('true');
      expect(((await again.json()) as Ev).seq).toBe(a.seq);
    }
    expect((await historyOf(id)).filter((h) => h.action === 'acknowledge')).toHaveLength(1);
    // without an action id the same acknowledge is simply illegal now
    expect((await patch(id, { action: 'acknowledge' })).status).toBe(409);
  });

  it('keeps a conflict as the answer of its action id, and refuses an id reused for another action', async () => {
    const id = await created();
    expect((await patch(id, { action: 'resolve', resolution: 'by someone else' }, 'admin')).status).toBe(200);
    const actionId = `ack-${uid('y')}`;
    const conflict = await patch(id, { action: 'acknowledge', actionId });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as ApiErrorBody).error.code).toBe('illegal_transition');
    const replay = await patch(id, { action: 'acknowledge', actionId });
    expect(replay.status).toBe(409);
    expect(replay.headers.get('quaycast-action-replay')).toBe('true');
    const reused = await patch(id, { action: 'close', actionId });
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as ApiErrorBody).error.code).toBe('action_id_reused');
  });

  it('frees the id when nothing was applied (an invalid body), so a corrected retry applies', async () => {
    const id = await created();
    const actionId = `res-${uid('z')}`;
    expect((await patch(id, { action: 'resolve', actionId })).status).toBe(400);
    const ok = await patch(id, { action: 'resolve', resolution: 'fixed', actionId });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Ev).status).toBe('Resolved');
  });

  it('refuses a malformed action id', async () => {
    const id = await created();
    expect((await patch(id, { action: 'acknowledge', actionId: 'x' })).status).toBe(400);
    expect((await patch(id, { action: 'acknowledge', actionId: 'a b c d e f g h' })).status).toBe(400);
  });
});
