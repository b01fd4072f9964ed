import { describe, expect, it } from 'vitest';
import { backoffMs, sleep } from './backoff.ts';

const fixed = (value: number) => () => value;

describe('bridge > backoffMs', () => {
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
    expect(backoffMs(attempt, initial, max, fixed(random))).toBe(expected);
  });

  it.each([0, 1, 5, 30, 31, 1000])('never waits less than initialMs / 2 (attempt %i, random 0)', (attempt) => {
    expect(backoffMs(attempt, 200, 10_000, fixed(0))).toBe(100);
  });

  it('stays within [initialMs / 2, min(maxMs, initialMs * 2^attempt)] for any random value', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999999]) {
        const ms = backoffMs(attempt, 50, 3000, fixed(r));
        expect(ms).toBeGreaterThanOrEqual(25);
        expect(ms).toBeLessThanOrEqual(Math.min(3000, 50 * 2 ** attempt));
        expect(Number.isFinite(ms)).toBe(true);
      }
    }
  });

  it('grows with the attempt until the cap', () => {
    const at = (attempt: number) => backoffMs(attempt, 100, 5000, fixed(0.999999));
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(at)).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999]);
  });

  it('uses Math.random by default', () => {
    const ms = backoffMs(4, 100, 10_000);
    expect(ms).toBeGreaterThanOrEqual(50);
    expect(ms).toBeLessThanOrEqual(1600);
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
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => (removed++, remove(...args))) as typeof remove;
    await sleep(5, signal);
    expect([added, removed]).toEqual([1, 1]);
  });
});
