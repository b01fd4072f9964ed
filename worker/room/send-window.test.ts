import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SendWindow, type SendWindowPolicy } from './send-window.ts';

/** Float slack for sums of milliseconds. */
const EPS = 1e-6;

const policyArb = fc.record({
  sendBudgetPerSecond: fc.integer({ min: 100, max: 200_000 }),
  maxSendDelayMs: fc.integer({ min: 0, max: 500 }),
});

/** Changes settling: a gap (ms) since the previous one and the room's subscriber count then. */
const arrivalsArb = fc.array(
  fc.record({
    gapMs: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 300, noNaN: true })),
    subscribers: fc.integer({ min: 0, max: 20_000 }),
  }),
  { minLength: 1, maxLength: 200 },
);

type Flush = { at: number; sends: number };

/**
 * What Fanout does with the window: a settle joins a pending flush, else flushes at once when the
 * wait is 0, else arms a timer for the wait. Returns each change's delay and the flushes made.
 */
function simulate(arrivals: { gapMs: number; subscribers: number }[], policy: SendWindowPolicy) {
  const window = new SendWindow();
  const flushes: Flush[] = [];
  const delays: number[] = [];
  let now = 0;
  let timerAt: number | undefined;
  let pending: number[] = [];
  let subscribers = 0;
  const flush = (at: number) => {
    for (const t of pending) delays.push(at - t);
    pending = [];
    const sends = subscribers;
    window.flushed(at, sends, policy);
    flushes.push({ at, sends });
  };
  for (const a of arrivals) {
    const next = now + a.gapMs;
    if (timerAt !== undefined && timerAt <= next) {
      flush(timerAt);
      timerAt = undefined;
    }
    now = next;
    subscribers = a.subscribers;
    pending.push(now);
    if (timerAt !== undefined) continue;
    const wait = window.waitMs(now, policy);
    if (wait <= 0) flush(now);
    else timerAt = now + wait;
  }
  if (timerAt !== undefined) flush(timerAt);
  return { delays, flushes };
}

