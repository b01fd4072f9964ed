import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_BACKOFF_MS,
  MAX_RETRY_AFTER_MS,
  MIN_RETRY_AFTER_MS,
  judgeAttempt,
  parseRetryAfter,
  retryDelayMs,
  sign,
} from './webhook.ts';

describe('rules > webhook > sign', () => {
  it('is HMAC-SHA256 over `<t>.<body>`, as node:crypto computes it independently', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ maxLength: 300 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (secret, body, t) => {
          const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
          expect(await sign(secret, t, body)).toBe(`t=${t},v1=${expected}`);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('rules > webhook > retry timing', () => {
  it('backs off exponentially with full jitter, capped at an hour', () => {
    expect(retryDelayMs(1, null, 0, 30_000, () => 1)).toBe(30_000);
    expect(retryDelayMs(3, null, 0, 30_000, () => 1)).toBe(120_000);
    expect(retryDelayMs(30, null, 0, 30_000, () => 1)).toBe(MAX_BACKOFF_MS);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
        const d = retryDelayMs(n, null, 0, 30_000, () => r);
        return d >= 1 && d <= MAX_BACKOFF_MS;
      }),
    );
  });

  it('honours Retry-After in seconds or as an HTTP date, clamped; ignores what it cannot read', () => {
    const now = Date.parse('2026-12-02T08:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 08:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('0', now)).toBe(MIN_RETRY_AFTER_MS);
    expect(parseRetryAfter('9999999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (v) => {
        const d = parseRetryAfter(v, now);
        return d === undefined || (d >= MIN_RETRY_AFTER_MS && d <= MAX_RETRY_AFTER_MS);
      }),
    );
  });

  it('judges an answer: 2xx delivered, 410 disables the target, the last attempt fails, the rest retry', () => {
    const opts = { now: 1000, baseMs: 100, maxAttempts: 3, random: () => 1 };
    expect(judgeAttempt({ status: 204, retryAfter: null }, { attempts: 0 }, opts).state).toBe('delivered');
    expect(judgeAttempt({ status: 410, retryAfter: null }, { attempts: 0 }, opts)).toMatchObject({
      state: 'disabled',
      disableTarget: expect.any(String),
    });
    expect(judgeAttempt({ status: 503, retryAfter: '7' }, { attempts: 0 }, opts)).toEqual({
      state: 'pending',
      nextAttemptAt: 8000,
    });
    expect(judgeAttempt({ error: 'ECONNREFUSED' }, { attempts: 1 }, opts)).toEqual({
      state: 'pending',
      nextAttemptAt: 1200,
    });
    expect(judgeAttempt({ status: 500, retryAfter: null }, { attempts: 2 }, opts).state).toBe('failed');
    expect(judgeAttempt({ status: 301, retryAfter: null }, { attempts: 0 }, opts).state).toBe('pending');
  });
});
