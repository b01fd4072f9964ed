import { runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../worker/room/room.ts';
import { api } from './helpers.ts';
import { claimStorage, event, ingestEvents, openSse, roomOf, strictlyIncreasing, until } from './room-support.ts';

const ROOM = 'Port';

describe('worker > Room > SSE fallback', () => {
  beforeAll(async () => {
    await claimStorage('room-sse');
  });

  it('streams hello and live events with id = seq, filtered by severity', async () => {
    const sse = await openSse(ROOM, { query: 'severity=High' });
    expect(sse.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const hello = await sse.hello;
    expect(hello).toMatchObject({ type: 'hello', room: ROOM });
    const [low, high] = await ingestEvents([event(ROOM, 'Low'), event(ROOM, 'High')]);
    await sse.waitForIds([high!]);
    expect(sse.ids()).not.toContain(low);
    const frame = sse.messages.find((m) => m.type === 'events' && m.events.some((e) => e.id === high));
    const lastOfFrame = frame?.type === 'events' ? frame.events.at(-1)!.seq : -1;
    expect(sse.ids_).toContain(lastOfFrame); // id: = the seq of the frame's last change
    expect(sse.retry.length).toBeGreaterThanOrEqual(1);
    await sse.close();
  });

  it('resumes from Last-Event-ID (which wins over ?after) with no gap and no duplicate', async () => {
    const first = await openSse(ROOM);
    await first.hello;
    const seen = await ingestEvents([event(ROOM), event(ROOM)]);
    await first.waitForIds(seen);
    const lastId = first.ids_.at(-1)!;
    await first.close();

    const missed = await ingestEvents([event(ROOM, 'Critical'), event(ROOM, 'Low'), event(ROOM, 'Critical')]);
    const back = await openSse(ROOM, { lastEventId: String(lastId), query: 'after=0' });
    await back.waitForIds(missed);
    const live = await ingestEvents([event(ROOM)]);
    await back.waitForIds(live);
    const ours = new Set([...seen, ...missed, ...live]);
    expect(back.ids().filter((id) => ours.has(id))).toEqual([...missed, ...live]);
    expect(strictlyIncreasing(back.seqs())).toBe(true);
    expect(back.seqs().every((s) => s > lastId)).toBe(true);
    await back.close();

    // ?after alone works the same, and filters the replay.
    const byQuery = await openSse(ROOM, { query: `after=${lastId}&severity=Critical` });
    await byQuery.waitForIds([missed[0]!, missed[2]!]);
    expect(byQuery.ids().filter((id) => ours.has(id))).toEqual([missed[0], missed[2]]);
    await byQuery.close();
  });

  it('sends heartbeat comments, counts streams as connections, and forgets a stream its reader dropped', async () => {
    const stub = roomOf(ROOM);
    await runInDurableObject(stub, (room: Room) => {
      room.limits.sseHeartbeatMs = 100;
    });
    try {
      const sse = await openSse(ROOM);
      await sse.hello;
      // Heartbeats flow (and streams of earlier tests whose readers left are found dead by them).
      await until('two heartbeats', () =>
        sse.comments.filter((c) => c.startsWith('hb')).length >= 2 ? true : undefined,
      );
      const open = await stub.info();
      expect(open.streams).toBeGreaterThanOrEqual(1);
      expect(open.connections).toBeGreaterThanOrEqual(open.streams);
      await sse.close();
      await until('the room to forget the stream', async () =>
        (await stub.info()).streams < open.streams ? true : undefined,
      );
      expect((await stub.info()).streams).toBe(open.streams - 1);
    } finally {
      await runInDurableObject(stub, (room: Room) => {
        room.limits.sseHeartbeatMs = 15_000;
      });
    }
  });

  it('refuses a bad cursor or severity with 400, and a missing token with 401', async () => {
    expect((await api(`/api/rooms/${ROOM}/sse?after=x`, { role: 'viewer' })).status).toBe(400);
    expect((await api(`/api/rooms/${ROOM}/sse`, { role: 'viewer', headers: { 'last-event-id': 'nope' } })).status).toBe(
      400,
    );
    expect((await api(`/api/rooms/${ROOM}/sse?severity=Urgent`, { role: 'viewer' })).status).toBe(400);
    expect((await api(`/api/rooms/${ROOM}/sse`)).status).toBe(401);
  });
});
