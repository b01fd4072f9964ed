import { describe, expect, it } from 'vitest';
import { api, apiAs, postEvents, uid, word, type ApiErrorBody } from './helpers.ts';

type Listed = {
  id: string;
  seq: number;
  title: string;
  severity: string;
  status: string;
  category: string;
  read?: boolean;
  deleted?: boolean;
  receivedAt: string;
};
type Page = { data: Listed[]; nextCursor: string | null };

const list = async (query: string, role: 'viewer' | 'admin' = 'viewer'): Promise<Page> => {
  const res = await api(`/api/events?${query}`, { role });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
};

/** Posts `n` events sharing a unique word, one request each so receivedAt differs. */
async function seed(tag: string, n: number, extra: (i: number) => Record<string, unknown> = () => ({})) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${tag}-${i}`;
    ids.push(id);
    const { res } = await postEvents({ id, eventType: 'Test', title: `${tag} number ${i}`, ...extra(i) });
    expect(res.status).toBe(201);
  }
  return ids;
}

describe('api > GET /api/events', () => {
  it('lists newest first and filters by text, category, severity (comma list) and status', async () => {
    const tag = word('list');
    await seed(tag, 6, (i) => ({
      severity: ['Critical', 'High', 'Low'][i % 3],
      ...(i % 2 === 0 ? { shipId: 'S1' } : { portId: 'P1' }),
      status: i === 5 ? 'Acknowledged' : 'New',
    }));
    const all = await list(`q=${tag}`);
    expect(all.data.map((e) => e.id)).toEqual([5, 4, 3, 2, 1, 0].map((i) => `${tag}-${i}`));
    expect(all.nextCursor).toBeNull();
    expect((await list(`q=${tag}&category=Ship`)).data.map((e) => e.id)).toEqual([4, 2, 0].map((i) => `${tag}-${i}`));
    expect((await list(`q=${tag}&severity=Critical,Low`)).data.map((e) => e.id)).toEqual(
      [5, 3, 2, 0].map((i) => `${tag}-${i}`),
    );
    expect((await list(`q=${tag}&status=Acknowledged`)).data.map((e) => e.id)).toEqual([`${tag}-5`]);
    // text matches word prefixes in title or description, every word
    expect((await list(`q=${encodeURIComponent(`${tag.slice(0, -2)} numb`)}`)).data).toHaveLength(6);
    expect((await list(`q=${tag}+zzznomatch`)).data).toHaveLength(0);
  });

  it('finds events by entity id and event type through q (prefix, any case)', async () => {
    const tag = word('ent').toUpperCase();
    const container = `MSCU${tag.slice(-7)}`;
    const { res } = await postEvents([
      { id: `${tag}-box`, eventType: 'GateIn', title: 'Truck gate-in', containerId: container },
      { id: `${tag}-berth`, eventType: 'BerthConflict', title: 'Two vessels planned', berthId: `EMX-${tag.slice(-4)}` },
    ]);
    expect(res.status).toBe(201);
    expect((await list(`q=${container.toLowerCase()}`)).data.map((e) => e.id)).toEqual([`${tag}-box`]);
    expect((await list(`q=${container.slice(0, -2)}`)).data.map((e) => e.id)).toEqual([`${tag}-box`]);
    expect((await list(`q=${encodeURIComponent(`EMX-${tag.slice(-4)}`)}`)).data.map((e) => e.id)).toEqual([
      `${tag}-berth`,
    ]);
    expect((await list(`q=${encodeURIComponent(`berthconflict EMX-${tag.slice(-4)}`)}`)).data.map((e) => e.id)).toEqual(
      [`${tag}-berth`],
    );
  });

  it('gives the same answer for a word matching thousands of rows (walks the newest-first order)', async () => {
    const tag = word('dense');
    for (let b = 0; b < 11; b++) {
      const { res } = await postEvents(
        Array.from({ length: 500 }, (_, i) => ({
          id: `${tag}-${b}-${i}`,
          eventType: 'Bulk',
          title: `${tag} bulk`,
          category: 'System',
          severity: i % 2 ? 'Low' : 'High',
        })),
      );
      expect(res.status).toBe(201);
    }
    const newest = `${tag}-newest`;
    await postEvents({ id: newest, eventType: 'T', title: `${tag} newest`, category: 'System', severity: 'High' });
    const page = await list(`q=${tag}&limit=50`);
    expect(page.data[0]!.id).toBe(newest);
    expect(page.data).toHaveLength(50);
    const keys = page.data.map((e) => `${e.receivedAt}|${e.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);
    const high = await list(`q=${tag}&severity=High&limit=500&cursor=${page.nextCursor}`);
    expect(high.data.every((e) => e.severity === 'High')).toBe(true);
    expect(high.data).toHaveLength(500);
  });

  it('filters by receivedAt with from and to', async () => {
    const tag = word('time');
    await seed(tag, 3);
    const all = (await list(`q=${tag}`)).data;
    const middle = all[1]!.receivedAt;
    const since = await list(`q=${tag}&from=${encodeURIComponent(middle)}`);
    expect(since.data.every((e) => e.receivedAt >= middle)).toBe(true);
    expect(since.data.map((e) => e.id)).toContain(all[1]!.id);
    const before = await list(`q=${tag}&to=${encodeURIComponent(middle)}`);
    expect(before.data.every((e) => e.receivedAt < middle)).toBe(true);
  });

  it('pages with a cursor that stays stable while new events arrive', async () => {
    const tag = word('page');
    const ids = await seed(tag, 7);
    const first = await list(`q=${tag}&limit=3`);
    expect(first.data.map((e) => e.id)).toEqual(ids.slice(4).reverse());
    expect(first.nextCursor).toEqual(expect.any(String));
    await seed(`${tag}`, 2, (i) => ({ id: `${tag}-new-${i}` })); // newer than everything listed
    const second = await list(`q=${tag}&limit=3&cursor=${first.nextCursor}`);
    expect(second.data.map((e) => e.id)).toEqual(ids.slice(1, 4).reverse());
    const third = await list(`q=${tag}&limit=3&cursor=${second.nextCursor}`);
    expect(third.data.map((e) => e.id)).toEqual([ids[0]]);
    expect(third.nextCursor).toBeNull();
  });

  it('with category and after: changes in seq order, paged by seq cursor', async () => {
    const tag = word('after');
    const first = await postEvents({ id: uid(tag), eventType: 'T', title: `${tag} a`, berthId: 'B1' });
    const start = first.json.data[0]!.seq;
    await seed(tag, 3, () => ({ berthId: 'B1' }));
    const page = await list(`category=Berth&after=${start}&q=${tag}&limit=2`);
    expect(page.data).toHaveLength(2);
    expect(page.data[0]!.seq).toBeLessThan(page.data[1]!.seq);
    expect(page.data.every((e) => e.seq > start)).toBe(true);
    const rest = await list(`category=Berth&after=${start}&q=${tag}&limit=2&cursor=${page.nextCursor}`);
    expect(rest.data.map((e) => e.id)).toEqual([`${tag}-2`]);
  });

  it('filters unread per user', async () => {
    const tag = word('unread');
    const [a, b] = await seed(tag, 2);
    const sub = uid('reader');
    const patch = await apiAs('operator', sub, `/api/events/${a}`, {
      method: 'PATCH',
      body: JSON.stringify({ action: 'markRead' }),
    });
    expect(patch.status).toBe(200);
    const mine = (await (await apiAs('viewer', sub, `/api/events?q=${tag}&unread=true`)).json()) as Page;
    expect(mine.data.map((e) => e.id)).toEqual([b]);
    const flags = (await (await apiAs('viewer', sub, `/api/events?q=${tag}`)).json()) as Page;
    expect(Object.fromEntries(flags.data.map((e) => [e.id, e.read]))).toEqual({ [a!]: true, [b!]: false });
    const other = (await (await apiAs('viewer', uid('other'), `/api/events?q=${tag}&unread=1`)).json()) as Page;
    expect(other.data).toHaveLength(2);
  });

  it('answers 400 naming each bad parameter', async () => {
    const res = await api(
      '/api/events?category=Planet&severity=Huge&status=Done&limit=501&from=nope&after=-1&unread=maybe',
      { role: 'viewer' },
    );
    expect(res.status).toBe(400);
    const paths = ((await res.json()) as ApiErrorBody & { error: { details: { path: string }[] } }).error.details.map(
      (d) => d.path,
    );
    expect(paths).toEqual(
      expect.arrayContaining(['category', 'severity', 'status', 'limit', 'from', 'after', 'unread']),
    );
    const needsCategory = await api('/api/events?after=3', { role: 'viewer' });
    expect(needsCategory.status).toBe(400);
    expect(JSON.stringify(await needsCategory.json())).toContain('requires category');
    expect((await api('/api/events?cursor=garbage', { role: 'viewer' })).status).toBe(400);
    expect((await api('/api/events?wait=5', { role: 'viewer' })).status).toBe(400);
    expect((await api('/api/events?category=Ship&after=1&wait=26', { role: 'viewer' })).status).toBe(400);
    expect((await api('/api/events?limit=0', { role: 'viewer' })).status).toBe(400);
  });

  it('needs a token', async () => {
    expect((await api('/api/events')).status).toBe(401);
  });
});

