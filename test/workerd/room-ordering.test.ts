import { evictDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Severity } from '../../protocol/enums.ts';
import {
  SEVS,
  claimStorage,
  event,
  fence,
  ingestEvents,
  openSocket,
  prng,
  roomOf,
  strictlyIncreasing,
  type SocketClient,
} from './room-support.ts';

const ROOM = 'Ship';

describe('worker > Room > ordering', () => {
  beforeAll(async () => {
    await claimStorage('room-ordering');
  });

  it('pushes many concurrent ingests to several clients in strictly increasing seq order, each once, none missing', async () => {
    const clients = await Promise.all([
      openSocket(ROOM),
      openSocket(ROOM),
      openSocket(ROOM, { query: 'severity=Critical,High' }),
    ]);
    const baseline = Math.max(...(await Promise.all(clients.map((c) => c.hello))).map((h) => h.lastSeq));

    // 30 batches of 10 in parallel: the hazard of concurrent writers assigning and pushing seqs out of order.
    const batches = Array.from({ length: 30 }, (_, b) =>
      Array.from({ length: 10 }, (_, i) => event(ROOM, SEVS[(b + i) % 4]!)),
    );
    await Promise.all(batches.map((batch) => ingestEvents(batch)));
    const all = batches.flat();
    const severe = all.filter((e) => e.severity === 'Critical' || e.severity === 'High');

    await clients[0]!.waitForIds(all.map((e) => e.id));
    await clients[1]!.waitForIds(all.map((e) => e.id));
    await clients[2]!.waitForIds(severe.map((e) => e.id));
    for (const c of clients) {
      const mine = new Set(all.map((e) => e.id));
      const got = c.changes().filter((ch) => mine.has(ch.id));
      expect(strictlyIncreasing(c.seqs())).toBe(true);
      expect(new Set(got.map((ch) => ch.id)).size).toBe(got.length); // each once
      expect(got.every((ch) => ch.seq > baseline)).toBe(true);
    }
    // The filtered client got no event outside its filter.
    expect(
      clients[2]!.changes().every((ch) => !('severity' in ch) || ch.severity === 'Critical' || ch.severity === 'High'),
    ).toBe(true);
    expect(clients[2]!.ids().filter((id) => all.some((e) => e.id === id)).length).toBe(severe.length);
    // All clients saw the same seq for each event.
    const seqOf = new Map(clients[0]!.changes().map((c) => [c.id, c.seq]));
    for (const ch of clients[1]!.changes()) if (seqOf.has(ch.id)) expect(ch.seq).toBe(seqOf.get(ch.id));
    for (const c of clients) c.close();
  });

  it('property: random interleavings of ingests, disconnects, hibernations and resumes with random cursors and filters deliver exactly the matching events, in order, once', async () => {
    const rounds = 20;
    for (let round = 0; round < rounds; round++) {
      const rand = prng(0xc0ffee + round);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
      const randomFilter = (): Severity[] | null =>
        rand() < 0.3
          ? null
          : SEVS.filter(() => rand() < 0.5)
              .concat(pick(SEVS))
              .filter((s, i, a) => a.indexOf(s) === i);

      // Each simulated client: a filter, a cursor it resumes from, and everything it received.
      type Sim = {
        filter: Severity[] | null;
        cursor: number;
        socket: SocketClient | null;
        got: { id: string; seq: number }[];
        startedAt: number;
      };
      const probe = await openSocket(ROOM);
      const start = (await probe.hello).lastSeq;
      probe.close();
      const sims: Sim[] = Array.from({ length: 3 }, () => ({
        filter: randomFilter(),
        cursor: start,
        socket: null,
        got: [],
        startedAt: start,
      }));
      const ingested: { id: string; severity: Severity }[] = [];

      const connect = async (sim: Sim) => {
        const query = [`after=${sim.cursor}`, sim.filter ? `severity=${sim.filter.join(',')}` : '']
          .filter(Boolean)
          .join('&');
        sim.socket = await openSocket(ROOM, { query });
        await sim.socket.hello;
      };
      /** Folds a socket's received changes into the sim (as a client would, moving its cursor). */
      const harvest = (sim: Sim) => {
        if (!sim.socket) return;
        const seen = (sim.socket as SocketClient & { harvested?: number }).harvested ?? 0;
        const changes = sim.socket.changes();
        for (const c of changes.slice(seen)) {
          sim.got.push({ id: c.id, seq: c.seq });
          sim.cursor = Math.max(sim.cursor, c.seq);
        }
        (sim.socket as SocketClient & { harvested?: number }).harvested = changes.length;
      };

      for (const sim of sims) await connect(sim);
      const steps = 6 + Math.floor(rand() * 6);
      const pending: Promise<unknown>[] = [];
      for (let step = 0; step < steps; step++) {
        const action = rand();
        if (action < 0.1) {
          // Hibernate the room (sockets stay open; a new instance rebuilds from attachments),
          // possibly in the middle of a catch-up or an ingest.
          await evictDurableObject(roomOf(ROOM), { webSockets: 'hibernate' }).catch(() => {
            // not running at this instant: nothing to evict
          });
        } else if (action < 0.6) {
          const batch = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => event(ROOM, pick(SEVS)));
          ingested.push(...batch);
          const p = ingestEvents(batch);
          if (rand() < 0.5) await p;
          else pending.push(p); // concurrent with what follows
        } else {
          const sim = pick(sims);
          harvest(sim);
          const leaving = sim.socket;
          leaving?.close();
          sim.socket = null;
          // Sometimes the room has seen the close before the client comes back, sometimes not.
          if (leaving && rand() < 0.3) await leaving.closed;
          // Sometimes resume from an older cursor than the last seen (a client that lost state):
          // the replay must then repeat exactly what is above that cursor.
          if (rand() < 0.2) {
            sim.cursor = sim.startedAt;
            sim.got = [];
          }
          await connect(sim);
        }
      }
      await Promise.all(pending);
      for (const sim of sims) {
        const expected = ingested.filter((e) => !sim.filter || sim.filter.includes(e.severity)).map((e) => e.id);
        await sim.socket!.waitForIds(expected.filter((id) => !sim.got.some((g) => g.id === id)));
        // A fence the sim's filter lets through: anything extra (a duplicate) would be in before it.
        await fence(sim.socket!, ROOM, sim.filter?.[0] ?? 'Medium');
        harvest(sim);
        const mine = new Set(ingested.map((e) => e.id));
        const got = sim.got.filter((g) => mine.has(g.id));
        expect(got.map((g) => g.id).sort(), `round ${round}: exactly the matching events`).toEqual(
          [...expected].sort(),
        );
        expect(strictlyIncreasing(sim.got.map((g) => g.seq)), `round ${round}: in seq order, once`).toBe(true);
        sim.socket!.close();
      }
    }
  });
});
