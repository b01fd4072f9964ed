import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { failEventWrites } from './d1-fault.ts';
import { api, connect, postEvents, token, uid, waitForIds, word, type ApiErrorBody } from './helpers.ts';

type Details = { path: string; message: string }[];
const detailsOf = (body: unknown) => ((body as ApiErrorBody).error.details ?? []) as Details;

describe('api > POST /api/events', () => {
  it('stores one event (201, seq) with an outbox row for Kafka and returns it from GET', async () => {
    const id = uid('post');
    const { res, json } = await postEvents({
      id,
      eventType: 'GateIn',
      title: 'Gate in',
      containerId: 'MSCU1',
      severity: 'High',
    });
    expect(res.status).toBe(201);
    expect(json.data).toEqual([{ id, seq: expect.any(Number), status: 'stored' }]);
    const outbox = await env.DB.prepare('SELECT topic FROM outbox WHERE event_id = ?')
      .bind(id)
      .first<{ topic: string }>();
    expect(outbox?.topic).toBe('container-events');
    const got = (await (await api(`/api/events/${id}`, { role: 'viewer' })).json()) as Record<string, unknown>;
    expect(got).toMatchObject({
      id,
      seq: json.data[0]!.seq,
      category: 'Container',
      severity: 'High',
      priority: 'High',
      status: 'New',
      origin: { kind: 'api' },
      read: false,
    });
  });

  it('takes an array, gives ids to events without one, and keeps input order', async () => {
    const a = uid('arr');
    const { res, json } = await postEvents([
      { id: a, eventType: 'Arrival', title: 'Ship in', shipId: 7 },
      { eventType: 'Weather', title: 'Wind' },
    ]);
    expect(res.status).toBe(201);
    expect(json.data[0]).toMatchObject({ id: a, status: 'stored' });
    expect(json.data[1]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.data[1]!.status).toBe('stored');
  });

  it('is idempotent: a re-post answers duplicate with the existing seq and stores nothing twice', async () => {
    const id = uid('dup');
    const first = await postEvents({ id, eventType: 'X', title: 'once' });
    const again = await postEvents([
      { id, eventType: 'X', title: 'twice' },
      { id, eventType: 'X', title: 'thrice' },
    ]);
    expect(again.res.status).toBe(201);
    expect(again.json.data).toEqual([
      { id, seq: first.json.data[0]!.seq, status: 'duplicate' },
      { id, seq: first.json.data[0]!.seq, status: 'duplicate' },
    ]);
    const row = await env.DB.prepare('SELECT COUNT(*) AS n, MAX(title) AS title FROM events WHERE id = ?')
      .bind(id)
      .first<{ n: number; title: string }>();
    expect(row).toEqual({ n: 1, title: 'once' });
  });

  it('accepts legacy payloads (any case, numeric ids, priority only, unknown properties)', async () => {
    const { res, json } = await postEvents({
      EventId: 4711 + Math.floor(Math.random() * 1e9),
      EventType: 'Legacy',
      Title: 'old producer',
      Priority: 'critical',
      BerthId: 3,
      Foo: 'bar',
    });
    expect(res.status).toBe(201);
    const got = (await (await api(`/api/events/${json.data[0]!.id}`, { role: 'viewer' })).json()) as Record<
      string,
      unknown
    >;
    expect(got).toMatchObject({
      category: 'Berth',
      severity: 'Critical',
      berthId: '3',
      metadata: { extra: { Foo: 'bar' } },
    });
  });

  it('names every bad field with its path and reason', async () => {
    const { res, json } = await postEvents({
      title: '',
      severity: 'Huge',
      priority: 'Tiny',
      status: 'Done',
      category: 'Planet',
      eventTime: 'yesterday',
      coordinates: { lat: 91, lon: -181 },
      containerId: '',
      eventData: { big: 'x'.repeat(17 * 1024) },
      description: 'd'.repeat(4001),
      requiresAction: 'yes',
    });
    expect(res.status).toBe(400);
    expect((json as unknown as ApiErrorBody).error.code).toBe('invalid_request');
    const paths = detailsOf(json).map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'eventType',
        'title',
        'severity',
        'priority',
        'status',
        'category',
        'eventTime',
        'coordinates.lat',
        'coordinates.lon',
        'containerId',
        'eventData',
        'description',
        'requiresAction',
      ]),
    );
    for (const d of detailsOf(json)) expect(d.message.length).toBeGreaterThan(0);
  });

  it('prefixes paths with the array index, and stores nothing of a batch with a bad event', async () => {
    const good = uid('good');
    const { res, json } = await postEvents([
      { id: good, eventType: 'X', title: 'ok' },
      { eventType: 'X' },
      'not an object',
      { eventType: 'X', title: 't'.repeat(201) },
    ]);
    expect(res.status).toBe(400);
    expect(detailsOf(json)).toEqual(
      expect.arrayContaining([
        { path: '1.title', message: expect.any(String) },
        { path: '2', message: 'must be a JSON object' },
        { path: '3.title', message: expect.any(String) },
      ]),
    );
    expect((await api(`/api/events/${good}`, { role: 'viewer' })).status).toBe(404);
  });

  it('refuses an empty array, more than 500 events, a body that is not JSON, and a non-JSON content type', async () => {
    expect((await postEvents([])).res.status).toBe(400);
    const many = Array.from({ length: 501 }, () => ({ eventType: 'X', title: 'x' }));
    const tooMany = await postEvents(many);
    expect(tooMany.res.status).toBe(400);
    expect(detailsOf(tooMany.json)[0]).toMatchObject({ path: '(root)', message: expect.stringContaining('500') });
    const bad = await api('/api/events', { method: 'POST', role: 'producer', body: '{"title":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ApiErrorBody).error.code).toBe('invalid_request');
    const text = await api('/api/events', {
      method: 'POST',
      role: 'producer',
      body: 'title=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
  });

  it('takes 500 events in one post', async () => {
    const tag = word('bulk');
    const { res, json } = await postEvents(
      Array.from({ length: 500 }, (_, i) => ({
        id: `${tag}-${i}`,
        eventType: 'Bulk',
        title: `bulk ${tag} ${i}`,
        portId: 'P1',
      })),
    );
    expect(res.status).toBe(201);
    expect(json.data).toHaveLength(500);
    expect(new Set(json.data.map((d) => d.seq)).size).toBe(500);
  });

  it('answers 401 without a token, with a bad signature or an expired token, and 403 for viewers', async () => {
    const body = JSON.stringify({ eventType: 'X', title: 'x' });
    const post = (authorization?: string) =>
      api('/api/events', { method: 'POST', body, headers: authorization ? { authorization } : {} });
    const none = await post();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const forged = await post(`Bearer ${await token('admin', 'mallory', { secret: 'not-the-secret' })}`);
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as ApiErrorBody).error.message).toContain('signature');
    const expired = await post(
      `Bearer ${await token('admin', 'late', { exp: Math.floor(Date.now() / 1000) - 120, iat: Math.floor(Date.now() / 1000) - 600 })}`,
    );
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as ApiErrorBody).error.message).toContain('expired');
    expect((await post('Bearer not.a.jwt')).status).toBe(401);
    const viewer = await api('/api/events', { method: 'POST', body, role: 'viewer' });
    expect(viewer.status).toBe(403);
    expect(((await viewer.json()) as ApiErrorBody).error.code).toBe('forbidden');
  });
});

