import { env, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../protocol/event.ts';
import type { ChangeRequest, ChangeResult } from '../../worker/room/rpc.ts';
import type { Room } from '../../worker/room/room.ts';
import {
  claimStorage,
  event,
  fence,
  ingestEvents,
  openSocket,
  roomOf,
  strictlyIncreasing,
  until,
} from './room-support.ts';

const ROOM = 'Container';

async function stored(id: string): Promise<{ seq: number; doc: NewEvent }> {
  const row = await env.DB.prepare('SELECT seq, doc FROM events WHERE id = ?')
    .bind(id)
    .first<{ seq: number; doc: string }>();
  if (!row) throw new Error(`no row ${id}`);
  return { seq: row.seq, doc: JSON.parse(row.doc) as NewEvent };
}

/** RPC's Serializable mapping cannot express `unknown` (eventData): the result is cast back, as worker/routes/events/workflow.ts does. */
async function change(req: ChangeRequest): Promise<ChangeResult> {
  return (await roomOf(ROOM).change(ROOM, req)) as unknown as ChangeResult;
}

function request(id: string, expectedSeq: number, next: NewEvent, deleted = false): ChangeRequest {
  return {
    id,
    expectedSeq,
    next,
    deleted,
    history: {
      at: Date.now(),
      actor: 'op',
      action: deleted ? 'delete' : 'acknowledge',
      fromStatus: 'New',
      toStatus: next.status,
      note: null,
    },
  };
}

describe('worker > Room > changefeed', () => {
  beforeAll(async () => {
    await claimStorage('room-changes');
  });

  it('pushes a workflow change as the updated event with a new seq, and a delete as a tombstone; replay brings the current state', async () => {
    const live = await openSocket(ROOM, { query: 'severity=Critical' });
    const base = (await live.hello).lastSeq;
    const [a, b] = await ingestEvents([event(ROOM, 'Critical'), event(ROOM, 'Critical')]);
    await live.waitForIds([a!, b!]);

    const sa = await stored(a!);
    const acked = await change(request(a!, sa.seq, { ...sa.doc, status: 'Acknowledged', acknowledgedBy: 'op' }));
    expect(acked.status).toBe('changed');
    const sb = await stored(b!);
    const deleted = await change(request(b!, sb.seq, sb.doc, true));
    expect(deleted.status).toBe('changed');
    // A stale expectedSeq is a conflict and pushes nothing.
    expect((await change(request(a!, sa.seq, sa.doc))).status).toBe('conflict');

    await live.waitFor((m) => m.type === 'events' && m.events.some((e) => e.id === b && 'deleted' in e));
    const changesOfA = live.changes().filter((c) => c.id === a);
    expect(changesOfA).toHaveLength(2);
    expect(changesOfA[1]).toMatchObject({
      id: a,
      status: 'Acknowledged',
      seq: acked.status === 'changed' ? acked.seq : -1,
    });
    expect(live.changes().find((c) => c.id === b && 'deleted' in c)).toEqual({
      id: b,
      seq: deleted.status === 'changed' ? deleted.seq : -1,
      category: ROOM,
      deleted: true,
    });
    expect(strictlyIncreasing(live.seqs())).toBe(true);

    // Replay after the base: each id once, at its current state (the changefeed, not the arrivals).
    const replay = await openSocket(ROOM, { query: `after=${base}&severity=Critical` });
    await replay.waitFor((m) => m.type === 'events' && m.events.some((e) => e.id === b));
    await fence(replay, ROOM, 'Critical');
    const mine = replay.changes().filter((c) => c.id === a || c.id === b);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ id: a, status: 'Acknowledged' });
    expect(mine[1]).toMatchObject({ id: b, deleted: true });
    live.close();
    replay.close();
  });

  it('waitForChange (long-poll) resolves as soon as the room moves past `after`, or at its timeout', async () => {
    const stub = roomOf(ROOM);
    const { lastSeq } = await stub.info();
    // Nothing above `after`: it answers at its timeout (not before) with the unchanged seq.
    const started = Date.now();
    const idle = await stub.waitForChange(ROOM, lastSeq + 1_000_000, 150);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140); // timer granularity aside, it waited its timeout out
    expect(idle).toBe(lastSeq);

    const { lastSeq: now } = await stub.info();
    const t0 = Date.now();
    const waiting = stub.waitForChange(ROOM, now, 10_000);
    const waiters = () =>
      runInDurableObject(stub, (room: Room) => (room as unknown as { waiters: Set<unknown> }).waiters.size);
    await until('the long-poll to be waiting in the room', async () => ((await waiters()) > 0 ? true : undefined));
    await ingestEvents([event(ROOM)]);
    const woke = await waiting;
    expect(woke).toBeGreaterThan(now);
    expect(Date.now() - t0, 'returned before its wait expired').toBeLessThan(10_000);
    // Already past: answers at once.
    expect(await stub.waitForChange(ROOM, now, 10_000)).toBeGreaterThan(now);
  });
});
