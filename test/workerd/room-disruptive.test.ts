/**
 * Room tests that disturb every subscriber of their room (tightened limits, drain, restart):
 * they run only in the System room, one after another.
 */
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../protocol/event.ts';
import { CLOSE, type ReconnectMessage } from '../../protocol/room.ts';
import { createDb } from '../../worker/db/client.ts';
import { insertNewEvents, toInsertRow } from '../../worker/db/events.ts';
import { DEFAULT_ROOM_LIMITS, type Room, type RoomLimits } from '../../worker/room.ts';
import { api } from './helpers.ts';
import { event, ingestEvents, ingestMany, openSocket, openSse, roomOf, strictlyIncreasing } from './room-support.ts';

const ROOM = 'System';
const stub = roomOf(ROOM);

async function tighten(limits: Partial<RoomLimits>): Promise<void> {
  await runInDurableObject(stub, (room: Room) => {
    Object.assign(room.limits, limits);
  });
}

const isReconnect = (m: { type: string }): m is ReconnectMessage => m.type === 'reconnect';

describe.sequential('worker > Room > disruptive', () => {
  afterEach(async () => {
    await runInDurableObject(stub, (room: Room) => {
      Object.assign(room.limits, DEFAULT_ROOM_LIMITS);
    });
  });

  it('sheds a live client that neither acks nor pings past maxUnackedBytes (reconnect, then 1013); an acking client keeps going; the shed one resumes with no gap', async () => {
    const silent = await openSocket(ROOM);
    const acking = await openSocket(ROOM, { autoAck: true });
    await Promise.all([silent.hello, acking.hello]);
    // One frame per batch (no coalescing), so the tiny limit is crossed between frames.
    await tighten({ maxUnackedBytes: 6_000, frameCoalesceMs: 0 });

    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(...(await ingestEvents(Array.from({ length: 5 }, () => event(ROOM)))));
    const reconnect = await silent.waitFor(isReconnect);
    expect(reconnect.reason).toBe('slow_consumer');
    expect(reconnect.afterMs).toBeGreaterThanOrEqual(DEFAULT_ROOM_LIMITS.reconnectMinMs);
    expect((await silent.closed).code).toBe(CLOSE.tryAgainLater);
    await acking.waitForIds(ids);
    expect(acking.messages.some(isReconnect)).toBe(false);

    // The shed client comes back with its cursor and gets exactly the rest.
    const cursor = Math.max(...silent.seqs());
    const back = await openSocket(ROOM, { query: `after=${cursor}`, autoAck: true });
    const rest = ids.filter((id) => !silent.ids().includes(id));
    expect(rest.length).toBeGreaterThan(0);
    await back.waitForIds(rest);
    expect(back.ids().filter((id) => ids.includes(id))).toEqual(rest);
    acking.close();
    back.close();
  });

  it('paces a replay by acknowledgements: an acking client gets every page, a silent one is shed after replayStallMs', async () => {
    const probe = await openSocket(ROOM);
    const base = (await probe.hello).lastSeq;
    probe.close();
    const all = (await ingestMany(ROOM, 700, 350)).map((e) => e.id); // older than the 500-change memory: pages from D1
    await tighten({ replayPageEvents: 60, replayWindowBytes: 15_000, replayStallMs: 300 });

    const acking = await openSocket(ROOM, { query: `after=${base}`, autoAck: true });
    const silent = await openSocket(ROOM, { query: `after=${base}` });
    await acking.waitForIds(all, 20_000);
    expect(acking.ids().filter((id) => all.includes(id))).toEqual(all);
    expect(strictlyIncreasing(acking.seqs())).toBe(true);

    const reconnect = await silent.waitFor(isReconnect, 5000);
    expect(reconnect.reason).toBe('slow_consumer');
    expect((await silent.closed).code).toBe(CLOSE.tryAgainLater);
    const got = silent.ids().filter((id) => all.includes(id));
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(all.length);
    expect(got).toEqual(all.slice(0, got.length)); // a prefix: what it got is in order and complete up to its cursor
    acking.close();
  });

  it('drains on admin request: every subscriber gets a jittered reconnect, then 1012; clients resume with their cursor', async () => {
    const ws = await openSocket(ROOM, { query: 'severity=Critical' });
    const sse = await openSse(ROOM);
    await Promise.all([ws.hello, sse.hello]);
    const seen = await ingestEvents([event(ROOM, 'Critical')]);
    await ws.waitForIds(seen);
    await sse.waitForIds(seen);

    expect((await api(`/api/rooms/${ROOM}/drain`, { method: 'POST', role: 'operator' })).status).toBe(403);
    const res = await api(`/api/rooms/${ROOM}/drain`, { method: 'POST', role: 'admin', body: JSON.stringify({ spreadMs: 2000 }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { closed: number }).closed).toBeGreaterThanOrEqual(2);

    const wsReconnect = await ws.waitFor(isReconnect);
    expect(wsReconnect).toMatchObject({ type: 'reconnect', reason: 'drain' });
    expect(wsReconnect.afterMs).toBeGreaterThanOrEqual(DEFAULT_ROOM_LIMITS.reconnectMinMs);
    expect(wsReconnect.afterMs).toBeLessThan(DEFAULT_ROOM_LIMITS.reconnectMinMs + 2000);
    expect((await ws.closed).code).toBe(CLOSE.serviceRestart);
    const sseReconnect = await sse.waitFor(isReconnect);
    expect(sseReconnect.reason).toBe('drain');
    await sse.ended; // the stream ends; EventSource would reconnect after `retry`
    expect(sse.retry.at(-1)).toBe(sseReconnect.afterMs);

    const missed = await ingestEvents([event(ROOM, 'Critical'), event(ROOM, 'Low')]);
    const back = await openSocket(ROOM, { query: `after=${Math.max(...ws.seqs())}&severity=Critical` });
    await back.waitForIds([missed[0]!]);
    const sseBack = await openSse(ROOM, { lastEventId: String(sse.ids_.at(-1)) });
    await sseBack.waitForIds(missed);
    expect(sseBack.ids().filter((id) => seen.includes(id))).toEqual([]);
    back.close();
    await sseBack.close();
  });

  it('resumes with no gap after a restart that closed every socket', async () => {
    const c = await openSocket(ROOM);
    await c.hello;
    const seen = await ingestEvents([event(ROOM)]);
    await c.waitForIds(seen);
    await evictDurableObject(stub, { webSockets: 'close' });
    await c.closed;
    const missed = await ingestEvents([event(ROOM), event(ROOM)]);
    const back = await openSocket(ROOM, { query: `after=${Math.max(...c.seqs())}` });
    await back.waitForIds(missed);
    expect(back.ids().filter((id) => [...seen, ...missed].includes(id))).toEqual(missed);
  });

  it('after a write of unknown outcome, live subscribers re-read from D1: a committed-but-unpushed event is not lost', async () => {
    const c = await openSocket(ROOM);
    await c.hello;
    // Simulate D1 committing a batch whose answer never reached the room: seqs reserved, row stored, nothing pushed.
    const orphanId = `orphan-${crypto.randomUUID()}`;
    await runInDurableObject(stub, async (room: Room) => {
      const r = room as unknown as { reserve(n: number): Promise<number>; uncertain: boolean; env: Env };
      const seq = await r.reserve(1);
      const normalized = normalizeEvent(event(ROOM, 'High', orphanId), { kind: 'api', receivedAt: Date.now(), newId: () => orphanId });
      if (!normalized.ok) throw new Error('fixture invalid');
      await insertNewEvents(createDb(r.env.DB), [toInsertRow(normalized.event, seq)]);
      r.uncertain = true;
    });
    const next = await ingestEvents([event(ROOM)]);
    await c.waitForIds([orphanId, ...next]);
    expect(c.ids().filter((id) => id === orphanId || id === next[0])).toEqual([orphanId, next[0]]);
    expect(strictlyIncreasing(c.seqs())).toBe(true);
    c.close();
  });
});
