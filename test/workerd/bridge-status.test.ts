/**
 * Pipeline liveness through the real routes: POST /internal/bridge/status (contract: 204, 400 in
 * the API's error shape, 401 without the service token), its bounded store in D1, and the rules
 * of `pipeline` in GET /api/stats (worker/pipeline.ts). This file's D1 starts empty (its own
 * runtime), so "nothing stored yet" holds until a test stores an event.
 */
import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { BridgeStatus, PartitionStatus } from '../../protocol/bridge-status.ts';
import type { Pipeline } from '../../protocol/pipeline.ts';
import { MAX_BRIDGE_STATUSES } from '../../worker/db/bridge-status.ts';
import { BASE, api, ingest, record, uid, type ApiErrorBody } from './helpers.ts';
import { until } from './room-support.ts';

const iso = (ms: number) => new Date(ms).toISOString();

function report(p: Partial<BridgeStatus> & { bridgeId: string }): BridgeStatus {
  const now = Date.now();
  return {
    at: iso(now),
    startedAt: iso(now - 600_000),
    intervalMs: 30_000,
    state: 'consuming',
    partitions: [],
    deadLettered: 0,
    ...p,
  };
}

function partition(p: Partial<PartitionStatus> = {}): PartitionStatus {
  return { topic: 'port-events', partition: 0, committedOffset: '100', highWatermark: '100', lag: 0, ...p };
}

