import { describe, expect, it } from 'vitest';
import { backoffMs, sleep, type BackoffPolicy } from './backoff.ts';

const fixed = (value: number) => () => value;
const full = (initialMs: number, maxMs: number): BackoffPolicy => ({ initialMs, maxMs, jitter: 'full' });

describe('bridge > backoffMs, full jitter', () => {
  it.each([
    // attempt, initialMs, maxMs, random, expected
    [0, 200, 10_000, 0.999, 199],
    [1, 200, 10_000, 0.999, 399],
    [3, 200, 10_000, 0.999, 1598],
    [3, 200, 10_000, 0.5, 800],
    [10, 200, 10_000, 0.999, 9990],
    [10, 200, 10_000, 0.5, 5000],
    [1000, 200, 10_000, 0.5, 5000],
  ])('attempt %i (initial %i, max %i, random %f) waits %i ms', (attempt, initial, max, random, expected) => {
    expect(backoffMs(attempt, full(initial, max), fixed(random))).toBe(expected);
  });

  it.each([0, 1, 5, 30, 31, 1000])('never waits less than initialMs / 2 (attempt %i, random 0)', (attempt) => {
    expect(backoffMs(attempt, full(200, 10_000), fixed(0))).toBe(100);
  });

  it('stays within [initialMs / 2, min(maxMs, initialMs * 2^attempt)] for any random value', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999999]) {
        const ms = backoffMs(attempt, full(50, 3000), fixed(r));
        expect(ms).toBeGreaterThanOrEqual(25);
        expect(ms).toBeLessThanOrEqual(Math.min(3000, 50 * 2 ** attempt));
        expect(Number.isFinite(ms)).toBe(true);
      }
    }
  });

  it('grows with the attempt until the cap', () => {
    const at = (attempt: number) => backoffMs(attempt, full(100, 5000), fixed(0.999999));
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(at)).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999]);
  });

  it('uses Math.random by default', () => {
    const ms = backoffMs(4, full(100, 10_000));
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(ms).toBeLessThanOrEqual(1600);
  });
});

describe('bridge > backoffMs, other jitters', () => {
  it('without jitter doubles up to the cap: the start-up probes of the broker and the Worker', () => {
    const broker: BackoffPolicy = { initialMs: 500, maxMs: 5000, jitter: 'none' };
    expect([0, 1, 2, 3, 4, 5, 40].map((a) => backoffMs(a, broker, fixed(0.3)))).toEqual([
      500, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
    const worker: BackoffPolicy = { initialMs: 250, maxMs: 4000, jitter: 'none' };
    // As the hand-written min(5000, 250 * 2^min(attempt, 4)) it replaces: 4 s from the fifth attempt on.
    for (let a = 0; a < 12; a++) expect(backoffMs(a, worker)).toBe(Math.min(5000, 250 * 2 ** Math.min(a, 4)));
  });

  it('with equal jitter stays within [ceiling / 2, ceiling]', () => {
    const policy: BackoffPolicy = { initialMs: 100, maxMs: 3000, jitter: 'equal' };
    expect(backoffMs(3, policy, fixed(0))).toBe(400);
    expect(backoffMs(3, policy, fixed(0.999999))).toBe(799);
    for (let a = 0; a < 40; a++) {
      const ceiling = Math.min(3000, 100 * 2 ** a);
      for (const r of [0, 0.3, 0.7, 0.999999]) {
        const ms = backoffMs(a, policy, fixed(r));
        expect(ms).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(ms).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});

describe('bridge > sleep', () => {
  it('resolves after the delay', async () => {
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('resolves early when the signal aborts', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 10);
    await sleep(60_000, controller.signal);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('resolves at once for an already aborted signal', async () => {
    const started = performance.now();
    await sleep(60_000, AbortSignal.abort());
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('removes its abort listener once the delay has passed', async () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => (
      removed++, remove(...args)
    )) as typeof remove;
    await sleep(5, signal);
    expect([added, removed]).toEqual([1, 1]);
  });
});
