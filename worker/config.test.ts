import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getConfig, MAX_SEND_DELAY_MS } from './config.ts';
import { DEV_VAPID_PRIVATE_KEY } from './secret-policy.ts';

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

describe('worker > config > push', () => {
  const PUB = 'BN48_ng86ypHp9waId43hH77e-nMEX1AiIoU3o2LVtxqmyv2cbenAEOlZmzIg3xi7C7LqWhqjYldV5YJBjOjNfE';
  const PRIV = 'A'.repeat(43);
  const push = (vars: Record<string, string | undefined>) => getConfig({ ...DEV, ...vars } as unknown as Env).push;

  it('is on with a sound pair and subject, and never quotes a key when off', () => {
    expect(push({ VAPID_PUBLIC_KEY: PUB, VAPID_PRIVATE_KEY: PRIV, VAPID_SUBJECT: 'mailto:ops@example.com' })).toEqual({
      enabled: true,
      publicKey: PUB,
      privateKey: PRIV,
      subject: 'mailto:ops@example.com',
    });
    const cases: [Record<string, string>, string][] = [
      [{}, 'VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY are not set'],
      [{ VAPID_PUBLIC_KEY: PUB, VAPID_SUBJECT: 'mailto:a@b' }, 'VAPID_PRIVATE_KEY is not set'],
      [
        { VAPID_PUBLIC_KEY: PUB.slice(2), VAPID_PRIVATE_KEY: PRIV, VAPID_SUBJECT: 'mailto:a@b' },
        'VAPID_PUBLIC_KEY is not',
      ],
      [
        { VAPID_PUBLIC_KEY: PUB, VAPID_PRIVATE_KEY: `${PRIV}AA`, VAPID_SUBJECT: 'mailto:a@b' },
        'VAPID_PRIVATE_KEY is not',
      ],
      [{ VAPID_PUBLIC_KEY: PUB, VAPID_PRIVATE_KEY: PRIV, VAPID_SUBJECT: 'ops@example.com' }, 'VAPID_SUBJECT must be'],
      [
        { VAPID_PUBLIC_KEY: PUB, VAPID_PRIVATE_KEY: PRIV, VAPID_SUBJECT: 'http://example.com' },
        'VAPID_SUBJECT must be',
      ],
    ];
    for (const [vars, reason] of cases) {
      const c = push(vars);
      expect(c.enabled).toBe(false);
      if (!c.enabled) {
        expect(c.reason).toContain(reason);
        expect(c.reason).not.toContain(PRIV);
      }
    }
  });

  it('refuses the published development private key outside development', () => {
    const vars = { VAPID_PUBLIC_KEY: PUB, VAPID_PRIVATE_KEY: DEV_VAPID_PRIVATE_KEY, VAPID_SUBJECT: 'mailto:a@b' };
    expect(push(vars).enabled).toBe(true);
    for (const ENVIRONMENT of ['staging', 'production', undefined]) {
      const c = push({ ...vars, ENVIRONMENT });
      expect(c).toEqual({
        enabled: false,
        reason: `VAPID_PRIVATE_KEY is a published development value (ENVIRONMENT=${ENVIRONMENT ?? 'production'})`,
      });
    }
  });
});
