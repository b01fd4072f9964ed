/**
 * Reads are limited by what they cost (contract 5): text search per token, the CSV export's
 * streaming budget per token (and its row cap), long-polls open at once per token. Each test
 * makes the hostile request, asserts the 429 (`Retry-After`, `details.limit`) and that another
 * token is unaffected. Filter lists are de-duplicated before SQL (fast-check property).
 */
import { SELF, env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEVERITIES, STATUSES } from '../../protocol/enums.ts';
import { getConfig } from '../../worker/config.ts';
import { rateLimiterStub } from '../../worker/limiter/stub.ts';
import { BASE, apiAs, postEvents, token, uid, word, type ApiErrorBody } from './helpers.ts';

const limits = getConfig(env).limits;

async function expect429(res: Response, limit: string): Promise<void> {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await res.json()) as ApiErrorBody;
  expect(body.error).toMatchObject({ code: 'rate_limited', details: { limit } });
}

/** Repeats a request until it is refused (429), allowing at most `extra` more successes; returns the refusal. */
async function refusedWithin(extra: number, request: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i <= extra; i++) {
    const res = await request();
    if (res.status === 429) return res;
    expect(res.status).toBe(200);
    await res.body?.cancel();
  }
  throw new Error(`still served after ${extra} more requests`);
}

