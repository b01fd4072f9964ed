import { describe, expect, it } from 'vitest';
import type { Severity } from '../../protocol/enums.ts';
import type { Change } from '../../protocol/event.ts';
import { sampleEvent, sampleTombstone } from '../../protocol/fixtures.ts';
import { RecentChanges } from './recent-changes.ts';

const ev = (id: string, seq: number, severity: Severity = 'Low'): Change =>
  sampleEvent({ id, seq, severity, category: 'Ship' });
const tomb = (id: string, seq: number): Change => sampleTombstone({ id, seq, category: 'Ship' });

describe('worker > room > RecentChanges', () => {
  it('covers exactly (from, to] and serves the changes above a cursor in seq order', () => {
    const r = new RecentChanges(10, 100);
    r.append([ev('a', 101), ev('b', 102)], 102);
    r.append([], 103); // a seq that stored nothing still moves the covered range
    r.append([ev('c', 104)], 104);
    expect(r.covers(99)).toBe(false);
    expect(r.covers(100)).toBe(true);
    expect(r.covers(105)).toBe(false);
    expect(r.after(100, null).map((c) => c.seq)).toEqual([101, 102, 104]);
    expect(r.after(102, null).map((c) => c.seq)).toEqual([104]);
  });

  it('drops the oldest beyond capacity and moves `from` to the last dropped seq', () => {
    const r = new RecentChanges(3, 0);
    for (let i = 1; i <= 10; i++) r.append([ev(`e${i}`, i)], i);
    expect(r.size).toBe(3);
    expect(r.from).toBe(7);
    expect(r.covers(6)).toBe(false);
    expect(r.after(7, null).map((c) => c.seq)).toEqual([8, 9, 10]);
  });

  it('hides an entry superseded by a later change of the same id (as D1 keeps one row per id)', () => {
    const r = new RecentChanges(10, 0);
    r.append([ev('a', 1), ev('b', 2)], 2);
    r.append([tomb('a', 3)], 3);
    expect(r.after(0, null)).toEqual([ev('b', 2), tomb('a', 3)]);
  });

  it('filters by severity and always lets tombstones through', () => {
    const r = new RecentChanges(10, 0);
    r.append([ev('a', 1, 'Critical'), ev('b', 2, 'Low'), tomb('c', 3)], 3);
    expect(r.after(0, ['Critical']).map((c) => c.id)).toEqual(['a', 'c']);
  });

  it('reset forgets everything and covers only its own point', () => {
    const r = new RecentChanges(10, 0);
    r.append([ev('a', 1)], 1);
    r.reset(5);
    expect(r.covers(1)).toBe(false);
    expect(r.covers(5)).toBe(true);
    expect(r.after(5, null)).toEqual([]);
  });
});
