/**
 * Streams end with their token (contract 4): a WebSocket whose token's `exp` passes gets
 * `error` `token_expired` and close 4401, an SSE stream the same message as `event: error` and
 * its end — driven by the room's alarm, across a hibernation too — while a subscriber with a
 * longer token goes on being served. This file has its own runtime (room-support.ts).
 */
import { SELF, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Category } from '../../protocol/enums.ts';
import { CLOSE, type ErrorMessage } from '../../protocol/room.ts';
import type { Room } from '../../worker/room/room.ts';
import { BASE, token, uid } from './helpers.ts';
import { adoptSse, claimStorage, event, ingestEvents, openSocket, roomOf, until } from './room-support.ts';

const ROOM: Category = 'Port';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const isExpiry = (m: { type: string; code?: string }): m is ErrorMessage =>
  m.type === 'error' && m.code === 'token_expired';

/** A viewer token of its own sub that expires `seconds` from now. */
function tokenExpiringIn(seconds: number, sub = uid('expiring')): Promise<string> {
  return token('viewer', sub, { exp: nowSeconds() + seconds });
}

function socketWith(jwt: string, query = '') {
  return openSocket(ROOM, {
    noAuthHeader: true,
    headers: { authorization: `Bearer ${jwt}` },
    ...(query ? { query } : {}),
  });
}

describe.sequential('worker > Room > token expiry', () => {
  beforeAll(async () => {
    await claimStorage('room-expiry');
  });

  it('closes a WebSocket and an SSE stream whose token expires (token_expired, 4401 / event: error), and leaves a longer token’s socket untouched', async () => {
    const exp = nowSeconds() + 2;
    const short = await token('viewer', uid('expiring'), { exp });
    const expiring = await socketWith(short);
    const lasting = await socketWith(await tokenExpiringIn(3600));
    const sseResponse = await SELF.fetch(`${BASE}/api/rooms/${ROOM}/sse`, {
      headers: { authorization: `Bearer ${short}`, accept: 'text/event-stream' },
    });
    expect(sseResponse.status).toBe(200);
    const sse = adoptSse(sseResponse);
    await Promise.all([expiring.hello, lasting.hello, sse.hello]);

    const before = await ingestEvents([event(ROOM)]);
    await Promise.all([expiring.waitForIds(before), lasting.waitForIds(before), sse.waitForIds(before)]);

    const closed = await expiring.closed; // the alarm closes it once exp has passed (about 2 s)
    expect(closed.code).toBe(CLOSE.tokenExpired);
    expect(Date.now(), 'not closed before its exp').toBeGreaterThanOrEqual(exp * 1000);
    const wsError = await expiring.waitFor(isExpiry);
    expect(wsError.message).toMatch(/expired/);

    await sse.ended; // the stream ends after its `event: error`
    expect(sse.messages.some(isExpiry)).toBe(true);

    // The longer token's socket is still served, and the expired ones got nothing more.
    const after = await ingestEvents([event(ROOM)]);
    await lasting.waitForIds(after);
    expect(expiring.ids()).not.toContain(after[0]);
    expect(sse.ids()).not.toContain(after[0]);
    lasting.close();
  });

  it('closes an expiring socket across a hibernation: the expiry lives in the attachment and the alarm wakes the room', async () => {
    const expiring = await socketWith(await tokenExpiringIn(3));
    const lasting = await socketWith(await tokenExpiringIn(3600));
    await Promise.all([expiring.hello, lasting.hello]);
    // The room goes to sleep with both sockets open; a new instance rebuilds them from attachments.
    await evictDurableObject(roomOf(ROOM), { webSockets: 'hibernate' });
    const closed = await expiring.closed;
    expect(closed.code).toBe(CLOSE.tokenExpired);
    expect(expiring.messages.some(isExpiry)).toBe(true);
    const after = await ingestEvents([event(ROOM)]);
    await lasting.waitForIds(after);
    lasting.close();
  });

  it('sets the alarm no later than the earliest expiry, keeps the stats schedule, and takes the longest exp the API allows without an error', async () => {
    const stub = roomOf(ROOM);
    // An exp far in the future (the year 275760) never reaches a room: the door refuses its lifetime (401, not 500).
    const refused = await SELF.fetch(`${BASE}/api/rooms/${ROOM}/ws`, {
      headers: {
        upgrade: 'websocket',
        authorization: `Bearer ${await token('viewer', uid('far'), { exp: 8_640_000_000_000 })}`,
      },
    });
    expect(refused.status).toBe(401);
    // The longest lifetime the API takes (JWT_MAX_LIFETIME_S, a day): beyond the room's alarm horizon.
    const far = await socketWith(await token('viewer', uid('far'), { exp: nowSeconds() + 86_000 }));
    await far.hello;
    const soon = await socketWith(await tokenExpiringIn(30));
    await soon.hello;
    const alarmAt = await until('the alarm to be set for the expiry', () =>
      runInDurableObject(stub, async (_room: Room, state) => {
        const at = await state.storage.getAlarm();
        return at !== null && at <= (nowSeconds() + 30) * 1000 ? at : undefined;
      }),
    );
    expect(alarmAt).toBeGreaterThan(Date.now() - 1000);
    // Both sockets work; nothing threw on the day-long exp (the socket would have been dropped).
    const ids = await ingestEvents([event(ROOM)]);
    await Promise.all([far.waitForIds(ids), soon.waitForIds(ids)]);
    far.close();
    soon.close();
  });

  it('refuses an already expired token at the door (401), so a long-poll simply fails at its next request', async () => {
    // Past the 30 s clock tolerance of the token check (protocol/jwt.ts).
    const expired = await token('viewer', uid('late'), { iat: nowSeconds() - 120, exp: nowSeconds() - 60 });
    const socket = await SELF.fetch(`${BASE}/api/rooms/${ROOM}/ws`, {
      headers: { upgrade: 'websocket', authorization: `Bearer ${expired}` },
    });
    expect(socket.status).toBe(401);
    const poll = await SELF.fetch(`${BASE}/api/events?category=${ROOM}&after=0&wait=1`, {
      headers: { authorization: `Bearer ${expired}` },
    });
    expect(poll.status).toBe(401);
  });
});
