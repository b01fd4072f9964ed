import { describe, expect, it } from 'vitest';
import type { MoveRow } from '../db/archive.ts';
import { planRange, staysHot } from './mover.ts';

const row = (seq: number, extra: Partial<MoveRow> = {}): MoveRow => ({
  id: `e${seq}`,
  seq,
  category: 'Ship',
  severity: 'Low',
  status: 'New',
  requires_action: 0,
  deleted: 0,
  doc: '{}',
  received_at: seq,
  updated_at: seq,
  unpublished: 0,
  ...extra,
});

describe('archive > planning a move', () => {
  it('takes the rows in seq order up to the first one inside the hot window', () => {
    const rows = [row(1), row(2), row(3, { updated_at: 100 }), row(4)];
    expect(planRange(rows, 50, 1e9).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('stops before a row whose outbox entry is unpublished (Kafka must have it before it leaves D1)', () => {
    expect(planRange([row(1), row(2, { unpublished: 1 }), row(3)], 50, 1e9).map((r) => r.seq)).toEqual([1]);
  });

  it('stops after the last change the rule runner has read (its cursor): the rules read D1 only', () => {
    expect(planRange([row(1), row(2), row(3)], 50, 1e9, 2).map((r) => r.seq)).toEqual([1, 2]);
    expect(planRange([row(5), row(6)], 50, 1e9, 4)).toEqual([]);
  });

  it('stops at the byte bound, but always takes at least one row', () => {
    const big = (seq: number) => row(seq, { doc: 'x'.repeat(600) });
    expect(planRange([big(1), big(2), big(3)], 50, 1000).map((r) => r.seq)).toEqual([1]);
    expect(planRange([row(1, { doc: 'x'.repeat(5000) })], 50, 1000)).toHaveLength(1);
  });

  it('keeps an open action hot; informational events, done actions and tombstones move', () => {
    expect(staysHot(row(1, { requires_action: 1, status: 'New' }))).toBe(true);
    expect(staysHot(row(1, { requires_action: 1, status: 'InProgress' }))).toBe(true);
    expect(staysHot(row(1, { requires_action: 1, status: 'Resolved' }))).toBe(false);
    expect(staysHot(row(1, { requires_action: 1, status: 'Closed' }))).toBe(false);
    expect(staysHot(row(1, { requires_action: 1, status: 'New', deleted: 1 }))).toBe(false);
    expect(staysHot(row(1, { requires_action: 0, status: 'New' }))).toBe(false);
  });
});
