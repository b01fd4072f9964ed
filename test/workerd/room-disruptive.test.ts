/**
 * Room tests that disturb every subscriber of their room (tightened limits, drain, restart, D1
 * refusing writes). They run in this file's own runtime (its own D1 and rooms: room-support.ts,
 * `claimStorage`), one after another, and put back every limit they change.
 */
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Category } from '../../protocol/enums.ts';
import type { NewEvent } from '../../protocol/event.ts';
import { normalizeEvent } from '../../protocol/schemas/normalize.ts';
import { CLOSE, type ReconnectMessage } from '../../protocol/room.ts';
import { DEFAULT_ROOM_LIMITS, type RoomLimits } from '../../worker/room/limits.ts';
import type { Room } from '../../worker/room/room.ts';
import { api } from './helpers.ts';
import {
  SEVS,
  claimStorage,
  event,
  expectStreamMatchesD1,
  fence,
  ingestEvents,
  ingestMany,
  openSocket,
  openSse,
  roomOf,
  storedChanges,
  strictlyIncreasing,
} from './room-support.ts';

const ROOM: Category = 'System';
/** A room the faults of ROOM must not touch. */
const OTHER: Category = 'Berth';
const stub = roomOf(ROOM);

async function tighten(limits: Partial<RoomLimits>): Promise<void> {
  await runInDurableObject(stub, (room: Room) => {
    Object.assign(room.limits, limits);
  });
}

const isReconnect = (m: { type: string }): m is ReconnectMessage => m.type === 'reconnect';

