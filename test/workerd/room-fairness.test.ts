/**
 * Rooms one client cannot tie up: an `ack` counts only for seqs the socket was sent (a socket
 * that acks without reading is still shed), and replay reads are shared per token (one token's
 * many resuming sockets cannot hold every slot). Own runtime (room-support.ts).
 */
import { runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Category } from '../../protocol/enums.ts';
import { CLOSE, type ReconnectMessage } from '../../protocol/room.ts';
import { DEFAULT_ROOM_LIMITS, type RoomLimits } from '../../worker/room/limits.ts';
import type { Room } from '../../worker/room/room.ts';
import { token, uid } from './helpers.ts';
import {
  claimStorage,
  event,
  expectStreamMatchesD1,
  ingestEvents,
  ingestMany,
  openSocket,
  roomOf,
  strictlyIncreasing,
} from './room-support.ts';

const ACK_ROOM: Category = 'Ship';
const REPLAY_ROOM: Category = 'Berth';

async function tighten(room: Category, limits: Partial<RoomLimits>): Promise<void> {
  await runInDurableObject(roomOf(room), (r: Room) => {
    Object.assign(r.limits, limits);
  });
}

const isReconnect = (m: { type: string }): m is ReconnectMessage => m.type === 'reconnect';

describe.sequential('worker > Room > fairness', () => {
  beforeAll(async () => {
    await claimStorage('room-fairness');
  });

  afterEach(async () => {
    for (const room of [ACK_ROOM, REPLAY_ROOM]) await tighten(room, DEFAULT_ROOM_LIMITS);
  });

  for (const [name, lie] of [
    ['the largest safe integer', () => Number.MAX_SAFE_INTEGER],
    ['a seq just ahead of the room', (last: number) => last + 1],
  ] as const) {
    it(`sheds a socket that acks ${name} — seqs it was never sent — past maxUnackedBytes, while an honest acking socket keeps going`, async () => {
      const liar = await openSocket(ACK_ROOM);
      const honest = await openSocket(ACK_ROOM, { autoAck: true });
      await Promise.all([liar.hello, honest.hello]);
      // Acks on every frame, as a reading client would, but for a seq beyond anything it was sent.
      let last = (await liar.hello).lastSeq;
      liar.ws.addEventListener('message', () => {
        if (liar.ws.readyState !== WebSocket.OPEN) return;
        last += 1_000;
        liar.ws.send(JSON.stringify({ type: 'ack', seq: lie(last) }));
      });
      await tighten(ACK_ROOM, { maxUnackedBytes: 6_000, fixedSendWindowMs: 0 });

      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(...(await ingestEvents(Array.from({ length: 5 }, () => event(ACK_ROOM)))));
      const reconnect = await liar.waitFor(isReconnect);
      expect(reconnect.reason).toBe('slow_consumer');
      expect((await liar.closed).code).toBe(CLOSE.tryAgainLater);
      await honest.waitForIds(ids);
      expect(honest.messages.some(isReconnect)).toBe(false);
      honest.close();
    });
  }

  it("shares replay slots per token: one token's six resuming sockets never hold more than its share, another token's resume is served, every replay is exact", async () => {
    const probe = await openSocket(REPLAY_ROOM);
    const base = (await probe.hello).lastSeq;
    probe.close();
    await ingestMany(REPLAY_ROOM, 900, 300); // beyond the 500 changes in memory: the replays page from D1
    await tighten(REPLAY_ROOM, { maxConcurrentReplays: 2, replaySlotsPerToken: 1, replayPageEvents: 50 });

    const hog = await token('viewer', uid('hog'));
    const hogs = await Promise.all(
      Array.from({ length: 6 }, () =>
        openSocket(REPLAY_ROOM, {
          query: `after=${base}`,
          autoAck: true,
          noAuthHeader: true,
          headers: { authorization: `Bearer ${hog}` },
        }),
      ),
    );
    const other = await openSocket(REPLAY_ROOM, {
      query: `after=${base}`,
      autoAck: true,
      noAuthHeader: true,
      headers: { authorization: `Bearer ${await token('viewer', uid('other'))}` },
    });
    const fenceIds = await ingestEvents([event(REPLAY_ROOM)]);
    for (const c of [other, ...hogs]) await c.waitForIds(fenceIds, 30_000);
    for (const [i, c] of [other, ...hogs].entries()) {
      expect(strictlyIncreasing(c.seqs())).toBe(true);
      await expectStreamMatchesD1(c, REPLAY_ROOM, base, undefined, `replay ${i}`);
    }
    const peak = await runInDurableObject(roomOf(REPLAY_ROOM), (r: Room) => r.replay.peakPerHolder);
    expect(peak, 'no token held more than its one slot').toBe(1);
    for (const c of [other, ...hogs]) c.close();
  });
});