async function send(
  body: unknown,
  token: string | null = env.INGEST_TOKEN,
  contentType = 'application/json',
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return SELF.fetch(`${BASE}/internal/bridge/status`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function pipeline(): Promise<Pipeline> {
  const res = await api('/api/stats', { role: 'viewer' });
  expect(res.status).toBe(200);
  return ((await res.json()) as { pipeline: Pipeline }).pipeline;
}

describe('worker > POST /internal/bridge/status and the pipeline in /api/stats', () => {
  it('says unknown while no bridge has reported', async () => {
    const p = await pipeline();
    expect(p).toMatchObject({ state: 'unknown', lag: null, lastStoredAt: null, stallMs: 60_000, bridges: [] });
    expect(p.reasons[0]).toMatch(/No bridge has reported/);
  });

  it('answers 401 without the service token (or with a wrong one), 400 for a bad body naming the fields, 204 for a good report', async () => {
    const good = report({ bridgeId: uid('bridge') });
    expect((await send(good, null)).status).toBe(401);
    expect((await send(good, 'wrong-token')).status).toBe(401);
    const bad = await send({ ...good, intervalMs: 5, state: 'sleeping', partitions: [{ topic: '', partition: -1 }] });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as ApiErrorBody;
    expect(body.error.code).toBe('invalid_request');
    const paths = (body.error.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining(['intervalMs', 'state', 'partitions.0.topic', 'partitions.0.partition']),
    );
    for (const junk of [
      '{',
      '[]',
      'null',
      '"x"',
      JSON.stringify({ ...good, at: 'yesterday' }),
      JSON.stringify({ ...good, bridgeId: 'x'.repeat(201) }),
    ]) {
      const res = await send(junk);
      expect(res.status, junk.slice(0, 40)).toBe(400);
      expect(((await res.json()) as ApiErrorBody).error.code).toBe('invalid_request');
    }
    // Not JSON at all: 415, as POST /api/events answers, in the same error shape.
    const text = await send(good, env.INGEST_TOKEN, 'text/plain');
    expect(text.status).toBe(415);
    expect(typeof ((await text.json()) as ApiErrorBody).error.code).toBe('string');
    const ok = await send(good);
    expect(ok.status).toBe(204);
    expect(await ok.text()).toBe('');
  });

  it('turns unknown once the only live bridge misses 3 of its intervals, naming it', async () => {
    // Every bridge so far reported once: make them all look gone by reporting, for each, a
    // 1-second interval, then wait (3 s is the protocol's own bound here).
    await env.DB.prepare('DELETE FROM bridge_status').run();
    const id = uid('short-lived');
    expect((await send(report({ bridgeId: id, intervalMs: 1000 }))).status).toBe(204);
    expect((await pipeline()).state).toBe('idle');
    const gone = await until('the bridge to count as gone', async () => {
      const p = await pipeline();
      return p.state === 'unknown' ? p : undefined;
    });
    expect(gone.reasons[0]).toMatch(
      new RegExp(`Bridge ${id} last reported \\d+ s ago \\(it reports every 1 s\\): it is gone`),
    );
    expect(gone.bridges).toEqual([expect.objectContaining({ bridgeId: id, gone: true })]);
  });

  it('is stalled when records have waited PIPELINE_STALL_MS (two reports two minutes apart on the bridge clock) and nothing was stored', async () => {
    const id = uid('bridge');
    const now = Date.now();
    const waiting = [partition({ lag: 7, committedOffset: '93' })];
    expect((await send(report({ bridgeId: id, at: iso(now - 120_000), partitions: waiting }))).status).toBe(204);
    expect((await send(report({ bridgeId: id, at: iso(now), partitions: waiting }))).status).toBe(204);
    const p = await pipeline();
    expect(p.state).toBe('stalled');
    expect(p.lag).toBe(7);
    expect(p.reasons[0]).toMatch(/^7 records wait in Kafka \(for 2 min( \d+ s)?\) and nothing was stored yet\.$/);

    // Something is stored: records waiting are on the way, not stuck.
    const stored = await ingest([record('port-events', 1, { id: uid('evt'), eventType: 'Gate', title: 'gate in' })]);
    expect(stored.status).toBe(200);
    const after = await pipeline();
    expect(after.state).toBe('flowing');
    expect(Date.parse(after.lastStoredAt!)).toBeGreaterThan(now - 1000);

    // A report with lag 0 ends the run: idle.
    expect((await send(report({ bridgeId: id, partitions: [partition({ lag: 0 })] }))).status).toBe(204);
    expect((await pipeline()).state).toBe('idle');
  });

  it('is stalled when a partition has not moved for PIPELINE_STALL_MS, with the partition and its last error in the reasons', async () => {
    const id = uid('bridge');
    const stuck = partition({
      topic: 'container-events',
      partition: 2,
      lag: 3,
      stalledSince: iso(Date.now() - 95_000),
      lastError: 'HTTP 500 (request id container-events.2.41.9)',
    });
    expect((await send(report({ bridgeId: id, partitions: [partition(), stuck] }))).status).toBe(204);
    const p = await pipeline();
    expect(p.state).toBe('stalled');
    expect(p.reasons[0]).toMatch(
      /^container-events\/2 has not moved for 1 min 3\d s \(bridge .*; last error: HTTP 500 \(request id container-events\.2\.41\.9\)\)\.$/,
    );
    expect(p.bridges.find((b) => b.bridgeId === id)).toMatchObject({
      partitions: 2,
      stalledPartitions: 1,
      lag: 3,
      gone: false,
    });

    // The partition recovers (the bridge reports at once): no longer stalled.
    expect(
      (
        await send(
          report({
            bridgeId: id,
            partitions: [partition(), partition({ topic: 'container-events', partition: 2, lag: 0 })],
          }),
        )
      ).status,
    ).toBe(204);
    expect((await pipeline()).state).not.toBe('stalled');
  });

  it('keeps at most 64 bridges (the newest reports) and drops reports older than an hour', async () => {
    await env.DB.prepare(
      "INSERT INTO bridge_status (bridge_id, received_at, lag, lag_since, report) VALUES ('ancient', ?1, 0, NULL, '{}')",
    )
      .bind(Date.now() - 2 * 3_600_000)
      .run();
    const ids = Array.from({ length: MAX_BRIDGE_STATUSES + 6 }, () => uid('fleet'));
    for (const id of ids) expect((await send(report({ bridgeId: id }))).status).toBe(204);
    const rows = await env.DB.prepare('SELECT bridge_id FROM bridge_status').all<{ bridge_id: string }>();
    expect(rows.results).toHaveLength(MAX_BRIDGE_STATUSES);
    expect(rows.results.map((r) => r.bridge_id)).not.toContain('ancient');
    const p = await pipeline();
    expect(p.bridges).toHaveLength(MAX_BRIDGE_STATUSES);
    expect(p.bridges.map((b) => b.bridgeId)).toContain(ids.at(-1));
  });

  it('reads lastStoredAt with one index seek, not a scan', async () => {
    const plan = await env.DB.prepare('EXPLAIN QUERY PLAN SELECT MAX(received_at) AS at FROM events').all<{
      detail: string;
    }>();
    expect(plan.results.map((r) => r.detail).join(' | ')).toMatch(/USING COVERING INDEX events_received/);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await (await SELF.fetch(`${BASE}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths['/internal/bridge/status']!.post!.responses).sort()).toEqual([
      '204',
      '400',
      '401',
      '415',
    ]);
    expect(JSON.stringify(doc.paths['/api/stats']!.get!.responses['200'])).toMatch(
      /"pipeline"[\s\S]*"flowing","idle","stalled","unknown"/,
    );
  });
});