describe('api > POST /api/events > hostile content and failing rooms', () => {
  it('answers 400 naming the field for content that used to be a 500, with the array index', async () => {
    const deep = JSON.parse(
      `{"eventType":"X","title":"deep","eventData":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
    ) as unknown;
    const { res, json } = await postEvents([{ eventType: 'X', title: 'fine' }, deep]);
    expect(res.status).toBe(400);
    expect(detailsOf(json)).toEqual([{ path: '1.eventData', message: 'nested deeper than 32 levels' }]);
  });

  it('answers 503 room_unavailable with Retry-After when one room cannot write; the other room stores and pushes; a re-post finds it duplicate', async () => {
    const marker = word('bertfault');
    const fault = await failEventWrites(marker);
    const port = await connect('Port');
    await port.waitFor((m) => m.type === 'hello');
    const berth = uid('berth');
    const portId = uid('port');
    const body = [
      { id: berth, eventType: marker, title: 'berth room cannot write', berthId: 'B9' },
      { id: portId, eventType: 'Weather', title: 'port room can', portId: 'NLRTM' },
    ];
    try {
      const { res, json } = await postEvents(body);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(json).toEqual({
        error: { code: 'room_unavailable', message: expect.any(String), details: { rooms: ['Berth'] } },
      });
      await waitForIds(port, [portId]);
    } finally {
      await fault.heal();
    }
    const again = await postEvents(body);
    expect(again.res.status).toBe(201);
    expect(again.json.data.map((d) => [d.id, d.status])).toEqual([
      [berth, 'stored'],
      [portId, 'duplicate'],
    ]);
    port.ws.close();
  });

  it('answers 503 room_unavailable for a workflow change the room cannot write, and the event is unchanged', async () => {
    const id = uid('patchfault');
    await postEvents({ id, eventType: 'X', title: 'to assign', category: 'System' });
    const assignee = word('assignee');
    const fault = await failEventWrites(assignee, 'assigned_to');
    try {
      const res = await api(`/api/events/${id}`, {
        method: 'PATCH',
        role: 'operator',
        body: JSON.stringify({ action: 'assign', assignee }),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as ApiErrorBody).error).toMatchObject({
        code: 'room_unavailable',
        details: { rooms: ['System'] },
      });
    } finally {
      await fault.heal();
    }
    const got = (await (await api(`/api/events/${id}`, { role: 'viewer' })).json()) as { assignedTo: string | null };
    expect(got.assignedTo).toBeNull();
  });
});
