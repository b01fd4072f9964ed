import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { IngestResponse } from '../../protocol/ingest.ts';
import { failEventWrites } from './d1-fault.ts';
import { api, connect, ingest, record, uid, waitForIds, word } from './helpers.ts';

const container = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  eventType: 'GateIn',
  title: `Container ${id} gated in`,
  containerId: 'MSCU1234567',
  severity: 'Low',
  ...extra,
});

describe('worker > POST /internal/ingest', () => {
  it('stores each record once, answers per record, and pushes new ones to the room socket', async () => {
    const client = await connect('Container');
    const hello = await client.waitFor((m) => m.type === 'hello');
    expect(hello).toMatchObject({ type: 'hello', room: 'Container' });

    const a = uid();
    const b = uid();
    const res = await ingest([
      record('container-events', 1, container(a)),
      record('container-events', 2, container(b)),
    ]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResponse;
    expect(body.results.map((r) => r.status)).toEqual(['stored', 'stored']);
    await waitForIds(client, [a, b]);

    // Redelivery of the same records: duplicates, nothing stored or pushed twice.
    const again = (await (
      await ingest([record('container-events', 1, container(a)), record('container-events', 2, container(b))])
    ).json()) as IngestResponse;
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM events WHERE id IN (?, ?)')
      .bind(a, b)
      .first<{ n: number }>();
    expect(rows?.n).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.ids().filter((id) => id === a || id === b)).toEqual([a, b]);
    client.ws.close();
  });

  it('rejects bad records with the reason and stores the good ones of the same batch', async () => {
    const good = uid();
    const res = await ingest([
      record('port-events', 10, '{not json'),
      record('port-events', 11, { eventType: 'X' }),
      record('port-events', 12, { id: good, eventType: 'BerthAssigned', title: 'Berth 4 assigned', berthId: 4 }),
    ]);
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as IngestResponse;
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('not JSON') });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('title') });
    expect(results[2]).toMatchObject({ status: 'stored', id: good, category: 'Berth' });
  });

  it('keeps the record key, headers and timestamp as lineage in origin', async () => {
    const id = uid();
    const client = await connect('Container');
    await client.waitFor((m) => m.type === 'hello');
    const res = await ingest([
      {
        ...record('container-events', 7, container(id), 1),
        key: `key-${id}`,
        headers: { 'x-producer': 'gate-system', traceparent: '00-abc-def-01' },
        timestamp: '1795900000123',
      },
    ]);
    expect(((await res.json()) as IngestResponse).results[0]).toMatchObject({ status: 'stored', id });
    await waitForIds(client, [id]);
    const pushed = client.messages.flatMap((m) => (m.type === 'events' ? m.events : [])).find((e) => e.id === id);
    expect(pushed).toMatchObject({
      origin: {
        kind: 'kafka',
        topic: 'container-events',
        partition: 1,
        offset: '7',
        key: `key-${id}`,
        headers: { 'x-producer': 'gate-system', traceparent: '00-abc-def-01' },
        appendedAt: new Date(1795900000123).toISOString(),
      },
    });
    client.ws.close();
  });

  it('gives kafka records without an id the kafka:<topic>:<partition>:<offset> id', async () => {
    const offset = Math.floor(Math.random() * 1e9);
    const res = await ingest([record('port-events', offset, { eventType: 'Weather', title: 'Wind warning' }, 2)]);
    const { results } = (await res.json()) as IngestResponse;
    expect(results[0]).toMatchObject({ status: 'stored', id: `kafka:port-events:2:${offset}`, category: 'Port' });
  });

  it('answers 400 with the invalid fields when the batch itself is malformed, and keeps serving', async () => {
    const res = await ingest([{ topic: '', partition: -1, offset: 'abc', value: 5 }]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.details.map((d) => d.path)).toEqual(
      expect.arrayContaining(['records.0.topic', 'records.0.partition', 'records.0.offset', 'records.0.value']),
    );

    const notJson = await api('/internal/ingest', {
      method: 'POST',
      body: '{',
      headers: { authorization: `Bearer ${env.INGEST_TOKEN}` },
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_request');

    const health = await api('/healthz');
    expect(await health.json()).toMatchObject({ ok: true, db: 'ok' });
  });

  it("answers an empty batch (the bridge's probe of the ingest path) with no results, storing nothing", async () => {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM events').first<{ n: number }>();
    const res = await ingest([]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ results: [] });
    const after = await env.DB.prepare('SELECT COUNT(*) AS n FROM events').first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
    // Still the service's: without its token the probe is refused like any batch.
    expect((await api('/internal/ingest', { method: 'POST', body: '{"records":[]}' })).status).toBe(401);
  });

  it('refuses a missing or wrong service token, and people tokens', async () => {
    expect((await api('/internal/ingest', { method: 'POST', body: '{}' })).status).toBe(401);
    expect(
      (await api('/internal/ingest', { method: 'POST', body: '{}', headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
    expect((await api('/internal/ingest', { method: 'POST', body: '{}', role: 'admin' })).status).toBe(401);
  });

  it('rejects a record nested 5,000 deep (issue #11) while the valid ones behind it and on another topic are stored and pushed', async () => {
    const port = await connect('Port');
    const box = await connect('Container');
    await port.waitFor((m) => m.type === 'hello');
    await box.waitFor((m) => m.type === 'hello');
    const behind = uid('behind');
    const other = uid('other');
    const offset = Math.floor(Math.random() * 1e9);
    const deep = `{"id":"${uid('deep')}","eventType":"GateIn","title":"deep","eventData":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const res = await ingest([
      record('port-events', offset, deep),
      record('port-events', offset + 1, { id: behind, eventType: 'Weather', title: 'behind the deep one' }),
      record('container-events', offset, container(other)),
    ]);
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as IngestResponse;
    expect(results[0]).toEqual({ status: 'rejected', reason: 'eventData: nested deeper than 32 levels' });
    expect(results.slice(1).map((r) => r.status)).toEqual(['stored', 'stored']);
    await waitForIds(port, [behind]);
    await waitForIds(box, [other]);
    port.ws.close();
    box.ws.close();
  });

  it('answers 503 room_unavailable naming the room whose D1 write fails, while the other rooms store and push theirs; the retry finds them duplicate', async () => {
    const marker = word('shipfault');
    const fault = await failEventWrites(marker);
    const box = await connect('Container');
    await box.waitFor((m) => m.type === 'hello');
    const ship = uid('ship');
    const boxId = uid('box');
    const offset = Math.floor(Math.random() * 1e9);
    const batch = [
      record('port-events', offset, {
        id: ship,
        eventType: marker,
        title: 'ship event whose room cannot write',
        shipId: 'IMO1',
      }),
      record('container-events', offset, container(boxId)),
    ];
    try {
      const res = await ingest(batch);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({
        error: { code: 'room_unavailable', message: expect.stringContaining('Ship'), details: { rooms: ['Ship'] } },
      });
      // The Container room was called independently: its event is stored and pushed.
      await waitForIds(box, [boxId]);
      expect(await env.DB.prepare('SELECT id FROM events WHERE id = ?').bind(ship).first()).toBeNull();
    } finally {
      await fault.heal();
    }
    const retry = (await (await ingest(batch)).json()) as IngestResponse;
    expect(retry.results).toEqual([
      { status: 'stored', id: ship, seq: expect.any(Number), category: 'Ship' },
      { status: 'duplicate', id: boxId, category: 'Container' },
    ]);
    expect(box.ids().filter((id) => id === boxId)).toEqual([boxId]);
    box.ws.close();
  });

  it('answers duplicate, not rejected, for a record naming an id already stored, whatever it holds now (the outbox round trip of a near-16-KiB event)', async () => {
    // Found while fuzzing the outbox round trip in protocol/schemas/event-bounds.test.ts: an API event with
    // metadata near 16 KiB is stored; the outbox republishes it with seq, origin and times, which
    // land in metadata.extra and push it over 16 KiB: it was rejected and dead-lettered.
    const id = uid('roundtrip');
    const posted = await api('/api/events', {
      method: 'POST',
      role: 'producer',
      body: JSON.stringify({ id, eventType: 'X', title: 'big metadata', metadata: { note: 'x'.repeat(16_300) } }),
    });
    expect(posted.status).toBe(201);
    const pending = (await (
      await api('/internal/outbox?limit=500', { headers: { authorization: `Bearer ${env.INGEST_TOKEN}` } })
    ).json()) as { data: { id: string; event: unknown }[] };
    const row = pending.data.find((p) => p.id === id);
    expect(row).toBeDefined();
    const offset = Math.floor(Math.random() * 1e9);
    const res = await ingest([
      record('port-events', offset, row!.event),
      record('port-events', offset + 1, { eventId: id, title: 'now invalid: no eventType' }),
      record('port-events', offset + 2, { id: uid('never'), title: 'invalid and new' }),
    ]);
    const { results } = (await res.json()) as IngestResponse;
    expect(results[0]).toEqual({ status: 'duplicate', id, category: 'System' });
    expect(results[1]).toEqual({ status: 'duplicate', id, category: 'System' });
    expect(results[2]).toMatchObject({ status: 'rejected', reason: expect.stringContaining('eventType') });
  });
});
