/**
 * Sharded rooms (ROOM_SHARDS = 3, see ./vitest.config.ts): the primary sequences and forwards,
 * clients are spread over the shards, and every shard keeps the no-gap, no-duplicate promise.
 * Each test uses its own category, so they share no room.
 */
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Category } from '../../protocol/enums.ts';
import type { Room } from '../../worker/room/room.ts';
import type { ShardDelivery } from '../../worker/room/rpc.ts';
import { roomShardStub } from '../../worker/room/stubs.ts';
import { api } from '../workerd/helpers.ts';
import {
  claimStorage,
  event,
  ingestEvents,
  openSocket,
  openSse,
  roomOf,
  storedChanges,
  strictlyIncreasing,
  until,
  type Received,
  type SocketClient,
} from '../workerd/room-support.ts';

const SHARDS = 3;

const shardOf = (c: { response: Response }): number => Number(c.response.headers.get('x-quaycast-shard'));

async function openMany(room: Category, n: number, query?: string): Promise<SocketClient[]> {
  return Promise.all(Array.from({ length: n }, () => openSocket(room, { query, autoAck: true })));
}

/** Exactly these ids, once each, in strictly increasing seq order. */
function expectExactly(c: Received, ids: readonly string[]): void {
  const wanted = new Set(ids);
  const got = c.changes().filter((ch) => wanted.has(ch.id));
  expect(got.map((ch) => ch.id).sort()).toEqual([...ids].sort());
  expect(strictlyIncreasing(got.map((ch) => ch.seq))).toBe(true);
  expect(strictlyIncreasing(c.seqs())).toBe(true);
}

type Patchable = {
  shardStub(shard: number): { deliver(category: Category, shard: number, d: ShardDelivery): Promise<unknown> };
};
/** The primary's role (worker/room/shards.ts, ShardingPrimary): its `shardStub` is where a test stands in for one shard. */
const sharding = (r: Room): Patchable => (r as unknown as { role: Patchable }).role;

/** Makes the primary lose the next `count` deliveries to one shard (as if the calls vanished). */
async function loseDeliveries(
  room: Category,
  shard: number,
  count: number,
): Promise<{ lost: () => number; restore: () => Promise<void> }> {
  let lost = 0;
  await runInDurableObject(roomOf(room), (r: Room) => {
    const p = sharding(r);
    const original = p.shardStub.bind(p);
    p.shardStub = (k) => {
      if (k !== shard || lost >= count) return original(k);
      return {
        deliver: async () => {
          lost++;
          return { lastSeq: 0 };
        },
      };
    };
  });
  return {
    lost: () => lost,
    restore: () =>
      runInDurableObject(roomOf(room), (r: Room) => {
        delete (sharding(r) as Partial<Patchable>).shardStub; // the prototype's method again
      }),
  };
}

/**
 * The shard never advanced past the lost events (it pushes only up to its lastSeq), so its
 * clients cannot have them, now or later from that delivery: checked on the shard's state
 * instead of by waiting to see that nothing arrives.
 */
async function expectNotPushed(
  room: Category,
  shard: number,
  ids: readonly string[],
  victims: readonly SocketClient[],
): Promise<void> {
  const wanted = new Set(ids);
  const seqs = (await storedChanges(room, 0)).filter((c) => wanted.has(c.id)).map((c) => c.seq);
  expect(seqs).toHaveLength(ids.length);
  expect((await roomShardStub(env, room, shard).info()).lastSeq).toBeLessThan(Math.min(...seqs));
  for (const v of victims) expect(v.ids().filter((id) => wanted.has(id))).toEqual([]);
}