describe.sequential('worker > Room > disruptive', () => {
  beforeAll(async () => {
    await claimStorage('room-disruptive');
  });

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
    await tighten({ maxUnackedBytes: 6_000, fixedSendWindowMs: 0 });

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

  it('under a send budget the room needs to wait for, settles share frames: the first after a quiet spell alone and at once, the rest together, every change once and in order', async () => {
    const a = await openSocket(ROOM, { autoAck: true });
    const b = await openSocket(ROOM, { autoAck: true, query: 'severity=Critical' });
    await Promise.all([a.hello, b.hello]);
    // 1 send/s: any flush puts the room over budget, so the next waits for the bound (1 s).
    await tighten({ sendBudgetPerSecond: 1, maxSendDelayMs: 1_000, fixedSendWindowMs: undefined });
    const batches: string[][] = [];
    for (let i = 0; i < 6; i++) batches.push(await ingestEvents([event(ROOM, 'Critical'), event(ROOM, 'Low')]));
    const ids = batches.flat();
    await a.waitForIds(ids);
    const critical = ids.filter((_, i) => i % 2 === 0);
    await b.waitForIds(critical);
    const framesOf = (c: typeof a) =>
      c.messages.flatMap((m) =>
        m.type === 'events' ? [m.events.map((e) => e.id).filter((id) => ids.includes(id))] : [],
      );
    const aFrames = framesOf(a).filter((f) => f.length > 0);
    // Leading edge: the first batch went out by itself, as it settled (the others were not stored yet).
    expect(aFrames[0]).toEqual(batches[0]);
    // The window: six settles in fewer frames, so at least one frame carried several settles.
    expect(aFrames.length).toBeLessThan(batches.length);
    expect(Math.max(...aFrames.map((f) => f.length))).toBeGreaterThan(2);
    // Exactly once, in order, each filter its own.
    expect(a.ids().filter((id) => ids.includes(id))).toEqual(ids);
    expect(strictlyIncreasing(a.seqs())).toBe(true);
    expect(b.ids().filter((id) => ids.includes(id))).toEqual(critical);
    expect(strictlyIncreasing(b.seqs())).toBe(true);
    a.close();
    b.close();
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
    const res = await api(`/api/rooms/${ROOM}/drain`, {
      method: 'POST',
      role: 'admin',
      body: JSON.stringify({ spreadMs: 2000 }),
    });
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

  it('a D1 write that really fails (a trigger aborts the room’s inserts) pushes nothing it did not store, stalls no other room, and after recovery every socket holds exactly D1’s rows, once, in order', async () => {
    const live = await openSocket(ROOM);
    const filtered = await openSocket(ROOM, { query: 'severity=Critical,High' });
    const sse = await openSse(ROOM);
    const base = (await live.hello).lastSeq;
    await Promise.all([filtered.hello, sse.hello]);
    const elsewhere = await openSocket(OTHER);
    const otherBase = (await elsewhere.hello).lastSeq;

    const before = await ingestEvents(Array.from({ length: 4 }, (_, i) => event(ROOM, SEVS[i]!)));
    await Promise.all([live, sse].map((c) => c.waitForIds(before)));
    const cursorBefore = Math.max(...live.seqs());

    // The fault, for real: D1 refuses every insert into this room's rows (and only those).
    await failWrites(ROOM);
    const failing = Array.from({ length: 6 }, (_, i) => event(ROOM, SEVS[i % 4]!));
    try {
      await expect(commitDirect(failing)).rejects.toThrow(/injected/);
      await expect(commitDirect([event(ROOM, 'Critical')])).rejects.toThrow(/injected/);
      // A workflow change in the failing room fails the same way (the trigger also guards updates).
      const [target] = await storedChanges(ROOM, cursorBefore - 1);
      await expect(changeDirect(target!.id, target!.seq)).rejects.toThrow(/injected/);
      // Meanwhile the other rooms keep storing and pushing.
      const elsewhereIds = await ingestEvents([event(OTHER), event(OTHER)]);
      await elsewhere.waitForIds(elsewhereIds);
      // A client resuming during the outage is served from D1 (reads still work).
      const during = await openSocket(ROOM, { query: `after=${base}` });
      await during.waitForIds(before);
      during.close();
    } finally {
      await healWrites(ROOM);
    }
    // Nothing of the failed writes exists, so nothing of them may have reached a client.
    expect(await storedChanges(ROOM, cursorBefore)).toEqual([]);

    // Recovery: the retried batch and a new one are stored, and reach every socket once.
    const retried = await ingestEvents(failing);
    const after = await ingestEvents([event(ROOM, 'High'), event(ROOM, 'Low')]);
    const all = [...before, ...retried, ...after];
    await Promise.all([live, sse].map((c) => c.waitForIds(all)));
    await filtered.waitForIds(
      failing.filter((e) => e.severity === 'Critical' || e.severity === 'High').map((e) => e.id),
    );
    await Promise.all([fence(live, ROOM, 'Critical'), fence(filtered, ROOM, 'Critical'), fence(sse, ROOM, 'Critical')]);
    await expectStreamMatchesD1(live, ROOM, base, undefined, 'live socket');
    await expectStreamMatchesD1(sse, ROOM, base, undefined, 'SSE stream');
    await expectStreamMatchesD1(filtered, ROOM, base, ['Critical', 'High'], 'filtered socket');
    // A client that resumes from a cursor taken before the failure finds no gap either.
    const resumed = await openSocket(ROOM, { query: `after=${cursorBefore}` });
    await fence(resumed, ROOM);
    await expectStreamMatchesD1(resumed, ROOM, cursorBefore, undefined, 'resumed socket');
    await expectStreamMatchesD1(elsewhere, OTHER, otherBase, undefined, 'the other room');
    for (const c of [live, filtered, resumed, elsewhere]) c.close();
    await sse.close();
  });

  it('a room whose writes keep failing answers each caller with the error and then recovers by itself: no write is lost once D1 accepts again, none is pushed twice', async () => {
    const c = await openSocket(ROOM);
    const base = (await c.hello).lastSeq;
    await failWrites(ROOM);
    let failures = 0;
    try {
      // Concurrent callers while D1 refuses: every one of them is told, none hangs.
      const attempts = await Promise.allSettled(
        Array.from({ length: 5 }, () => commitDirect([event(ROOM), event(ROOM)])),
      );
      failures = attempts.filter((a) => a.status === 'rejected').length;
    } finally {
      await healWrites(ROOM);
    }
    expect(failures).toBe(5);
    const ids = await ingestEvents(Array.from({ length: 3 }, () => event(ROOM)));
    await c.waitForIds(ids);
    await fence(c, ROOM);
    await expectStreamMatchesD1(c, ROOM, base, undefined, 'socket');
    expect(c.ids().filter((id) => ids.includes(id))).toEqual(ids);
    c.close();
  });
});

/** Installs triggers in this file's D1 that abort every insert and update of one room's rows. */
async function failWrites(category: Category): Promise<void> {
  for (const op of ['INSERT', 'UPDATE'] as const) {
    await env.DB.prepare(
      `CREATE TRIGGER fail_${op.toLowerCase()}_${category} BEFORE ${op} ON events WHEN new.category = '${category}' BEGIN SELECT RAISE(ABORT, 'injected: ${category} storage refuses writes'); END`,
    ).run();
  }
}

async function healWrites(category: Category): Promise<void> {
  for (const op of ['insert', 'update']) await env.DB.prepare(`DROP TRIGGER IF EXISTS fail_${op}_${category}`).run();
}

/** The room's own write RPC, as /internal/ingest calls it (so a failure is seen as the room reports it). */
async function commitDirect(events: ReturnType<typeof event>[]): Promise<unknown> {
  const normalized = events.map((e) => {
    const n = normalizeEvent(e, { kind: 'api', receivedAt: Date.now(), newId: () => e.id });
    if (!n.ok) throw new Error('fixture invalid');
    return n.event;
  });
  return stub.commit(ROOM, normalized);
}

/** A workflow change of a stored event through the room's RPC (as PATCH /api/events/:id does). */
async function changeDirect(id: string, seq: number): Promise<unknown> {
  const row = await env.DB.prepare('SELECT doc FROM events WHERE id = ?1').bind(id).first<{ doc: string }>();
  const doc = JSON.parse(row!.doc) as NewEvent;
  return stub.change(ROOM, {
    id,
    expectedSeq: seq,
    next: { ...doc, status: 'Acknowledged', acknowledgedBy: 'op' },
    deleted: false,
    history: {
      at: Date.now(),
      actor: 'op',
      action: 'acknowledge',
      fromStatus: doc.status,
      toStatus: 'Acknowledged',
      note: null,
    },
  });
}
