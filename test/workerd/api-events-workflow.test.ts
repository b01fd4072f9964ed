import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, apiAs, connect, postEvents, uid, type ApiErrorBody } from './helpers.ts';

type Ev = Record<string, unknown> & { id: string; seq: number; status: string };
const patch = (id: string, body: unknown, role: 'operator' | 'viewer' | 'admin' = 'operator') =>
  api(`/api/events/${id}`, { method: 'PATCH', role, body: JSON.stringify(body) });

async function created(extra: Record<string, unknown> = {}): Promise<{ id: string; seq: number }> {
  const id = uid('wf');
  const { json } = await postEvents({
    id,
    eventType: 'Crane',
    title: 'Crane stopped',
    berthId: 'B9',
    severity: 'High',
    ...extra,
  });
  return { id, seq: json.data[0]!.seq };
}

describe('api > GET /api/events/:id', () => {
  it('answers 404 in the error shape for an unknown id', async () => {
    const res = await api(`/api/events/${uid('missing')}`, { role: 'viewer' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ApiErrorBody).error.code).toBe('not_found');
    expect((await api(`/api/events/${uid('missing')}/history`, { role: 'viewer' })).status).toBe(404);
  });
});

describe('api > PATCH /api/events/:id', () => {
  it('walks New → Acknowledged → InProgress → Resolved → Closed → reopened, recording who and when, with a new seq each time', async () => {
    const { id, seq } = await created();
    const ack = await patch(id, { action: 'acknowledge', note: 'on it' });
    expect(ack.status).toBe(200);
    const a = (await ack.json()) as Ev;
    expect(a).toMatchObject({
      status: 'Acknowledged',
      acknowledgedBy: 'Test operator',
      acknowledgedAt: expect.any(String),
    });
    expect(a.seq).toBeGreaterThan(seq);

    const start = (await (await patch(id, { action: 'start' })).json()) as Ev;
    expect(start.status).toBe('InProgress');
    expect(start.seq).toBeGreaterThan(a.seq);

    const assign = (await (await patch(id, { action: 'assign', assignee: 'crew-7' })).json()) as Ev;
    expect(assign).toMatchObject({ status: 'InProgress', assignedTo: 'crew-7' });

    const noResolution = await patch(id, { action: 'resolve' });
    expect(noResolution.status).toBe(400);
    expect(JSON.stringify(await noResolution.json())).toContain('resolution');

    const resolved = (await (await patch(id, { action: 'resolve', resolution: 'crane restarted' })).json()) as Ev;
    expect(resolved).toMatchObject({
      status: 'Resolved',
      isResolved: true,
      resolution: 'crane restarted',
      resolvedBy: 'Test operator',
      resolvedAt: expect.any(String),
    });
    const closed = (await (await patch(id, { action: 'close' })).json()) as Ev;
    expect(closed.status).toBe('Closed');
    const reopened = (await (await patch(id, { action: 'reopen' })).json()) as Ev;
    expect(reopened).toMatchObject({ status: 'Acknowledged', isResolved: false, resolution: null });
    expect(Date.parse(reopened.updatedAt as string)).toBeGreaterThanOrEqual(Date.parse(a.updatedAt as string));

    const history = (await (await api(`/api/events/${id}/history`, { role: 'viewer' })).json()) as {
      data: { action: string; actor: string; fromStatus: string; toStatus: string; note: string | null; seq: number }[];
    };
    expect(history.data.map((h) => h.action)).toEqual(['acknowledge', 'start', 'assign', 'resolve', 'close', 'reopen']);
    expect(history.data[0]).toMatchObject({
      actor: 'operator-user',
      fromStatus: 'New',
      toStatus: 'Acknowledged',
      note: 'on it',
    });
    expect(history.data[2]!.note).toContain('crew-7');
    expect(history.data.at(-1)!.seq).toBe(reopened.seq);
  });

  it('answers 409 with the allowed actions for an illegal transition', async () => {
    const { id } = await created();
    const res = await patch(id, { action: 'close' });
    expect(res.status).toBe(409);
    const body = (await res.json()) as ApiErrorBody;
    expect(body.error.code).toBe('illegal_transition');
    expect(body.error.details).toEqual({
      status: 'New',
      allowed: ['acknowledge', 'assign', 'start', 'resolve', 'markRead', 'markUnread'],
    });
    await patch(id, { action: 'resolve', resolution: 'r' });
    await patch(id, { action: 'close' });
    const assignClosed = await patch(id, { action: 'assign', assignee: 'x' });
    expect(assignClosed.status).toBe(409);
    expect(((await assignClosed.json()) as ApiErrorBody).error.details).toEqual({
      status: 'Closed',
      allowed: ['reopen', 'markRead', 'markUnread'],
    });
  });

  it('pushes the changed event to its room with the new seq', async () => {
    const { id } = await created();
    const client = await connect('Berth');
    await client.waitFor((m) => m.type === 'hello');
    const ack = (await (await patch(id, { action: 'acknowledge' })).json()) as Ev;
    const frame = await client.waitFor((m) => m.type === 'events' && m.events.some((e) => e.id === id));
    expect(frame.type === 'events' && frame.events.find((e) => e.id === id)).toMatchObject({
      id,
      seq: ack.seq,
      status: 'Acknowledged',
    });
    client.ws.close();
  });

  it('marks read and unread per user without a new seq', async () => {
    const { id, seq } = await created();
    const sub = uid('op');
    const read = await apiAs('operator', sub, `/api/events/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ action: 'markRead' }),
    });
    expect(await read.json()).toMatchObject({ id, seq, read: true });
    expect(await (await apiAs('viewer', sub, `/api/events/${id}`)).json()).toMatchObject({ read: true, seq });
    expect(await (await apiAs('viewer', uid('else'), `/api/events/${id}`)).json()).toMatchObject({ read: false });
    const unread = await apiAs('operator', sub, `/api/events/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ action: 'markUnread' }),
    });
    expect(await unread.json()).toMatchObject({ read: false, seq });
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM read_state WHERE event_id = ?')
      .bind(id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it('validates the body and needs the operator role', async () => {
    const { id } = await created();
    const bad = await patch(id, { action: 'explode', assignee: 5 });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { error: { details: { path: string }[] } }).error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['action', 'assignee']));
    expect((await patch(id, { action: 'assign' })).status).toBe(400);
    expect((await patch(id, { action: 'acknowledge' }, 'viewer')).status).toBe(403);
    expect((await patch(uid('nope'), { action: 'acknowledge' })).status).toBe(404);
    expect(
      (await api(`/api/events/${id}`, { method: 'PATCH', body: JSON.stringify({ action: 'acknowledge' }) })).status,
    ).toBe(401);
  });
});

