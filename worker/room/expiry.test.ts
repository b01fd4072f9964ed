import { describe, expect, it } from 'vitest';
import { MAX_ALARM_AHEAD_MS, expiryAlarmAt, isExpired, nextExpiry } from './expiry.ts';
import type { Subscriber } from './subscriber.ts';

const sub = (exp: number | undefined, open = true) => ({ exp, isOpen: () => open }) as unknown as Subscriber;

describe('worker > room > expiry', () => {
  it('a token has expired from its exp second on; one without exp never does', () => {
    expect(isExpired({ exp: 100 }, 99_999)).toBe(false);
    expect(isExpired({ exp: 100 }, 100_000)).toBe(true);
    expect(isExpired({}, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('sets the alarm at the exp, or a day ahead at most (a far-future exp never reaches setAlarm as an impossible date)', () => {
    expect(expiryAlarmAt(100, 0)).toBe(100_000);
    expect(expiryAlarmAt(8.64e15, 5)).toBe(5 + MAX_ALARM_AHEAD_MS);
    expect(expiryAlarmAt(1e300, 5)).toBe(5 + MAX_ALARM_AHEAD_MS);
  });

  it('the next expiry is the earliest of the open subscribers with an exp', () => {
    expect(nextExpiry([sub(undefined), sub(300), sub(200, false), sub(250)], 0)).toBe(250_000);
    expect(nextExpiry([sub(undefined), sub(100, false)], 0)).toBeUndefined();
  });
});