describe('worker > room > send-window', () => {
  it('sends at once when the room is quiet (leading edge)', () => {
    const w = new SendWindow();
    const policy = { sendBudgetPerSecond: 20_000, maxSendDelayMs: 100 };
    expect(w.waitMs(0, policy)).toBe(0);
    w.flushed(0, 2_000, policy); // costs 100 ms of budget, within the tolerance: the next may go at once
    expect(w.waitMs(1, policy)).toBe(0);
    w.flushed(1, 2_000, policy); // now 200 ms of budget are spent ahead: wait until it is 100 ms ahead
    expect(w.waitMs(2, policy)).toBe(98);
    expect(w.waitMs(100, policy)).toBe(0);
  });

  it('holds a steady stream over budget to the budget: 2,000 subscribers × 20 events/s at 20,000 sends/s', () => {
    const policy = { sendBudgetPerSecond: 20_000, maxSendDelayMs: 100 };
    const arrivals = Array.from({ length: 400 }, () => ({ gapMs: 50, subscribers: 2_000 }));
    const { flushes, delays } = simulate(arrivals, policy);
    const sends = flushes.reduce((n, f) => n + f.sends, 0);
    const seconds = 400 * 0.05;
    // 40,000 sends/s without a window; the budget's 20,000/s plus one tolerance's burst with it.
    expect(sends).toBeLessThanOrEqual(20_000 * seconds + 2_000 + 2_000);
    expect(sends).toBeGreaterThanOrEqual(20_000 * (seconds - 0.2));
    expect(Math.max(...delays)).toBeLessThanOrEqual(100);
  });

  it('a room one flush of which costs more than the bound flushes every bound, over budget', () => {
    const policy = { sendBudgetPerSecond: 1_000, maxSendDelayMs: 50 };
    const arrivals = Array.from({ length: 100 }, () => ({ gapMs: 10, subscribers: 10_000 }));
    const { flushes, delays } = simulate(arrivals, policy);
    expect(Math.max(...delays)).toBeLessThanOrEqual(50);
    // every 50 ms (the first at once): 1,000 ms / 50 = 20 flushes, give or take the edges
    expect(flushes.length).toBeGreaterThanOrEqual(19);
    expect(flushes.length).toBeLessThanOrEqual(22);
  });

  it('a flush that sent nothing neither costs budget nor clears the debt (fast-check seed 927563586)', () => {
    const w = new SendWindow();
    const policy = { sendBudgetPerSecond: 200, maxSendDelayMs: 5 };
    w.flushed(0, 3, policy); // 15 ms of budget, capped at tolerance + bound = 10 ms ahead
    w.flushed(1, 0, policy);
    expect(w.waitMs(1, policy)).toBe(4); // 10 − the 5 ms tolerance − 1
    expect(w.waitMs(5, policy)).toBe(0);
  });

  it('a small flush after a big one never waits less than no flush (fast-check seed 841881284: the debt cap once depended on the last cost)', () => {
    const policy = { sendBudgetPerSecond: 200, maxSendDelayMs: 5 };
    const light = new SendWindow();
    const heavy = new SendWindow();
    light.flushed(0, 3, policy);
    light.flushed(0, 0, policy);
    heavy.flushed(0, 3, policy);
    heavy.flushed(0, 1, policy);
    expect(heavy.waitMs(4.440892098500627e-16, policy)).toBeGreaterThanOrEqual(
      light.waitMs(4.440892098500627e-16, policy),
    );
  });

  it('a fixed window spaces flushes by it, with the leading edge; 0 never waits', () => {
    const w = new SendWindow();
    const fixed = { sendBudgetPerSecond: 1, maxSendDelayMs: 0, fixedSendWindowMs: 25 };
    expect(w.waitMs(0, fixed)).toBe(0);
    w.flushed(0, 10_000, fixed);
    expect(w.waitMs(10, fixed)).toBe(15);
    expect(w.waitMs(30, fixed)).toBe(0);
    expect(w.waitMs(10, { ...fixed, fixedSendWindowMs: 0 })).toBe(0);
  });

  it('property: no change waits longer than the bound, and no wait exceeds it', () => {
    fc.assert(
      fc.property(arrivalsArb, policyArb, (arrivals, policy) => {
        const { delays } = simulate(arrivals, policy);
        expect(delays).toHaveLength(arrivals.length);
        for (const d of delays) expect(d).toBeLessThanOrEqual(policy.maxSendDelayMs + EPS);
      }),
    );
  });

  it('property: the wait is zero one bound after the last flush, and after n / budget when the room was quiet before it', () => {
    fc.assert(
      fc.property(arrivalsArb, policyArb, fc.integer({ min: 1, max: 20_000 }), (arrivals, policy, lastSends) => {
        const w = new SendWindow();
        let now = 0;
        for (const a of arrivals) {
          now += a.gapMs;
          now += w.waitMs(now, policy);
          w.flushed(now, a.subscribers, policy);
        }
        expect(w.waitMs(now + policy.maxSendDelayMs + EPS, policy)).toBe(0);
        // A quiet spell long enough for all the debt (≤ tolerance + bound), then one flush.
        now += 2 * policy.maxSendDelayMs + 1;
        w.flushed(now, lastSends, policy);
        const costMs = (lastSends * 1000) / policy.sendBudgetPerSecond;
        expect(w.waitMs(now + Math.min(costMs, policy.maxSendDelayMs) + EPS, policy)).toBe(0);
      }),
    );
  });

  it('property: the wait is monotone in load (more sends per flush, or a smaller budget, never waits less)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gapMs: fc.double({ min: 0, max: 300, noNaN: true }),
            sends: fc.nat(20_000),
            extra: fc.nat(20_000),
          }),
          { minLength: 1, maxLength: 100 },
        ),
        policyArb,
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1_000, noNaN: true }),
        (flushes, policy, budgetDivisor, after) => {
          const light = new SendWindow();
          const heavy = new SendWindow();
          const starved = new SendWindow();
          const smaller = { ...policy, sendBudgetPerSecond: policy.sendBudgetPerSecond / budgetDivisor };
          let now = 0;
          for (const f of flushes) {
            now += f.gapMs;
            light.flushed(now, f.sends, policy);
            heavy.flushed(now, f.sends + f.extra, policy);
            starved.flushed(now, f.sends, smaller);
          }
          const at = now + after;
          expect(heavy.waitMs(at, policy)).toBeGreaterThanOrEqual(light.waitMs(at, policy));
          expect(starved.waitMs(at, smaller)).toBeGreaterThanOrEqual(light.waitMs(at, policy));
        },
      ),
    );
  });

  it('property: sends stay under budget whenever the bound allows (each flush costs at most the bound)', () => {
    fc.assert(
      fc.property(arrivalsArb, policyArb, (arrivals, policy) => {
        // The bound allows the budget when one flush's sends fit in one bound's worth of it.
        const most = Math.floor((policy.sendBudgetPerSecond * policy.maxSendDelayMs) / 1000);
        const { flushes } = simulate(
          arrivals.map((a) => ({ ...a, subscribers: Math.min(a.subscribers, most) })),
          policy,
        );
        // GCRA's guarantee: over any span of flushes, sends ≤ budget × (span + tolerance) + the last flush.
        for (let i = 0; i < flushes.length; i++) {
          let sends = 0;
          for (let j = i; j < flushes.length; j++) {
            sends += flushes[j]!.sends;
            const spanMs = flushes[j]!.at - flushes[i]!.at;
            const allowed = (policy.sendBudgetPerSecond * (spanMs + policy.maxSendDelayMs)) / 1000 + flushes[j]!.sends;
            expect(sends).toBeLessThanOrEqual(allowed + EPS * sends + 1e-3);
          }
        }
      }),
    );
  });
});