describe('limits > reads cost what they cost', () => {
  it(`limits text search to ${limits.searchPerMinute} a minute per token (list and export); plain lists and other tokens are unaffected`, async () => {
    const sub = uid('searcher');
    const tag = word('srch');
    await postEvents({ eventType: 'SearchTest', title: `find ${tag}` });
    for (let i = 0; i < limits.searchPerMinute; i++) {
      const res = await apiAs('viewer', sub, `/api/events?q=${tag}&limit=1`);
      expect(res.status, `search ${i + 1}`).toBe(200);
    }
    // The bucket refills at searchPerMinute/60 a second while the test runs: a refusal comes within a few more.
    await expect429(await refusedWithin(5, () => apiAs('viewer', sub, `/api/events?q=${tag}`)), 'search');
    await expect429(await refusedWithin(5, () => apiAs('viewer', sub, `/api/events/export.csv?q=${tag}`)), 'search');
    expect((await apiAs('viewer', sub, '/api/events?limit=1')).status).toBe(200);
    const other = await apiAs('viewer', uid('other-searcher'), `/api/events?q=${tag}`);
    expect(other.status).toBe(200);
    expect(((await other.json()) as { data: { title: string }[] }).data.map((e) => e.title)).toEqual([`find ${tag}`]);
  });

  it('refuses an export past the token’s streaming budget before any byte (429 export_rows); another token exports; the row cap is announced', async () => {
    const sub = uid('exporter');
    // What several large exports in the last minute would have taken, leaving less than one page.
    expect(
      (await rateLimiterStub(env, sub).takeFrom('export', limits.exportRowsPerMinute, limits.exportRowsPerMinute - 10))
        .ok,
    ).toBe(true);
    await expect429(await apiAs('viewer', sub, '/api/events/export.csv'), 'export_rows');
    const other = await apiAs('viewer', uid('other-exporter'), '/api/events/export.csv?severity=Critical');
    expect(other.status).toBe(200);
    expect(other.headers.get('x-export-row-cap')).toBe(String(limits.exportMaxRows));
    expect(await other.text()).toMatch(/^id,seq,category,/);
  });

  it(`holds at most ${limits.longPollsPerToken} long-polls of one token open at once (429 long_polls); another token waits; a finished poll frees its place`, async () => {
    const sub = uid('poller');
    const room = 'Port';
    const probe = await apiAs('viewer', sub, `/api/events?category=${room}&after=0&limit=500`);
    const rows = ((await probe.json()) as { data: { seq: number }[] }).data;
    const after = rows.reduce((m, r) => Math.max(m, r.seq), 0) + 1_000_000; // nothing is that new: every poll waits
    const poll = (who: string) => apiAs('viewer', who, `/api/events?category=${room}&after=${after}&wait=3`);
    const waiting = Array.from({ length: limits.longPollsPerToken }, () => poll(sub));
    // The limiter counts them as they arrive; the next one is refused at once.
    const limiter = rateLimiterStub(env, sub);
    for (let i = 0; (await limiter.held('longPoll')) < limits.longPollsPerToken; i++) {
      if (i > 500) throw new Error('the long-polls never all arrived');
      await new Promise((r) => setTimeout(r, 10));
    }
    await expect429(await poll(sub), 'long_polls');
    const bystander = poll(uid('other-poller'));
    for (const res of await Promise.all([...waiting, bystander])) expect(res.status).toBe(200);
    expect(await limiter.held('longPoll')).toBe(0);
    const again = await apiAs('viewer', sub, `/api/events?category=${room}&after=${after}&wait=1`);
    expect(again.status).toBe(200);
  });

  it('regression: 120 repeated severities (and statuses) are one filter, not 120 SQL parameters past D1’s limit of 100', async () => {
    const tag = word('dup');
    await postEvents([
      { eventType: 'DupTest', title: `dup ${tag} high`, severity: 'High' },
      { eventType: 'DupTest', title: `dup ${tag} low`, severity: 'Low' },
    ]);
    const viewer = await token('viewer', uid('dup-viewer'));
    const get = (q: string) =>
      SELF.fetch(`${BASE}/api/events?${q}`, { headers: { authorization: `Bearer ${viewer}` } });
    const many = await get(
      `q=${tag}&severity=${Array(120).fill('High').join(',')}&status=${Array(120).fill('New').join(',')}`,
    );
    expect(many.status).toBe(200);
    expect(((await many.json()) as { data: { title: string }[] }).data.map((e) => e.title)).toEqual([
      `dup ${tag} high`,
    ]);
    const csv = await SELF.fetch(
      `${BASE}/api/events/export.csv?q=${tag}&severity=${Array(120).fill('high').join(',')}`,
      { headers: { authorization: `Bearer ${viewer}` } },
    );
    expect(csv.status).toBe(200);
    expect((await csv.text()).split('\r\n').filter(Boolean)).toHaveLength(2); // header + the High event
  });

  it('property: any list of known severities and statuses (repeats, any case, spaces) answers 200 with what its de-duplicated list answers', async () => {
    const tag = word('prop');
    await postEvents(
      SEVERITIES.map((severity) => ({ eventType: 'PropTest', title: `prop ${tag} ${severity}`, severity })),
    );
    const viewer = await token('viewer', uid('prop-viewer'));
    const get = async (q: string) => {
      const res = await SELF.fetch(`${BASE}/api/events?q=${tag}&${q}`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(res.status, q.slice(0, 80)).toBe(200);
      return ((await res.json()) as { data: { id: string }[] }).data.map((e) => e.id).sort();
    };
    const spelled = (values: readonly string[]) =>
      fc.constantFrom(...values).chain((v) => fc.constantFrom(v, v.toLowerCase(), v.toUpperCase(), ` ${v} `));
    await fc.assert(
      fc.asyncProperty(
        fc.array(spelled(SEVERITIES), { minLength: 1, maxLength: 300 }),
        fc.array(spelled(STATUSES), { minLength: 1, maxLength: 150 }),
        async (sevs, stats) => {
          const canonical = (xs: string[], known: readonly string[]) => [
            ...new Set(xs.map((x) => known.find((k) => k.toLowerCase() === x.trim().toLowerCase())!)),
          ];
          const got = await get(
            `severity=${encodeURIComponent(sevs.join(','))}&status=${encodeURIComponent(stats.join(','))}`,
          );
          const expected = await get(
            `severity=${canonical(sevs, SEVERITIES).join(',')}&status=${canonical(stats, STATUSES).join(',')}`,
          );
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 15 },
    );
  });
});
