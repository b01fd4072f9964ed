/**
 * Scoped tokens (contract 1, `categories`): a token scoped to Container makes the hostile request
 * on every path — list, search, export, get, history, stats, rooms (WebSocket, SSE, long-poll),
 * writes and workflow changes — and is refused (403 for asking, 404 where existence would leak)
 * while the same request inside its scope still works, and a token without the claim sees all.
 */
import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Category } from '../../protocol/enums.ts';
import type { Role } from '../../protocol/roles.ts';
import { BASE, token, uid, word, type ApiErrorBody } from './helpers.ts';

const CUSTOMS: Category[] = ['Container'];

async function as(
  role: Role,
  categories: Category[] | undefined,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${await token(role, uid(`scope-${role}`), categories ? { categories } : {})}`);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

const customs = (path: string, init?: RequestInit, role: Role = 'admin') => as(role, CUSTOMS, path, init);
const everyone = (path: string, init?: RequestInit, role: Role = 'admin') => as(role, undefined, path, init);

type Listed = { data: { id: string; category: string }[] };

/** One Container and one Ship event sharing a search word. */
let w: string;
let box: string;
let ship: string;

beforeAll(async () => {
  w = word('scope');
  box = uid('box');
  ship = uid('ship');
  const res = await everyone(
    '/api/events',
    {
      method: 'POST',
      body: JSON.stringify([
        { id: box, eventType: 'GateIn', title: `container ${w}`, category: 'Container', containerId: 'MSCU1234567' },
        { id: ship, eventType: 'Arrival', title: `ship ${w}`, category: 'Ship', shipId: 'IMO9321483' },
      ]),
    },
    'producer',
  );
  expect(res.status).toBe(201);
});

describe('security > scoped tokens', () => {
  it('list: a category filter outside the scope is 403; no filter lists only the scope; inside the scope works', async () => {
    const refused = await customs('/api/events?category=Ship', undefined, 'viewer');
    expect(refused.status).toBe(403);
    const body = (await refused.json()) as ApiErrorBody;
    expect(body.error.code).toBe('forbidden');
    expect(body.error.details).toEqual({ scope: ['Container'] });
    const all = (await (await customs('/api/events?limit=500', undefined, 'viewer')).json()) as Listed;
    expect(all.data.length).toBeGreaterThan(0);
    expect(new Set(all.data.map((e) => e.category))).toEqual(new Set(['Container']));
    const inScope = (await (
      await customs('/api/events?category=Container&limit=500', undefined, 'viewer')
    ).json()) as Listed;
    expect(inScope.data.map((e) => e.id)).toContain(box);
    const wide = (await (await everyone('/api/events?limit=500', undefined, 'viewer')).json()) as Listed;
    expect(wide.data.map((e) => e.id)).toEqual(expect.arrayContaining([box, ship]));
  });

  it('search: q finds only events inside the scope', async () => {
    const found = (await (await customs(`/api/events?q=${w}`, undefined, 'viewer')).json()) as Listed;
    expect(found.data.map((e) => e.id)).toEqual([box]);
    const wide = (await (await everyone(`/api/events?q=${w}`, undefined, 'viewer')).json()) as Listed;
    expect(wide.data.map((e) => e.id).sort()).toEqual([box, ship].sort());
  });

  it('export: a filter outside the scope is 403; the unfiltered export holds only the scope', async () => {
    expect((await customs('/api/events/export.csv?category=Ship', undefined, 'viewer')).status).toBe(403);
    const csv = await (await customs(`/api/events/export.csv?q=${w}`, undefined, 'viewer')).text();
    expect(csv).toContain(box);
    expect(csv).not.toContain(ship);
    const rows = csv.trim().split('\r\n').slice(1);
    expect(rows).toHaveLength(1);
    const wide = await (await everyone(`/api/events/export.csv?q=${w}`, undefined, 'viewer')).text();
    expect(wide).toContain(ship);
  });

  it('get and history: an event outside the scope is 404 (as if it did not exist); inside, 200', async () => {
    for (const path of [`/api/events/${ship}`, `/api/events/${ship}/history`]) {
      const res = await customs(path, undefined, 'viewer');
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as ApiErrorBody).error.message).toBe(`no event ${ship}`);
    }
    expect((await customs(`/api/events/${box}`, undefined, 'viewer')).status).toBe(200);
    expect((await customs(`/api/events/${box}/history`, undefined, 'viewer')).status).toBe(200);
    expect((await everyone(`/api/events/${ship}`, undefined, 'viewer')).status).toBe(200);
  });

  it('workflow changes: PATCH and DELETE of an event outside the scope are 404 and change nothing; inside, they work', async () => {
    for (const action of ['acknowledge', 'markRead']) {
      expect(
        (await customs(`/api/events/${ship}`, { method: 'PATCH', body: JSON.stringify({ action }) })).status,
        action,
      ).toBe(404);
    }
    expect((await customs(`/api/events/${ship}`, { method: 'DELETE' })).status).toBe(404);
    const after = (await (await everyone(`/api/events/${ship}`, undefined, 'viewer')).json()) as { status: string };
    expect(after.status).toBe('New');
    const history = (await (await everyone(`/api/events/${ship}/history`, undefined, 'viewer')).json()) as {
      data: unknown[];
    };
    expect(history.data).toHaveLength(0);
    const ack = await customs(`/api/events/${box}`, {
      method: 'PATCH',
      body: JSON.stringify({ action: 'acknowledge' }),
    });
    expect(ack.status).toBe(200);
    expect(((await ack.json()) as { status: string }).status).toBe('Acknowledged');
  });

  it('writes: posting an event outside the scope is 403 naming it, and stores nothing of the batch', async () => {
    const inside = uid('in');
    const outside = uid('out');
    const res = await customs(
      '/api/events',
      {
        method: 'POST',
        body: JSON.stringify([
          { id: inside, eventType: 'GateIn', title: 'in', category: 'Container' },
          { id: outside, eventType: 'Arrival', title: 'out', category: 'Ship' },
        ]),
      },
      'producer',
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as ApiErrorBody).error.details).toEqual([
      { path: '1.category', message: "Ship is outside this token's scope (Container)" },
    ]);
    expect((await everyone(`/api/events/${inside}`, undefined, 'viewer')).status).toBe(404);
    expect(
      (
        await customs(
          '/api/events',
          {
            method: 'POST',
            body: JSON.stringify({ id: inside, eventType: 'GateIn', title: 'in', category: 'Container' }),
          },
          'producer',
        )
      ).status,
    ).toBe(201);
  });

  it('writes: a duplicate of an id stored in another category tells a scoped token no seq', async () => {
    const res = await customs(
      '/api/events',
      {
        method: 'POST',
        body: JSON.stringify({ id: ship, eventType: 'GateIn', title: 'probe', category: 'Container' }),
      },
      'producer',
    );
    expect(res.status).toBe(201);
    expect(((await res.json()) as { data: { seq: number; status: string }[] }).data[0]).toEqual({
      id: ship,
      seq: 0,
      status: 'duplicate',
    });
  });

  it('stats: counts only the scope (other categories count 0, their rooms are absent); a token without the claim sees all', async () => {
    type Stats = {
      total: number;
      byCategory: Record<string, number>;
      rooms: Record<string, unknown>;
      today: number;
      perMinute: number[];
    };
    const scoped = (await (await customs('/api/stats', undefined, 'viewer')).json()) as Stats;
    const wide = (await (await everyone('/api/stats', undefined, 'viewer')).json()) as Stats;
    expect(Object.keys(scoped.rooms)).toEqual(['Container']);
    expect(Object.keys(wide.rooms).sort()).toEqual(['Berth', 'Container', 'Port', 'Ship', 'System']);
    expect(scoped.byCategory).toMatchObject({ Ship: 0, Berth: 0, Port: 0, System: 0 });
    expect(wide.byCategory.Ship).toBeGreaterThan(0);
    expect(scoped.total).toBe(wide.byCategory.Container);
    expect(scoped.byCategory.Container).toBe(wide.byCategory.Container);
    expect(scoped.today).toBeLessThan(wide.today);
    expect(scoped.perMinute.reduce((a, b) => a + b, 0)).toBeLessThan(wide.perMinute.reduce((a, b) => a + b, 0));
  });

  it('rooms: the WebSocket, SSE and long-poll of a room outside the scope are 403 at the door; inside, they open', async () => {
    const ws = await customs('/api/rooms/Ship/ws', { headers: { upgrade: 'websocket' } }, 'viewer');
    expect(ws.status).toBe(403);
    expect(ws.webSocket).toBeNull();
    expect((await customs('/api/rooms/Ship/sse', undefined, 'viewer')).status).toBe(403);
    expect((await customs('/api/events?category=Ship&after=0&wait=1', undefined, 'viewer')).status).toBe(403);
    expect((await customs('/api/rooms/ship/drain', { method: 'POST' })).status).toBe(403); // any spelling of the room
    const open = await customs('/api/rooms/Container/ws', { headers: { upgrade: 'websocket' } }, 'viewer');
    expect(open.status).toBe(101);
    open.webSocket!.accept();
    open.webSocket!.close(1000);
    const sse = await customs('/api/rooms/Container/sse', undefined, 'viewer');
    expect(sse.status).toBe(200);
    await sse.body?.cancel();
    const poll = await customs('/api/events?category=Container&after=0', undefined, 'viewer');
    expect(poll.status).toBe(200);
    expect(((await poll.json()) as Listed).data.map((e) => e.id)).toContain(box);
  });

  it('a token scoped to several categories sees exactly those', async () => {
    const both = (await (await as('viewer', ['Ship', 'Container'], `/api/events?q=${w}`)).json()) as Listed;
    expect(both.data.map((e) => e.id).sort()).toEqual([box, ship].sort());
    const port = (await (await as('viewer', ['Port'], `/api/events?q=${w}`)).json()) as Listed;
    expect(port.data).toEqual([]);
  });
});
