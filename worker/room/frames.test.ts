import { describe, expect, it } from 'vitest';
import type { Change } from '../../protocol/event.ts';
import { framesOf, sseFrame } from './frames.ts';

const change = (seq: number, pad = 0): Change =>
  ({ id: `e${seq}`, seq, category: 'Port', deleted: true, ...(pad ? { pad: 'x'.repeat(pad) } : {}) }) as Change;

describe('worker > room > frames > framesOf', () => {
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
    expect(frames.map((f) => f.lastSeq)).toEqual(
      frames.map((f) => (JSON.parse(f.json) as { events: Change[] }).events.at(-1)!.seq),
    );
  });

  it('gives an oversized single change a frame of its own, and nothing for no changes', () => {
    expect(framesOf([change(7, 5000)], 1000)).toHaveLength(1);
    expect(framesOf([], 1000)).toEqual([]);
  });
});

describe('worker > room > frames > sseFrame', () => {
  it('writes each frame the room sends, byte for byte as the stream has always carried them', () => {
    expect(sseFrame({ id: 12, data: '{"type":"events","events":[]}' })).toBe(
      'id: 12\ndata: {"type":"events","events":[]}\n\n',
    );
    expect(sseFrame({ data: '{"type":"presence","connections":2}' })).toBe(
      'data: {"type":"presence","connections":2}\n\n',
    );
    expect(sseFrame({ retry: 2000 })).toBe('retry: 2000\n\n');
    expect(sseFrame({ retry: 750, data: '{"type":"reconnect"}' })).toBe('retry: 750\ndata: {"type":"reconnect"}\n\n');
    expect(sseFrame({ event: 'error', data: '{"type":"error"}' })).toBe('event: error\ndata: {"type":"error"}\n\n');
    expect(sseFrame({ comment: 'hb 41' })).toBe(': hb 41\n\n');
  });

  it('keeps seq 0 as an id (only a missing field is left out)', () => {
    expect(sseFrame({ id: 0, data: '{}' })).toBe('id: 0\ndata: {}\n\n');
  });
});
