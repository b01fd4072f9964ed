/**
 * The supervisor under any sequence of what rooms, networks and users do: hellos, changes in and
 * out of order, every close code the rooms use, `reconnect`, SSE errors, time passing, offline
 * and online, filter changes and resumes. Whatever happens, it holds at most one connection, its
 * cursor is the highest seq delivered (never lower), nothing from a connection it left is
 * delivered, every connection carries the cursor, waits are bounded, and after `stop()` nothing
 * is open or opened again.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SEVERITIES } from '../../../../protocol/enums.ts';
import { sampleEvent } from '../../../../protocol/fixtures.ts';
import { fakeRoomEnv, type FakeEventSource, type FakeSocket } from '../../test/room-fakes.ts';
import { RoomClient } from './supervisor.ts';

const CLOSE_CODES = [1000, 1006, 1011, 1012, 1013, 4001, 4401, 4429];

type Step =
  | { kind: 'hello' }
  | { kind: 'events'; count: number; replayed: boolean }
  | { kind: 'stale' }
  | { kind: 'close'; code: number }
  | { kind: 'reconnect'; afterMs: number }
  | { kind: 'sseError' }
  | { kind: 'advance'; ms: number }
  | { kind: 'network'; online: boolean }
  | { kind: 'severities'; list: (typeof SEVERITIES)[number][] | undefined }
  | { kind: 'resume' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'hello' } as const),
  fc.record({ kind: fc.constant('events' as const), count: fc.integer({ min: 1, max: 4 }), replayed: fc.boolean() }),
  fc.constant({ kind: 'stale' } as const),
  fc.record({ kind: fc.constant('close' as const), code: fc.constantFrom(...CLOSE_CODES) }),
  fc.record({ kind: fc.constant('reconnect' as const), afterMs: fc.integer({ min: 500, max: 10_000 }) }),
  fc.constant({ kind: 'sseError' } as const),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 70_000 }) }),
  fc.record({ kind: fc.constant('network' as const), online: fc.boolean() }),
  fc.record({
    kind: fc.constant('severities' as const),
    list: fc.option(fc.subarray([...SEVERITIES]), { nil: undefined }),
  }),
  fc.constant({ kind: 'resume' } as const),
);

/** Longest wait the client may plan: the backoff's cap, or a `reconnect`'s afterMs, plus jitter. */
const MAX_WAIT_MS = 30_000 + 1_000;

describe('web > room-client > RoomClient (property)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('holds one connection at most, keeps its cursor at the highest seq delivered, delivers nothing stale, and stops for good', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000 }), fc.array(step, { maxLength: 40 }), async (start, steps) => {
        let online = true;
        // Every connection as it opened, in order (sockets and event sources interleave when the
        // client falls back to SSE and back): its URL and the client's cursor at that moment.
        let opens: { url: string; cursor: number | undefined }[] = [];
        const { env, sockets, sources } = fakeRoomEnv({
          online: () => online,
          onSocket: (socket) => opens.push({ url: socket.url, cursor: client.cursor }),
        });
        const openSource = env.openEventSource;
        env.openEventSource = (url) => {
          opens.push({ url, cursor: client.cursor });
          return openSource(url);
        };
        const delivered: number[] = [];
        const onChanges = (cs: { seq: number }[]) => delivered.push(...cs.map((c) => c.seq));
        const client = new RoomClient({
          category: 'Ship',
          origin: 'http://dash.test',
          token: () => 'T',
          cursor: start,
          env,
          onChanges,
        });
        let roomSeq = start;
        let lastCursor = start;
        const unclosed = (): (FakeSocket | FakeEventSource)[] => [...sockets, ...sources].filter((c) => !c.closed);
        const current = () => unclosed()[0];
        const push = (c: FakeSocket | FakeEventSource, m: unknown) => ('push' in c ? c.push(m) : c.emit(m));

        client.start();
        for (const s of steps) {
          const c = current();
          switch (s.kind) {
            case 'hello':
              if (c && 'push' in c) c.hello(roomSeq);
              else if (c) {
                c.onopen?.({});
                c.emit({ type: 'hello', room: 'Ship', connections: 1, lastSeq: roomSeq });
              }
              break;
            case 'events': {
              if (!c) break;
              const seqs = Array.from({ length: s.count }, () => ++roomSeq);
              if (s.replayed) seqs.push(Math.max(0, roomSeq - 5)); // an old change again, out of order
              push(c, {
                type: 'events',
                events: seqs.map((seq) => sampleEvent({ id: `e${seq}`, seq, category: 'Ship' })),
              });
              break;
            }
            case 'stale': {
              const left = [...sockets].reverse().find((x) => x.closed);
              const before = delivered.length;
              left?.push({ type: 'events', events: [sampleEvent({ id: 'stale', seq: ++roomSeq, category: 'Ship' })] });
              expect(delivered).toHaveLength(before);
              break;
            }
            case 'close':
              if (c && 'push' in c) c.close(s.code);
              break;
            case 'reconnect':
              if (c) push(c, { type: 'reconnect', afterMs: s.afterMs, reason: 'drain' });
              if (c && 'push' in c) c.close(1012);
              else c?.onerror?.({});
              break;
            case 'sseError':
              if (c && !('push' in c)) c.onerror?.({});
              break;
            case 'advance':
              await vi.advanceTimersByTimeAsync(s.ms);
              break;
            case 'network':
              online = s.online;
              if (online) client.wentOnline();
              else client.wentOffline();
              break;
            case 'severities':
              client.setSeverities(s.list);
              break;
            case 'resume':
              client.resume();
              break;
          }
          await vi.advanceTimersByTimeAsync(0);

          expect(unclosed().length).toBeLessThanOrEqual(1);
          const cursor = client.cursor!;
          expect(cursor).toBeGreaterThanOrEqual(lastCursor);
          expect(cursor).toBe(Math.max(start, ...delivered));
          lastCursor = cursor;
          if (client.status.state === 'waiting')
            expect(client.status.retryAt! - Date.now()).toBeLessThanOrEqual(MAX_WAIT_MS);
        }
        // Every connection asked for what came after the cursor it had when it opened. (Compared in
        // the order they opened: sockets first, then sources, failed on a fallback to SSE and back,
        // fast-check counterexample [advance 20375, events 1, hello, advance 60000].)
        expect(opens).toHaveLength(sockets.length + sources.length);
        for (const o of opens) expect(new URL(o.url).searchParams.get('after')).toBe(String(o.cursor));

        client.stop();
        const opened = sockets.length + sources.length;
        await vi.advanceTimersByTimeAsync(10 * 60_000);
        expect(unclosed()).toEqual([]);
        expect(sockets.length + sources.length).toBe(opened);
        opens = [];
      }),
      {
        numRuns: 150,
        // Counterexample of a run in the full suite (socket, socket, event source, socket: the old
        // check compared sockets first, then sources); replayed every time.
        examples: [
          [
            0,
            [
              { kind: 'advance', ms: 20_375 },
              { kind: 'events', count: 1, replayed: false },
              { kind: 'hello' },
              { kind: 'advance', ms: 60_000 },
            ],
          ],
        ],
      },
    );
  });
});
