import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLOSE, MAX_CLIENT_FRAME_BYTES, ROOM_SUBPROTOCOL, type StatsMessage } from '../../protocol/room.ts';
import type { Room } from '../../worker/room/room.ts';
import { BASE, token } from './helpers.ts';
import { claimStorage, event, ingestEvents, openSocket, roomOf, until, upgrade } from './room-support.ts';

const ROOM = 'Port';

describe('worker > Room > protocol', () => {
  beforeAll(async () => {
    await claimStorage('room-protocol');
  });

  it('greets with hello (room, connections, lastSeq) and answers the text ping with pong', async () => {
    const c = await openSocket(ROOM);
    const hello = await c.hello;
    expect(hello).toMatchObject({ type: 'hello', room: ROOM });
    expect(hello.connections).toBeGreaterThanOrEqual(1);
    expect(Number.isSafeInteger(hello.lastSeq)).toBe(true);
    c.ws.send('ping');
    await until('pong', () => (c.texts.length > 0 ? true : undefined));
    expect(c.texts).toEqual(['pong']);
    c.close();
  });

  it('answers a bad frame with an error and keeps the socket usable', async () => {
    const c = await openSocket(ROOM);
    await c.hello;
    const cases = [
      'not json',
      JSON.stringify({ type: 'publish' }),
      JSON.stringify({ type: 'subscribe', severities: ['Urgent'] }),
      JSON.stringify([1, 2]),
    ];
    for (const frame of cases) c.ws.send(frame);
    c.ws.send(new Uint8Array([1, 2, 3]));
    await until('five errors', () => (c.messages.filter((m) => m.type === 'error').length >= 5 ? true : undefined));
    const errors = c.messages.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(5);
    expect(errors.every((e) => e.type === 'error' && e.code === 'bad_frame')).toBe(true);
    expect(errors.map((e) => (e.type === 'error' ? e.message : '')).join(' ')).toMatch(
      /JSON[\s\S]*severities[\s\S]*binary/,
    );
    // Still usable: a good subscribe is answered, and events arrive.
    c.ws.send(JSON.stringify({ type: 'subscribe', severities: ['Critical'] }));
    await c.waitFor((m) => m.type === 'subscribed');
    const ids = await ingestEvents([event(ROOM, 'Critical')]);
    await c.waitForIds(ids);
    c.close();
  });

  it('closes an oversized frame with 1009 and a flood with 1008, each after an error message', async () => {
    const big = await openSocket(ROOM);
    await big.hello;
    big.ws.send(JSON.stringify({ type: 'subscribe', severities: [], pad: 'x'.repeat(MAX_CLIENT_FRAME_BYTES) }));
    expect((await big.closed).code).toBe(CLOSE.tooBig);
    expect(big.messages.some((m) => m.type === 'error' && m.code === 'frame_too_big')).toBe(true);

    const flood = await openSocket(ROOM);
    await flood.hello;
    for (let i = 0; i < 150; i++) flood.ws.send(JSON.stringify({ type: 'ack', seq: 0 }));
    expect((await flood.closed).code).toBe(CLOSE.policy);
    expect(flood.messages.some((m) => m.type === 'error' && m.code === 'rate_limited')).toBe(true);
  });

  it('refuses bad query parameters with an error message, then 1008', async () => {
    for (const query of ['severity=Urgent', 'after=-3', 'after=abc']) {
      const c = await openSocket(ROOM, { query });
      const error = await c.waitFor((m) => m.type === 'error');
      expect(error).toMatchObject({ code: 'bad_request' });
      expect((await c.closed).code).toBe(CLOSE.policy);
    }
  });

  it('authenticates: 401 without a token, browser-style bearer subprotocol accepted and quaycast.v1 named in the answer', async () => {
    expect((await upgrade(ROOM, { noAuthHeader: true })).status).toBe(401);
    const jwt = await token('viewer');
    const c = await openSocket(ROOM, {
      noAuthHeader: true,
      headers: { 'sec-websocket-protocol': `${ROOM_SUBPROTOCOL}, bearer.${jwt}` },
    });
    expect(c.response.headers.get('sec-websocket-protocol')).toBe(ROOM_SUBPROTOCOL);
    await c.hello;
    c.close();
    const bad = await upgrade(ROOM, {
      noAuthHeader: true,
      headers: { 'sec-websocket-protocol': `${ROOM_SUBPROTOCOL}, bearer.not-a-jwt` },
    });
    expect(bad.status).toBe(401);
    expect((await upgrade('Harbour')).status).toBe(404);
  });

  it('refuses cross-site upgrades (Origin not same-origin nor allowed) with 403, accepts allowed ones', async () => {
    const evil = await upgrade(ROOM, { headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('forbidden_origin');
    const same = await openSocket(ROOM, { headers: { origin: BASE } });
    await same.hello;
    const allowed = await openSocket(ROOM, { headers: { origin: 'http://127.0.0.1:5173' } });
    await allowed.hello;
    same.close();
    allowed.close();
  });

  it('sends coalesced presence when the connection count changes', async () => {
    const watcher = await openSocket(ROOM);
    const base = (await watcher.hello).connections;
    const others = await Promise.all([openSocket(ROOM), openSocket(ROOM), openSocket(ROOM)]);
    await Promise.all(others.map((o) => o.hello));
    const up = await watcher.waitFor((m) => m.type === 'presence' && m.connections >= base + 3);
    expect(up.type === 'presence' && up.connections).toBeGreaterThanOrEqual(base + 3);
    // Three joins inside the coalescing window: the count reached base + 3 in fewer presence
    // messages than joins (without coalescing: base + 1, base + 2, base + 3).
    const upTo = watcher.messages.indexOf(up);
    expect(watcher.messages.slice(0, upTo + 1).filter((m) => m.type === 'presence').length).toBeLessThan(3);
    const peak = Math.max(...watcher.messages.flatMap((m) => (m.type === 'presence' ? [m.connections] : [])));
    for (const o of others) o.close();
    const down = await watcher.waitFor((m) => m.type === 'presence' && m.connections <= peak - 3);
    expect(down.type === 'presence' && down.connections).toBeLessThanOrEqual(peak - 3);
    watcher.close();
  });

  it('sends cheap periodic stats from its alarm while active', async () => {
    const c = await openSocket(ROOM);
    await c.hello;
    await ingestEvents([event(ROOM)]);
    const stub = roomOf(ROOM);
    // Make sure an alarm is armed, then run it now instead of in 30 s.
    await runInDurableObject(stub, async (_room: Room, state) => {
      if ((await state.storage.getAlarm()) === null) await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const stats = (await c.waitFor((m) => m.type === 'stats')) as StatsMessage;
    expect(stats).toMatchObject({ type: 'stats', room: ROOM });
    expect(stats.connections).toBeGreaterThanOrEqual(1);
    expect(stats.eventsLastMinute).toBeGreaterThanOrEqual(1);
    expect(Date.parse(stats.at)).not.toBeNaN();
    c.close();
  });
});
