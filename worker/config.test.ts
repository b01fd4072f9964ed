import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getConfig, MAX_SEND_DELAY_MS } from './config.ts';

const DEV = { ENVIRONMENT: 'development', JWT_SECRET: 'x', INGEST_TOKEN: 'y' };
const roomSend = (vars: Record<string, string | undefined>) =>
  getConfig({ ...DEV, ...vars } as unknown as Env).roomSend;

describe('worker > config > roomSend', () => {
  it('defaults: 20,000 sends/s, 100 ms bound, the adaptive window', () => {
    expect(roomSend({})).toEqual({ budgetPerSecond: 20_000, maxDelayMs: 100, fixedWindowMs: undefined });
  });

  it('reads the three vars; 0 is a valid bound and a valid fixed window', () => {
    expect(
      roomSend({ ROOM_SEND_BUDGET_PER_SECOND: '5000', ROOM_MAX_SEND_DELAY_MS: '0', ROOM_SEND_WINDOW_MS: ' 25 ' }),
    ).toEqual({ budgetPerSecond: 5_000, maxDelayMs: 0, fixedWindowMs: 25 });
    expect(roomSend({ ROOM_SEND_WINDOW_MS: '0' }).fixedWindowMs).toBe(0);
  });

  it('property: any text in the vars gives a positive budget and a bound and window within 0..MAX_SEND_DELAY_MS', () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.option(fc.string()), (budget, delay, window) => {
        const c = roomSend({
          ROOM_SEND_BUDGET_PER_SECOND: budget ?? undefined,
          ROOM_MAX_SEND_DELAY_MS: delay ?? undefined,
          ROOM_SEND_WINDOW_MS: window ?? undefined,
        });
        expect(Number.isSafeInteger(c.budgetPerSecond) && c.budgetPerSecond > 0).toBe(true);
        expect(Number.isInteger(c.maxDelayMs) && c.maxDelayMs >= 0 && c.maxDelayMs <= MAX_SEND_DELAY_MS).toBe(true);
        if (c.fixedWindowMs !== undefined) {
          expect(Number.isInteger(c.fixedWindowMs) && c.fixedWindowMs >= 0).toBe(true);
          expect(c.fixedWindowMs).toBeLessThanOrEqual(MAX_SEND_DELAY_MS);
        }
      }),
    );
  });

  it('out-of-range or malformed values take the default', () => {
    for (const bad of ['-1', '1.5', '1001', 'abc', '', '1e3x']) {
      const c = roomSend({ ROOM_MAX_SEND_DELAY_MS: bad, ROOM_SEND_WINDOW_MS: bad });
      expect(c).toEqual({ budgetPerSecond: 20_000, maxDelayMs: 100, fixedWindowMs: undefined });
    }
    for (const bad of ['-1', '1.5', '0', 'abc', '']) {
      expect(roomSend({ ROOM_SEND_BUDGET_PER_SECOND: bad }).budgetPerSecond).toBe(20_000);
    }
  });
});
