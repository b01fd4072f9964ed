import { describe, expect, it } from 'vitest';
import type { Change } from '../protocol/event.ts';
import { framesOf, takeDelivery } from './room-frames.ts';
import type { ShardDelivery } from './room-rpc.ts';

const change = (seq: number, pad = 0): Change => ({ id: `e${seq}`, seq, category: 'Port', deleted: true, ...(pad ? { pad: 'x'.repeat(pad) } : {}) }) as Change;

describe('worker > room-frames > framesOf', () => {
  it('puts a batch that fits in one frame, tagged with its last seq', () => {
    const frames = framesOf([change(1), change(2), change(3)], 10_000);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.lastSeq).toBe(3);
    expect(JSON.parse(frames[0]!.json)).toEqual({ type: 'events', events: [change(1), change(2), change(3)] });
  });

  it('splits a batch over the byte bound, keeping seq order and every change once', () => {
    const changes = Array.from({ length: 10 }, (_, i) => change(i + 1, 300));
    const frames = framesOf(changes, 1000);
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f.json.length).toBeLessThanOrEqual(1000 + 400);
    const seqs = frames.flatMap((f) => (JSON.parse(f.json) as { events: Change[] }).events.map((c) => c.seq));
    expect(seqs).toEqual(changes.map((c) => c.seq));
    expect(frames.map((f) => f.lastSeq)).toEqual(frames.map((f) => (JSON.parse(f.json) as { events: Change[] }).events.at(-1)!.seq));
  });

  it('gives an oversized single change a frame of its own, and nothing for no changes', () => {
    expect(framesOf([change(7, 5000)], 1000)).toHaveLength(1);
    expect(framesOf([], 1000)).toEqual([]);
  });
});

describe('worker > room-frames > takeDelivery', () => {
  const d = (after: number, upTo: number, uncertain = false): ShardDelivery => ({ after, upTo, changes: [change(upTo)], uncertain });

  it('merges contiguous deliveries up to the change bound and leaves the rest queued', () => {
    const queue = [d(0, 1), d(1, 2), d(2, 3)];
    const merged = takeDelivery(queue, 2);
    expect(merged).toMatchObject({ after: 0, upTo: 2, uncertain: false });
    expect(merged.changes.map((c) => c.seq)).toEqual([1, 2]);
    expect(queue).toEqual([d(2, 3)]);
  });

  it('marks a merge across a gap, or with an uncertain part, as uncertain', () => {
    expect(takeDelivery([d(0, 1), d(5, 6)], 10).uncertain).toBe(true);
    expect(takeDelivery([d(0, 1), d(1, 2, true)], 10).uncertain).toBe(true);
  });
});
