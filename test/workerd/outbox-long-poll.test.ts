/**
 * GET /internal/outbox?wait=s: the long-poll the API wakes (worker/outbox/). Immediate when rows
 * are pending, woken by a POST /api/events, an empty page when the wait ends, `wait` bounded,
 * the service token required; and the bell's own contract, on which the route's race-freedom rests.
 */
import { SELF, env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_OUTBOX_WAIT_S } from '../../worker/routes/internal/outbox.ts';
import { BASE, postEvents, uid } from './helpers.ts';

type Pending = { id: string };

const internal = (path: string, init: RequestInit = {}, tokenValue: string | null = env.INGEST_TOKEN) =>
  SELF.fetch(`${BASE}${path}`, {
    ...init,
    headers: { ...(tokenValue ? { authorization: `Bearer ${tokenValue}` } : {}), 'content-type': 'application/json' },
  });

async function page(query: string): Promise<Pending[]> {
  const res = await internal(`/internal/outbox?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Pending[] }).data;
}

/** Acknowledges everything pending, so that a long-poll has nothing to answer at once. */
async function drain(): Promise<void> {
  for (let rows = await page('limit=500'); rows.length > 0; rows = await page('limit=500')) {
    const res = await internal('/internal/outbox/ack', {
      method: 'POST',
      body: JSON.stringify({ ids: rows.map((r) => r.id) }),
    });
    expect(res.status).toBe(200);
  }
}

const bell = () => env.OUTBOX_BELL.get(env.OUTBOX_BELL.idFromName('outbox'));

describe('internal > outbox long-poll', () => {
  it('answers at once when rows are pending, whatever the wait', { timeout: 10_000 }, async () => {
    const id = uid('lp-now');
    await postEvents({ id, eventType: 'GateIn', title: 'In', containerId: 'MSCU7' });
    // With a 30 s wait, only an immediate answer fits inside the 10 s test timeout.
    expect((await page(`limit=500&wait=${MAX_OUTBOX_WAIT_S}`)).map((r) => r.id)).toContain(id);
  });

  it('is woken by a stored API event before its wait ends', { timeout: 15_000 }, async () => {
    await drain();
    let answered = false;
    const poll = page(`limit=500&wait=${MAX_OUTBOX_WAIT_S}`).finally(() => {
      answered = true;
    });
    // Parked: it has not answered with nothing pending (its first read found the outbox empty).
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    const id = uid('lp-wake');
    await postEvents({ id, eventType: 'Berthed', title: 'Berthed', shipId: 'IMO7' });
    // The 15 s timeout is half the wait: a poll that was not woken fails here.
    expect((await poll).map((r) => r.id)).toContain(id);
  });

  it('answers an empty page when the wait ends with nothing stored', { timeout: 15_000 }, async () => {
    await drain();
    const started = Date.now();
    expect(await page('limit=500&wait=1')).toEqual([]);
    // It did hold the request (not the old immediate answer).
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('without wait (or wait=0) answers at once, as for an older bridge', async () => {
    await drain();
    expect(await page('limit=10')).toEqual([]);
    expect(await page('limit=10&wait=0')).toEqual([]);
  });

  it.each(['31', '-1', '1.5', '1e1', ' 5', '', 'abc', '0x1', '100', '999999999999999999999'])(
    'answers 400 for wait=%j',
    async (wait) => {
      const res = await internal(`/internal/outbox?wait=${encodeURIComponent(wait)}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    },
  );

  it('answers 400, never 5xx or a hold, for any wait that is not whole seconds 0–30 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.integer({ min: MAX_OUTBOX_WAIT_S + 1 }).map(String),
          fc.integer({ max: -1 }).map(String),
          fc.double({ noInteger: true }).map(String),
        ),
        async (wait) => {
          fc.pre(!/^\d{1,2}$/.test(wait) || Number(wait) > MAX_OUTBOX_WAIT_S);
          const res = await internal(`/internal/outbox?wait=${encodeURIComponent(wait)}`);
          expect(res.status).toBe(400);
          await res.body?.cancel();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers 200 with a replays count for replays=0|1, and 400, never 5xx or a hold, for any other replays (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom('0', '1'), fc.string(), fc.constantFrom('true', '01', ' 1', '1.0', '')),
        async (replays) => {
          const res = await internal(`/internal/outbox?wait=0&replays=${encodeURIComponent(replays)}`);
          if (replays === '0' || replays === '1') {
            expect(res.status).toBe(200);
            const body = (await res.json()) as { replays: unknown };
            expect(Number.isInteger(body.replays)).toBe(true);
          } else {
            expect(res.status).toBe(400);
            await res.body?.cancel();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-token'],
  ])('refuses %s before it waits', { timeout: 10_000 }, async (_label, tokenValue) => {
    expect((await internal(`/internal/outbox?wait=${MAX_OUTBOX_WAIT_S}`, {}, tokenValue)).status).toBe(401);
  });
});

describe('outbox bell', () => {
  it('a ring between taking the token and parking makes the park return at once (the race)', {
    timeout: 10_000,
  }, async () => {
    const b = bell();
    const token = await b.current();
    await b.ring();
    // Parked for up to a minute unless the moved token is seen: the 10 s timeout says which.
    expect(await b.park(token, 60_000)).toMatchObject({ rang: true });
  });

  it('wakes every parked waiter at the ring, and an unchanged token with no ring times out', {
    timeout: 10_000,
  }, async () => {
    const b = bell();
    const token = await b.current();
    const parks = [b.park(token, 60_000), b.park(token, 60_000)];
    await new Promise((r) => setTimeout(r, 100));
    await b.ring();
    for (const answer of await Promise.all(parks)) expect(answer.rang).toBe(true);
    const quiet = await b.current();
    expect(await b.park(quiet, 200)).toEqual({ token: quiet, rang: false });
  });

  it('treats an unknown token (an older epoch) as changed', async () => {
    expect(await bell().park('another-epoch:0', 60_000)).toMatchObject({ rang: true });
  });
});
