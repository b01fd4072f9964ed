import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../worker/room/room.ts';
import {
  claimStorage,
  event,
  fence,
  ingestEvents,
  ingestMany,
  openSocket,
  roomOf,
  strictlyIncreasing,
  until,
} from './room-support.ts';

const ROOM = 'Berth';

describe('worker > Room > resume', () => {
  beforeAll(async () => {
    await claimStorage('room-resume');
  });

  it('replays the events missed while disconnected, then continues live, with no gap and no duplicate', async () => {
    const first = await openSocket(ROOM);
    const base = (await first.hello).lastSeq;
    const before = await ingestEvents([event(ROOM), event(ROOM)]);
    await first.waitForIds(before);
    const cursor = Math.max(...first.seqs());
    first.close();

    const missed = await ingestEvents([event(ROOM), event(ROOM), event(ROOM)]);
    const second = await openSocket(ROOM, { query: `after=${cursor}` });
    await second.waitForIds(missed);
    const live = await ingestEvents([event(ROOM)]);
    await second.waitForIds(live);
    const mine = new Set([...before, ...missed, ...live]);
    const got = second.changes().filter((c) => mine.has(c.id));
    expect(got.map((c) => c.id)).toEqual([...missed, ...live]);
    expect(strictlyIncreasing(second.seqs())).toBe(true);
    expect(second.seqs().every((s) => s > cursor && s > base)).toBe(true);
    second.close();
  });

  it('pages a cursor older than the in-memory buffer from D1 (> 1000 events), filtered, then joins live', async () => {
    const probe = await openSocket(ROOM);
    const base = (await probe.hello).lastSeq;
    probe.close();
    const all = await ingestMany(ROOM, 1200, 400, (i) => (i % 3 === 0 ? 'Critical' : 'Low'));
    const critical = all.filter((e) => e.severity === 'Critical').map((e) => e.id);

    const everything = await openSocket(ROOM, { query: `after=${base}`, autoAck: true });
    const filtered = await openSocket(ROOM, { query: `after=${base}&severity=Critical` });
    await everything.waitForIds(
      all.map((e) => e.id),
      20_000,
    );
    await filtered.waitForIds(critical, 20_000);
    const tail = await ingestEvents([event(ROOM, 'Critical'), event(ROOM, 'Low')]);
    await everything.waitForIds(tail);
    await filtered.waitForIds([tail[0]!]);

    const ours = new Set([...all.map((e) => e.id), ...tail]);
    expect(
      everything
        .changes()
        .filter((c) => ours.has(c.id))
        .map((c) => c.id),
    ).toEqual([...all.map((e) => e.id), ...tail]);
    expect(strictlyIncreasing(everything.seqs())).toBe(true);
    // More than one frame: the replay came in pages.
    expect(everything.messages.filter((m) => m.type === 'events').length).toBeGreaterThan(2);
    expect(
      filtered
        .changes()
        .filter((c) => ours.has(c.id))
        .map((c) => c.id),
    ).toEqual([...critical, tail[0]]);
    expect(filtered.changes().every((c) => 'deleted' in c || c.severity === 'Critical')).toBe(true);
    expect(strictlyIncreasing(filtered.seqs())).toBe(true);
    everything.close();
    filtered.close();
  });

  it('applies the connect filter to live events and `subscribe` from the cursor on', async () => {
    const c = await openSocket(ROOM, { query: 'severity=High' });
    await c.hello;
    const [low, high] = await ingestEvents([event(ROOM, 'Low'), event(ROOM, 'High')]);
    await c.waitForIds([high!]);

    c.ws.send(JSON.stringify({ type: 'subscribe', severities: ['Low'] }));
    const subscribed = await c.waitFor((m) => m.type === 'subscribed');
    expect(subscribed).toMatchObject({ type: 'subscribed', severities: ['Low'] });
    const [low2, high2] = await ingestEvents([event(ROOM, 'Low'), event(ROOM, 'High')]);
    await c.waitForIds([low2!]);

    c.ws.send(JSON.stringify({ type: 'subscribe', severities: [] }));
    await c.waitFor((m) => m.type === 'subscribed' && m.severities.length === 4);
    const [medium] = await ingestEvents([event(ROOM, 'Medium')]);
    await c.waitForIds([medium!]);
    await fence(c, ROOM); // anything the room would still send before it is in now
    const ids = c.ids();
    expect(ids).not.toContain(low);
    expect(ids).not.toContain(high2);
    expect(ids.filter((id) => [low, high, low2, high2, medium].includes(id))).toEqual([high, low2, medium]);
    c.close();
  });

  it('survives hibernation: a new instance rebuilds filters and cursors from the attachments', async () => {
    const stub = roomOf(ROOM);
    const filtered = await openSocket(ROOM, { query: 'severity=Critical' });
    const all = await openSocket(ROOM);
    await Promise.all([filtered.hello, all.hello]);
    const [warm] = await ingestEvents([event(ROOM, 'Critical')]);
    await filtered.waitForIds([warm!]);
    await runInDurableObject(stub, (instance: Room) => {
      (instance as unknown as { marker?: string }).marker = 'before';
    });

    await evictDurableObject(stub, { webSockets: 'hibernate' });

    const after = await ingestEvents([event(ROOM, 'Low'), event(ROOM, 'Critical')]);
    await all.waitForIds(after);
    await filtered.waitForIds([after[1]!]);
    const fresh = await runInDurableObject(
      stub,
      (instance: Room) => (instance as unknown as { marker?: string }).marker,
    );
    expect(fresh).toBeUndefined(); // the constructor ran again
    expect(filtered.ids()).not.toContain(after[0]);
    expect(strictlyIncreasing(all.seqs())).toBe(true);
    expect(strictlyIncreasing(filtered.seqs())).toBe(true);
    // The sockets are still counted after the wake.
    const info = await stub.info();
    expect(info.sockets).toBeGreaterThanOrEqual(2);
    // ping → pong by auto-response still works on a socket accepted by the previous instance.
    all.ws.send('ping');
    await until('pong', () => (all.texts.includes('pong') ? true : undefined));
    filtered.close();
    all.close();
  });

  it('resumes a client after the room instance restarted, from its cursor, with no gap', async () => {
    const c = await openSocket(ROOM, { query: 'severity=Critical,High' });
    await c.hello;
    const seen = await ingestEvents([event(ROOM, 'High')]);
    await c.waitForIds(seen);
    const cursor = Math.max(...c.seqs());
    c.close();
    await c.closed;
    // Other tests of this file may still hold sockets in this room: a hibernate-eviction
    // restarts the instance without closing them (the restart path is what matters here).
    await evictDurableObject(roomOf(ROOM), { webSockets: 'hibernate' }).catch(() => {
      // not running right now: the next request starts a fresh instance anyway
    });
    const missed = await ingestEvents([event(ROOM, 'Critical'), event(ROOM, 'Medium'), event(ROOM, 'High')]);
    const back = await openSocket(ROOM, { query: `after=${cursor}&severity=Critical,High` });
    await back.waitForIds([missed[0]!, missed[2]!]);
    await fence(back, ROOM, 'High');
    expect(back.ids().filter((id) => missed.includes(id) || seen.includes(id))).toEqual([missed[0], missed[2]]);
    back.close();
  });
});