describe('worker > Room > sharded (ROOM_SHARDS = 3)', () => {
  it('has this runtime’s D1 and rooms to itself', async () => {
    await claimStorage('room-shards');
  });

  it('spreads clients over the shards; hello names the category; /api/stats sums the shards', async () => {
    const room: Category = 'Port';
    const clients = await openMany(room, 12);
    const sse = await openSse(room);
    const hellos = await Promise.all([...clients.map((c) => c.hello), sse.hello]);
    expect(hellos.every((h) => h.room === room)).toBe(true);
    const shards = new Set([...clients, sse].map(shardOf));
    for (const k of shards) expect(k >= 1 && k <= SHARDS).toBe(true);
    expect(shards.size).toBeGreaterThanOrEqual(2); // P(all 13 on one of 3 shards) ≈ 2e-6
    // Presence is per shard: each client's latest count is its own shard's subscribers.
    const perShard = new Map<number, number>();
    for (const c of [...clients, sse]) perShard.set(shardOf(c), (perShard.get(shardOf(c)) ?? 0) + 1);
    // Presence is coalesced over 250 ms: wait until every client's latest count is its shard's.
    const latestPresence = (c: Received) => c.messages.filter((m) => m.type === 'presence').at(-1);
    await until('every client to see its shard’s count', () =>
      [...clients, sse].every(
        (c) =>
          JSON.stringify(latestPresence(c)) ===
          JSON.stringify({ type: 'presence', connections: perShard.get(shardOf(c)) }),
      )
        ? true
        : undefined,
    );
    for (const c of [...clients, sse])
      expect(latestPresence(c)).toEqual({ type: 'presence', connections: perShard.get(shardOf(c)) });

    const res = await api('/api/stats', { role: 'viewer' });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as { rooms: Record<string, { connections: number; lastSeq: number }> };
    expect(stats.rooms[room]!.connections).toBe(13);

    // The live path works on every shard that has a client.
    const ids = await ingestEvents([event(room), event(room)]);
    await Promise.all([...clients, sse].map((c) => c.waitForIds(ids)));
    for (const c of [...clients, sse]) expectExactly(c, ids);
    for (const c of clients) c.close();
    await sse.close();
  });

  it('concurrent ingests: every live and resuming client on every shard gets every event once, in strictly increasing seq order', async () => {
    const room: Category = 'Container';
    const live = await openMany(room, 9);
    const sse = await openSse(room);
    const base = (await live[0]!.hello).lastSeq;
    await Promise.all([...live.map((c) => c.hello), sse.hello]);
    expect(new Set([...live, sse].map(shardOf)).size).toBeGreaterThanOrEqual(2);

    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 10 }, (_, i) => event(room, (['Critical', 'High', 'Medium', 'Low'] as const)[(b + i) % 4])),
    );
    const ingests = Promise.all(batches.map((batch) => ingestEvents(batch)));
    // Clients that resume from the baseline while the ingests run (the first events are out,
    // more are coming): catch-up then live, on their shard.
    const first = new Set(batches.flat().map((e) => e.id));
    await until('the first ingested events to reach a live client', () =>
      live[0]!.ids().some((id) => first.has(id)) ? true : undefined,
    );
    const resuming = await openMany(room, 4, `after=${base}`);
    const ids = (await ingests).flat();
    expect(ids).toHaveLength(200);

    const all = [...live, sse, ...resuming];
    await Promise.all(all.map((c) => c.waitForIds(ids, 20_000)));
    for (const c of all) expectExactly(c, ids);
    // One seq space: the same order everywhere, whichever shard.
    const order = live[0]!
      .changes()
      .filter((ch) => ids.includes(ch.id))
      .map((ch) => ch.id);
    for (const c of all)
      expect(
        c
          .changes()
          .filter((ch) => ids.includes(ch.id))
          .map((ch) => ch.id),
      ).toEqual(order);
    for (const c of [...live, ...resuming]) c.close();
    await sse.close();
  });

  it('resumes with after on a different shard than before: exactly the missed events, in order', async () => {
    const room: Category = 'Ship';
    const first = await openSocket(room, { autoAck: true });
    await first.hello;
    const seen = await ingestEvents(Array.from({ length: 5 }, () => event(room)));
    await first.waitForIds(seen);
    const cursor = Math.max(...first.seqs());
    first.close();
    await first.closed;
    const missed = await ingestEvents(Array.from({ length: 5 }, () => event(room)));

    let back: SocketClient | undefined;
    for (let i = 0; i < 40 && !back; i++) {
      const c = await openSocket(room, { query: `after=${cursor}`, autoAck: true });
      if (shardOf(c) !== shardOf(first)) back = c;
      else c.close();
    }
    expect(back).toBeDefined();
    expect(shardOf(back!)).not.toBe(shardOf(first));
    await back!.waitForIds(missed);
    expect(back!.ids().filter((id) => [...seen, ...missed].includes(id))).toEqual(missed);
    expectExactly(back!, missed);

    // SSE resumes across shards the same way (Last-Event-ID).
    const sse = await openSse(room, { lastEventId: String(cursor) });
    await sse.waitForIds(missed);
    expect(sse.ids().filter((id) => [...seen, ...missed].includes(id))).toEqual(missed);
    back!.close();
    await sse.close();
  });

  it('a shard that misses a delivery does not push past the gap: its live clients re-read from D1 and end gap-free', async () => {
    const room: Category = 'Berth';
    const warm = await ingestEvents([event(room)]); // binds the primary before it is patched
    const clients = await openMany(room, 9);
    await Promise.all(clients.map((c) => c.hello));
    const byShard = new Map<number, SocketClient[]>();
    for (const c of clients) byShard.set(shardOf(c), [...(byShard.get(shardOf(c)) ?? []), c]);
    expect(byShard.size).toBeGreaterThanOrEqual(2);
    const target = shardOf(clients[0]!);
    const victims = byShard.get(target)!;
    const others = clients.filter((c) => shardOf(c) !== target);

    const loss = await loseDeliveries(room, target, 1);
    const lostIds = await ingestEvents([event(room, 'High'), event(room, 'Low')]);
    await Promise.all(others.map((c) => c.waitForIds(lostIds)));
    expect(loss.lost()).toBe(1);
    await expectNotPushed(room, target, lostIds, victims);
    await loss.restore();

    // The next delivery does not continue the shard's lastSeq: a gap, recovered from D1.
    const next = await ingestEvents([event(room, 'Critical')]);
    await Promise.all(clients.map((c) => c.waitForIds([...lostIds, ...next])));
    for (const c of clients) {
      expectExactly(c, [...lostIds, ...next]);
      expect(c.ids().filter((id) => [...lostIds, ...next].includes(id))).toEqual([...lostIds, ...next]);
      expect(c.ids()).not.toContain(warm[0]);
    }
    for (const c of clients) c.close();
  });

  it('a shard that lost the last delivery of a quiet room heals at its next stats alarm, without a next event', async () => {
    const room: Category = 'System';
    await ingestEvents([event(room)]); // binds the primary before it is patched
    const clients = await openMany(room, 9);
    await Promise.all(clients.map((c) => c.hello));
    const target = shardOf(clients[0]!);
    const victims = clients.filter((c) => shardOf(c) === target);

    const loss = await loseDeliveries(room, target, 1);
    const lostIds = await ingestEvents([event(room, 'High'), event(room, 'Low')]);
    await Promise.all(clients.filter((c) => shardOf(c) !== target).map((c) => c.waitForIds(lostIds)));
    await expectNotPushed(room, target, lostIds, victims);
    await loss.restore();

    // No further event: the shard's periodic check against the primary finds the gap.
    expect(await runDurableObjectAlarm(roomShardStub(env, room, target))).toBe(true);
    await Promise.all(victims.map((c) => c.waitForIds(lostIds)));
    for (const v of victims) expectExactly(v, lostIds);
    for (const c of clients) c.close();
  });

  it('retries a delivery whose call failed: the shard gets it without waiting for the next event', async () => {
    const room: Category = 'Ship';
    const clients = await openMany(room, 6);
    await Promise.all(clients.map((c) => c.hello));
    const target = shardOf(clients[0]!);
    let failed = 0;
    await runInDurableObject(roomOf(room), (r: Room) => {
      const p = sharding(r);
      const original = p.shardStub.bind(p);
      p.shardStub = (k) => {
        if (k !== target || failed > 0) return original(k);
        return {
          deliver: async () => {
            failed++;
            throw new Error('simulated: shard unreachable');
          },
        };
      };
    });
    try {
      const ids = await ingestEvents([event(room), event(room)]);
      await Promise.all(clients.map((c) => c.waitForIds(ids)));
      expect(failed).toBe(1);
      for (const c of clients) expectExactly(c, ids);
    } finally {
      await runInDurableObject(roomOf(room), (r: Room) => {
        delete (sharding(r) as Partial<Patchable>).shardStub;
      });
    }
    for (const c of clients) c.close();
  });

  it('a restarted shard that missed deliveries meanwhile re-learns its baseline from the primary; resumes on it are gap-free', async () => {
    const room: Category = 'System';
    const c = await openSocket(room, { autoAck: true });
    await c.hello;
    const shard = shardOf(c);
    const seen = await ingestEvents([event(room)]);
    await c.waitForIds(seen);

    // The shard goes away (sockets closed) and loses what the primary sent it meanwhile.
    const stub = roomShardStub(env, room, shard);
    await evictDurableObject(stub, { webSockets: 'close' });
    await c.closed;
    const loss = await loseDeliveries(room, shard, 3);
    const missed: string[] = [];
    for (let i = 0; i < 3; i++) missed.push(...(await ingestEvents([event(room)])));
    await loss.restore();
    expect(loss.lost()).toBe(3);

    // Land on that same shard again: its hello already knows the primary's lastSeq.
    const settled = await roomOf(room).settledSeq(room);
    let back: SocketClient | undefined;
    for (let i = 0; i < 40 && !back; i++) {
      const b = await openSocket(room, { query: `after=${Math.max(...c.seqs())}`, autoAck: true });
      if (shardOf(b) === shard) back = b;
      else b.close();
    }
    expect(back).toBeDefined();
    expect((await back!.hello).lastSeq).toBe(settled);
    await back!.waitForIds(missed);
    const live = await ingestEvents([event(room)]);
    await back!.waitForIds(live);
    expectExactly(back!, [...missed, ...live]);
    expect(back!.ids().filter((id) => [...seen, ...missed, ...live].includes(id))).toEqual([...missed, ...live]);
    back!.close();
  });

  it('drain reaches the subscribers on every shard', async () => {
    const room: Category = 'Port';
    const clients = await openMany(room, 6);
    await Promise.all(clients.map((c) => c.hello));
    const res = await api(`/api/rooms/${room}/drain`, {
      method: 'POST',
      role: 'admin',
      body: JSON.stringify({ spreadMs: 0 }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { closed: number }).closed).toBeGreaterThanOrEqual(6); // + any stream of an earlier test not yet reaped
    const codes = await Promise.all(clients.map((c) => c.closed));
    expect(codes.every((x) => x.code === 1012)).toBe(true);
  });
});