describe('api > GET /api/events long-poll', () => {
  it('returns as soon as a newer matching change is stored', async () => {
    const tag = word('poll');
    const { json } = await postEvents({ id: uid(tag), eventType: 'T', title: `${tag} start`, category: 'System' });
    const after = json.data[0]!.seq;
    const started = Date.now();
    const polled = api(`/api/events?category=System&after=${after}&q=${tag}&wait=10`, { role: 'viewer' });
    await new Promise((r) => setTimeout(r, 300));
    // A change the filter drops must not end the wait...
    await postEvents({ id: uid('other'), eventType: 'T', title: 'unrelated', category: 'System' });
    await new Promise((r) => setTimeout(r, 200));
    const id = uid(tag);
    await postEvents({ id, eventType: 'T', title: `${tag} wake`, category: 'System' });
    const res = await polled;
    const page = (await res.json()) as Page;
    expect(page.data.map((e) => e.id)).toEqual([id]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('returns an empty page when nothing newer arrives before the wait ends', async () => {
    const tag = word('idle');
    const { json } = await postEvents({ id: uid(tag), eventType: 'T', title: `${tag}`, category: 'System' });
    const started = Date.now();
    const page = await list(`category=System&after=${json.data[0]!.seq}&q=${tag}&wait=1`);
    expect(page.data).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('returns at once when something newer already exists', async () => {
    const tag = word('ready');
    const { json } = await postEvents([
      { id: uid(tag), eventType: 'T', title: tag, category: 'System' },
      { id: uid(tag), eventType: 'T', title: tag, category: 'System' },
    ]);
    const started = Date.now();
    const page = await list(`category=System&after=${json.data[0]!.seq}&q=${tag}&wait=20`);
    expect(page.data.map((e) => e.id)).toEqual([json.data[1]!.id]);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
