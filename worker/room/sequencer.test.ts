import { describe, expect, it } from 'vitest';
import { sampleNewEvent } from '../../protocol/fixtures.ts';
import { takeInsertGroup, type Pending } from './sequencer.ts';

const insert = (n: number): Pending => ({
  kind: 'insert',
  events: Array.from({ length: n }, (_, i) => sampleNewEvent({ id: `e${n}-${i}` })),
  outbox: false,
  resolve: () => undefined,
  reject: () => undefined,
});
const change = (): Pending => ({
  kind: 'change',
  request: {} as never,
  resolve: () => undefined,
  reject: () => undefined,
});

describe('worker > room > sequencer > takeInsertGroup', () => {
  it('group-commits consecutive inserts up to the event bound, leaving the rest queued', () => {
    const queue = [insert(3), insert(4), insert(5)];
    const group = takeInsertGroup(queue, 8);
    expect(group.map((p) => p.events.length)).toEqual([3, 4]);
    expect(queue.map((p) => (p.kind === 'insert' ? p.events.length : 'change'))).toEqual([5]);
  });

  it('stops at a workflow change (it is applied alone, in arrival order), and takes an oversized insert alone', () => {
    const queue = [insert(2), change(), insert(1)];
    expect(takeInsertGroup(queue, 100).map((p) => p.events.length)).toEqual([2]);
    expect(queue[0]!.kind).toBe('change');
    expect(takeInsertGroup(queue, 100)).toEqual([]);
    const big = [insert(9), insert(1)];
    expect(takeInsertGroup(big, 5).map((p) => p.events.length)).toEqual([9]);
  });
});
