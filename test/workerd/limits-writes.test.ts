/**
 * Writes are limited by events (contract 5): a POST costs its event count of the token's
 * WRITE_RATE_PER_MINUTE budget, so a 500-event POST is refused where a 1-event POST still fits,
 * nothing of the refused POST is stored, and another token is unaffected.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../worker/config.ts';
import { rateLimiterStub } from '../../worker/limiter/stub.ts';
import { apiAs, uid, type ApiErrorBody } from './helpers.ts';

const budget = getConfig(env).writeRatePerMinute;

const events = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, eventType: 'BudgetTest', title: `budget ${i}` }));

describe('limits > writes cost their events', () => {
  it('refuses a 500-event POST that does not fit the budget (429, Retry-After, details.limit writes), stores none of it, admits a 1-event POST, and leaves another token alone', async () => {
    const sub = uid('bulk');
    // Leave 200 events of budget (plus what refills during the test: far less than 300).
    expect((await rateLimiterStub(env, sub).takeFrom('writes', budget, budget - 200)).ok).toBe(true);

    const tag = uid('refused');
    const big = await apiAs('producer', sub, '/api/events', { method: 'POST', body: JSON.stringify(events(500, tag)) });
    expect(big.status).toBe(429);
    expect(Number(big.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await big.json()) as ApiErrorBody;
    expect(body.error).toMatchObject({ code: 'rate_limited', details: { limit: 'writes' } });
    expect(body.error.message).toMatch(/500 events/);
    expect((await apiAs('viewer', sub, `/api/events/${tag}-0`)).status).toBe(404);
    expect((await apiAs('viewer', sub, `/api/events/${tag}-499`)).status).toBe(404);

    // The same budget still takes one event (a POST used to cost 1 whatever its size).
    const one = await apiAs('producer', sub, '/api/events', {
      method: 'POST',
      body: JSON.stringify(events(1, uid('one'))),
    });
    expect(one.status).toBe(201);
    expect(Number(one.headers.get('x-ratelimit-remaining'))).toBeLessThan(300);

    // Another token posts its 500 events.
    const other = await apiAs('producer', uid('other'), '/api/events', {
      method: 'POST',
      body: JSON.stringify(events(500, uid('other-batch'))),
    });
    expect(other.status).toBe(201);
    expect(((await other.json()) as { data: unknown[] }).data).toHaveLength(500);
  });

  it('charges a POST its event count: after a 500-event POST the remaining budget is 500 lower', async () => {
    const sub = uid('meter');
    const first = await apiAs('producer', sub, '/api/events', {
      method: 'POST',
      body: JSON.stringify(events(1, uid('m1'))),
    });
    const before = Number(first.headers.get('x-ratelimit-remaining'));
    const second = await apiAs('producer', sub, '/api/events', {
      method: 'POST',
      body: JSON.stringify(events(500, uid('m500'))),
    });
    expect(second.status).toBe(201);
    const after = Number(second.headers.get('x-ratelimit-remaining'));
    // 500 taken; at most a second or two of refill (budget/60 a second) came back meanwhile (a POST used to cost 1).
    expect(before - after).toBeGreaterThanOrEqual(300);
    expect(before - after).toBeLessThanOrEqual(500);
  });

  it('refuses a request that costs more than the whole budget with a message that says to split it', async () => {
    const stub = rateLimiterStub(env, uid('tiny'));
    expect(await stub.takeFrom('writes', 100, 101)).toEqual({ ok: false, retryAfterSeconds: 60 });
    expect((await stub.takeFrom('writes', 100, 100)).ok).toBe(true);
  });
});
