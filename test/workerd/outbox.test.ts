import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, ingest, postEvents, record, uid } from './helpers.ts';

type Pending = { id: string; topic: string; createdAt: number; event: Record<string, unknown> };

const internal = (path: string, init: RequestInit = {}, tokenValue: string | null = env.INGEST_TOKEN) =>
  SELF.fetch(`${BASE}${path}`, {
    ...init,
    headers: { ...(tokenValue ? { authorization: `Bearer ${tokenValue}` } : {}), 'content-type': 'application/json' },
  });

async function pending(limit = 500): Promise<Pending[]> {
  const res = await internal(`/internal/outbox?limit=${limit}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Pending[] }).data;
}

const ack = (ids: unknown) => internal('/internal/outbox/ack', { method: 'POST', body: JSON.stringify({ ids }) });

describe('internal > outbox', () => {
  it('lists API-made events pending publication, oldest first, with the stored event and its topic', async () => {
    const [a, b] = [uid('obx'), uid('obx')];
    await postEvents({ id: a, eventType: 'GateIn', title: 'In', containerId: 'MSCU1' });
    await postEvents({ id: b, eventType: 'Berthed', title: 'Berthed', shipId: 'IMO1' });
    const mine = (await pending()).filter((p) => p.id === a || p.id === b);
    expect(mine.map((p) => [p.id, p.topic])).toEqual([
      [a, 'container-events'],
      [b, 'port-events'],
    ]);
    expect(mine[0]!.event).toMatchObject({
      id: a,
      category: 'Container',
      origin: { kind: 'api' },
      seq: expect.any(Number),
    });
  });

  it('does not list events that came from Kafka', async () => {
    const id = uid('kafka');
    expect((await ingest([record('container-events', 1, { id, eventType: 'X', title: 'from Kafka' })])).status).toBe(
      200,
    );
    expect((await pending()).some((p) => p.id === id)).toBe(false);
  });

  it('acknowledges once: acked rows leave the list and a second ack changes nothing', async () => {
    const id = uid('ack');
    await postEvents({ id, eventType: 'GateIn', title: 'In', containerId: 'MSCU2' });
    expect((await pending()).some((p) => p.id === id)).toBe(true);
    const first = await ack([id, 'no-such-id']);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ acked: 1 });
    expect((await pending()).some((p) => p.id === id)).toBe(false);
    expect(await (await ack([id])).json()).toEqual({ acked: 0 });
    const row = await env.DB.prepare('SELECT published_at AS p FROM outbox WHERE event_id = ?')
      .bind(id)
      .first<{ p: number }>();
    expect(row!.p).toBeGreaterThan(0);
  });

  it('bounds the page by limit', async () => {
    await postEvents([0, 1, 2].map((i) => ({ id: uid(`lim${i}`), eventType: 'X', title: 'x' })));
    expect((await pending(2)).length).toBe(2);
  });

  it.each([
    ['no token', null, 401],
    ['a person-style wrong token', 'not-the-token', 401],
  ])('refuses %s', async (_label, tokenValue, status) => {
    expect((await internal('/internal/outbox', {}, tokenValue)).status).toBe(status);
    expect(
      (await internal('/internal/outbox/ack', { method: 'POST', body: JSON.stringify({ ids: ['x'] }) }, tokenValue))
        .status,
    ).toBe(status);
  });

  it.each([
    ['limit 0', () => internal('/internal/outbox?limit=0')],
    ['limit above 500', () => internal('/internal/outbox?limit=501')],
    ['an empty ack', () => ack([])],
    ['an ack without ids', () => internal('/internal/outbox/ack', { method: 'POST', body: '{}' })],
  ])('answers 400 for %s', async (_label, call) => {
    const res = await call();
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });
});
