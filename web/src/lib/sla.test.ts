import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES, STATUSES } from '../../../protocol/enums.ts';
import {
  WARNING_FRACTION,
  formatSpan,
  parseClock,
  shiftAt,
  slaClock,
  slaDescription,
  slaState,
  slaText,
  targetFor,
  type SlaTarget,
} from './sla.ts';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const targets: SlaTarget[] = [
  { severity: 'Critical', category: null, ackMinutes: 5, resolveMinutes: 60 },
  { severity: 'Critical', category: 'Berth', ackMinutes: 2, resolveMinutes: 30 },
  { severity: 'Low', category: null, ackMinutes: 240, resolveMinutes: 2880 },
];
const ev = (status: (typeof STATUSES)[number], category: (typeof CATEGORIES)[number] = 'Container') => ({
  category,
  severity: 'Critical' as const,
  status,
  receivedAt: new Date(T0).toISOString(),
});

describe('web > sla > targetFor', () => {
  it('takes a category override over the severity-only target', () => {
    expect(targetFor(targets, 'Berth', 'Critical')?.ackMinutes).toBe(2);
    expect(targetFor(targets, 'Ship', 'Critical')?.ackMinutes).toBe(5);
    expect(targetFor(targets, 'Ship', 'High')).toBeUndefined();
  });
});

describe('web > sla > slaClock', () => {
  it('runs against the ack target while New, from receivedAt', () => {
    const c = slaClock(ev('New'), targets, T0 + 60_000)!;
    expect(c).toMatchObject({
      phase: 'ack',
      targetMs: 300_000,
      dueAt: T0 + 300_000,
      remainingMs: 240_000,
      state: 'ok',
    });
    expect(slaText(c)).toBe('Ack in 4 min');
  });
  it('turns amber under a quarter left and red once breached, saying so', () => {
    const warn = slaClock(ev('New'), targets, T0 + 230_000)!;
    expect(warn.state).toBe('warning');
    expect(slaText(warn)).toBe('Ack due soon: 1 min 10 s');
    const late = slaClock(ev('New'), targets, T0 + 480_000)!;
    expect(late.state).toBe('breached');
    expect(slaText(late)).toBe('Ack breached 3 min ago');
    expect(slaDescription(late)).toBe('Target to acknowledge: 5 min; breached 3 min ago');
  });
  it('moves to the resolve target once out of New and stops at Resolved or Closed', () => {
    for (const s of ['Acknowledged', 'InProgress'] as const)
      expect(slaClock(ev(s), targets, T0 + 600_000)).toMatchObject({ phase: 'resolve', remainingMs: 3_000_000 });
    expect(slaClock(ev('Resolved'), targets, T0)).toBeUndefined();
    expect(slaClock(ev('Closed'), targets, T0)).toBeUndefined();
  });
  it('shows nothing without a target or with an unreadable receivedAt', () => {
    expect(slaClock({ ...ev('New'), severity: 'High' }, targets, T0)).toBeUndefined();
    expect(slaClock({ ...ev('New'), receivedAt: 'soon' }, targets, T0)).toBeUndefined();
  });

  const arb = fc.record({
    category: fc.constantFrom(...CATEGORIES),
    severity: fc.constantFrom(...SEVERITIES),
    status: fc.constantFrom(...STATUSES),
    ack: fc.integer({ min: 1, max: 10_000 }),
    resolve: fc.integer({ min: 1, max: 100_000 }),
    received: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    elapsed: fc.integer({ min: -1_000_000, max: 10_000_000_000 }),
  });
  it('property: remaining = receivedAt + target − now, and the state follows the fraction left', () => {
    fc.assert(
      fc.property(arb, (a) => {
        const ts: SlaTarget[] = [
          { severity: a.severity, category: null, ackMinutes: a.ack, resolveMinutes: a.resolve },
        ];
        const e = { ...a, receivedAt: new Date(a.received).toISOString() };
        const c = slaClock(e, ts, a.received + a.elapsed);
        if (a.status === 'Resolved' || a.status === 'Closed') return c === undefined;
        const target = (a.status === 'New' ? a.ack : a.resolve) * 60_000;
        expect(c!.remainingMs).toBe(target - a.elapsed);
        expect(c!.state).toBe(
          a.elapsed >= target ? 'breached' : target - a.elapsed < target * WARNING_FRACTION ? 'warning' : 'ok',
        );
        return true;
      }),
    );
  });
  it('property: time only moves a countdown forward through ok → warning → breached', () => {
    const rank = { ok: 0, warning: 1, breached: 2 } as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: -1e9, max: 2e9 }), fc.nat(1e9), (t, r, d) => {
        expect(rank[slaState(r - d, t)]).toBeGreaterThanOrEqual(rank[slaState(r, t)]);
      }),
    );
  });
});

describe('web > sla > formatSpan', () => {
  it.each([
    [0, '0 s'],
    [45_400, '45 s'],
    [250_000, '4 min 10 s'],
    [300_000, '5 min'],
    [2_520_000, '42 min'],
    [7_500_000, '2 h 5 min'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 4 h'],
    [-180_000, '3 min'],
  ])('%i ms → %s', (ms, text) => expect(formatSpan(ms)).toBe(text));
  it('property: never empty, never negative, whatever the input', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e13, max: 1e13 }), (ms) =>
        /^\d+ (s|min|h|d)( \d+ (s|min|h))?$/.test(formatSpan(ms)),
      ),
    );
  });
});

describe('web > sla > shifts', () => {
  const shifts = [
    { name: 'Early', start: '06:00' },
    { name: 'Late', start: '14:00' },
    { name: 'Night', start: '22:00' },
  ];
  it('reads HH:MM and rejects the rest', () => {
    expect(parseClock('06:30')).toBe(390);
    for (const bad of ['6:30', '24:00', '12:60', '', '12:00 ']) expect(parseClock(bad)).toBeUndefined();
  });
  it('wraps the last shift past midnight', () => {
    expect(shiftAt(shifts, 0)?.name).toBe('Night');
    expect(shiftAt(shifts, 5 * 60 + 59)?.name).toBe('Night');
    expect(shiftAt(shifts, 6 * 60)?.name).toBe('Early');
    expect(shiftAt(shifts, 22 * 60)?.name).toBe('Night');
    expect(shiftAt([], 10)).toBeUndefined();
  });
});
