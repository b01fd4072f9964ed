import { describe, expect, it } from 'vitest';
import { eventId, eventIndex, expects, planOf } from './plan.ts';

describe('bench > plan', () => {
  const rooms = ['Container', 'Ship'] as const;

  it('spreads events over the rooms and cycles severities per turn', () => {
    expect([0, 1, 2, 3].map((n) => planOf(n, rooms))).toEqual([
      { room: 'Container', severity: 'Critical' },
      { room: 'Ship', severity: 'Critical' },
      { room: 'Container', severity: 'High' },
      { room: 'Ship', severity: 'High' },
    ]);
  });

  it('round-trips ids and ignores other runs', () => {
    expect(eventIndex('r1', eventId('r1', 42))).toBe(42);
    expect(eventIndex('r1', 'r12-3')).toBe(-1);
    expect(eventIndex('r1', 'r1-x')).toBe(-1);
  });

  it('expects the events of a room that pass the filter', () => {
    expect(expects(0, rooms, 'Container', null)).toBe(true);
    expect(expects(1, rooms, 'Container', null)).toBe(false);
    expect(expects(2, rooms, 'Container', ['Critical'])).toBe(false);
    expect(expects(2, rooms, 'Container', ['High'])).toBe(true);
  });
});