describe('api > DELETE /api/events/:id', () => {
  it('deletes (204), leaves a tombstone in the room, hides the event, keeps its history', async () => {
    const { id } = await created();
    const client = await connect('Berth');
    await client.waitFor((m) => m.type === 'hello');
    expect((await api(`/api/events/${id}`, { method: 'DELETE', role: 'operator' })).status).toBe(403);
    const res = await api(`/api/events/${id}`, { method: 'DELETE', role: 'admin' });
    expect(res.status).toBe(204);
    const frame = await client.waitFor((m) => m.type === 'events' && m.events.some((e) => e.id === id));
    expect(frame.type === 'events' && frame.events.find((e) => e.id === id)).toMatchObject({
      id,
      deleted: true,
      seq: expect.any(Number),
    });
    expect((await api(`/api/events/${id}`, { role: 'viewer' })).status).toBe(404);
    expect((await api(`/api/events/${id}`, { method: 'DELETE', role: 'admin' })).status).toBe(404);
    expect((await patch(id, { action: 'acknowledge' })).status).toBe(404);
    const history = (await (await api(`/api/events/${id}/history`, { role: 'viewer' })).json()) as {
      data: { action: string }[];
    };
    expect(history.data.map((h) => h.action)).toEqual(['delete']);
    client.ws.close();
  });
});
