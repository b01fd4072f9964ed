import { createRoot } from 'solid-js';
import { describe, expect, it } from 'vitest';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import { sampleEvent } from '../../../protocol/fixtures.ts';
import { createFeedStore } from './feed.ts';

const at = (n: number) => new Date(Date.UTC(2026, 10, 29, 8, 0, n)).toISOString();
const ev = (id: string, seq: number, n: number, patch: Partial<QuaycastEvent> = {}): QuaycastEvent =>
  sampleEvent({ id, seq, severity: 'Low', title: id, eventTime: at(n), createdAt: at(n), receivedAt: at(n), ...patch });

function withFeed(run: (f: ReturnType<typeof createFeedStore>) => void) {
  createRoot((dispose) => {
    run(createFeedStore({ schedule: () => {}, now: () => Date.parse(at(100)) }));
    dispose();
  });
}

describe('web > feed store', () => {
  it('keeps events newest first and applies queued changes in one frame', () => {
    withFeed(([state, a]) => {
      a.enqueue([ev('a', 1, 1), ev('b', 2, 3)]);
      a.enqueue([ev('c', 3, 2)]);
      expect(state.order).toEqual([]);
      a.flush();
      expect(state.order).toEqual(['b', 'c', 'a']);
      expect(state.version).toBe(1);
    });
  });

  it('drops a change whose id+seq it already has (replays, overlapping transports)', () => {
    withFeed(([state, a]) => {
      a.snapshot([ev('a', 5, 1)]);
      a.enqueue([ev('a', 5, 1), ev('a', 4, 1, { title: 'older' })]);
      a.flush();
      expect(state.order).toEqual(['a']);
      expect(state.byId.a!.title).toBe('a');
      expect(state.duplicates).toBe(2);
    });
  });

  it('replaces an event by id when a newer seq arrives, keeping its place', () => {
    withFeed(([state, a]) => {
      a.snapshot([ev('a', 1, 1), ev('b', 2, 2)]);
      a.enqueue([ev('a', 3, 1, { status: 'Acknowledged', acknowledgedBy: 'ops' })]);
      a.flush();
      expect(state.order).toEqual(['b', 'a']);
      expect(state.byId.a).toMatchObject({ seq: 3, status: 'Acknowledged', acknowledgedBy: 'ops' });
    });
  });

  it('removes an event on its tombstone and never brings an older state back', () => {
    withFeed(([state, a]) => {
      a.snapshot([ev('a', 1, 1), ev('b', 2, 2)]);
      a.enqueue([{ id: 'a', seq: 7, category: 'Container', deleted: true }]);
      a.flush();
      expect(state.order).toEqual(['b']);
      expect(state.byId.a).toBeUndefined();
      a.enqueue([ev('a', 6, 1)]); // a late replay of the pre-delete state
      a.flush();
      expect(state.order).toEqual(['b']);
    });
  });

  it("keeps the caller's read state across room pushes, which do not carry it", () => {
    withFeed(([state, a]) => {
      a.snapshot([{ ...ev('a', 1, 1), read: true } as QuaycastEvent]);
      a.enqueue([ev('a', 2, 1, { status: 'Acknowledged' })]);
      a.flush();
      expect(a.isRead(state.byId.a!)).toBe(true);
    });
  });

  it('rolls an optimistic change back unless the server moved the event on meanwhile', () => {
    withFeed(([state, a]) => {
      a.snapshot([ev('a', 1, 1), ev('b', 2, 2)]);
      const undoA = a.patchLocal('a', { status: 'Acknowledged' });
      expect(state.byId.a!.status).toBe('Acknowledged');
      undoA();
      expect(state.byId.a!.status).toBe('New');
      const undoB = a.patchLocal('b', { status: 'Closed' });
      a.enqueue([ev('b', 9, 2, { status: 'Resolved' })]);
      a.flush();
      undoB();
      expect(state.byId.b!.status).toBe('Resolved');
    });
  });

  it('holds at most `max` events, dropping the oldest', () => {
    createRoot((dispose) => {
      const [state, a] = createFeedStore({ schedule: () => {}, max: 3 });
      a.snapshot([1, 2, 3, 4, 5].map((n) => ev(`e${n}`, n, n)));
      expect(state.order).toEqual(['e5', 'e4', 'e3']);
      expect(state.byId.e1).toBeUndefined();
      dispose();
    });
  });
});
