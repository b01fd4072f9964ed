import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { IngestResponse } from '../../protocol/ingest.ts';
import { api, connect, ingest, record, uid, waitForIds } from './helpers.ts';

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
    const res = await ingest([record('container-events', 1, container(a)), record('container-events', 2, container(b))]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as IngestResponse;
    expect(body.results.map((r) => r.status)).toEqual(['stored', 'stored']);
    await waitForIds(client, [a, b]);

    // Redelivery of the same records: duplicates, nothing stored or pushed twice.
    const again = (await (await ingest([record('container-events', 1, container(a)), record('container-events', 2, container(b))])).json()) as IngestResponse;
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    const rows = await env.DB.prepare('SELECT COUNT(*) AS n FROM events WHERE id IN (?, ?)').bind(a, b).first<{ n: number }>();
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
    const res = await ingest([{ ...record('container-events', 7, container(id), 1), key: `key-${id}`, headers: { 'x-producer': 'gate-system', traceparent: '00-abc-def-01' }, timestamp: '1795900000123' }]);
    expect(((await res.json()) as IngestResponse).results[0]).toMatchObject({ status: 'stored', id });
    await waitForIds(client, [id]);
    const pushed = client.messages.flatMap((m) => (m.type === 'events' ? m.events : [])).find((e) => e.id === id);
    expect(pushed).toMatchObject({
      origin: { kind: 'kafka', topic: 'container-events', partition: 1, offset: '7', key: `key-${id}`, headers: { 'x-producer': 'gate-system', traceparent: '00-abc-def-01' }, appendedAt: new Date(1795900000123).toISOString() },
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
    expect(body.error.details.map((d) => d.path)).toEqual(expect.arrayContaining(['records.0.topic', 'records.0.partition', 'records.0.offset', 'records.0.value']));

    const notJson = await api('/internal/ingest', { method: 'POST', body: '{', headers: { authorization: `Bearer ${env.INGEST_TOKEN}` } });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_request');

    const health = await api('/healthz');
    expect(await health.json()).toMatchObject({ ok: true, db: 'ok' });
  });

  it('refuses a missing or wrong service token, and people tokens', async () => {
    expect((await api('/internal/ingest', { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await api('/internal/ingest', { method: 'POST', body: '{}', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await api('/internal/ingest', { method: 'POST', body: '{}', role: 'admin' })).status).toBe(401);
  });
});
