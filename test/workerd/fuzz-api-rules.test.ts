/**
 * Fuzzing /api/rules and /api/notifications with fast-check against the real app in workerd:
 * any body, any id, any query → a 2xx or a 4xx in the error shape, never a 5xx; a refused rule
 * stores nothing; the Worker keeps serving afterwards.
 */
import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiAs, uid } from './helpers.ts';
import { RUNS, codeUnits, expectNoServerError, expectServing, nestedText, plainJson } from './fuzz-support.ts';

const OPERATOR = uid('fuzz-rules-operator');

const send = (method: string, path: string, body?: string, role: 'operator' | 'viewer' = 'operator') =>
  apiAs(role, OPERATOR, path, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });

/** Rule-shaped documents with hostile parts: valid ones, near misses, and anything. */
const ruleish = fc.oneof(
  plainJson(4),
  fc.record({
    name: fc.oneof(fc.string({ maxLength: 200 }), codeUnits(), plainJson(1)),
    match: fc.oneof(
      plainJson(3),
      fc.record({
        conditions: fc.array(
          fc.record({
            path: fc.oneof(
              fc.constantFrom('eventData.__proto__', 'a.b.c.d.e.f.g', 'constructor', 'eventData.t'),
              codeUnits(40),
            ),
            op: fc.oneof(fc.constantFrom('gt', 'in', 'exists', 'regex'), fc.string()),
            value: plainJson(2),
          }),
          { maxLength: 25 },
        ),
      }),
    ),
    actions: fc.oneof(
      plainJson(3),
      fc.array(
        fc.oneof(
          fc.record({
            type: fc.constant('webhook'),
            url: fc.oneof(fc.webUrl(), fc.string(), fc.constant('javascript:alert(1)')),
          }),
          fc.record({
            type: fc.constant('escalate'),
            afterMinutes: fc.oneof(fc.integer(), fc.double()),
            unless: fc.string(),
            steps: plainJson(3),
          }),
          fc.record({ type: fc.constant('notify'), users: fc.array(codeUnits(), { maxLength: 30 }) }),
        ),
        { maxLength: 12 },
      ),
    ),
  }),
);

describe('fuzz > /api/rules', () => {
  it('POST /api/rules answers 201 or a 4xx, and a refused rule stores nothing', async () => {
    const before = (await env.DB.prepare('SELECT COUNT(*) AS n FROM rules').first<{ n: number }>())!.n;
    let created = 0;
    await fc.assert(
      fc.asyncProperty(ruleish, async (doc) => {
        const res = await send('POST', '/api/rules', JSON.stringify(doc));
        const status = await expectNoServerError(res.clone());
        expect([201, 400]).toContain(status);
        if (status === 201) {
          created++;
          // Deleted at once: a generated rule may call any generated URL when an event matches it.
          const { id } = (await res.json()) as { id: string };
          expect(await expectNoServerError(await send('DELETE', `/api/rules/${id}`))).toBe(204);
        }
      }),
      { numRuns: RUNS.api },
    );
    const after = (await env.DB.prepare('SELECT COUNT(*) AS n FROM rules').first<{ n: number }>())!.n;
    expect(after - before).toBe(created);
    await expectServing();
  });

  it('answers a 4xx for bodies that are not JSON, too deep, or not objects, on every write route', async () => {
    const body = fc.oneof(
      codeUnits(60),
      fc.integer({ min: 1, max: 5000 }).map((n) => nestedText(n, '1')),
      plainJson(2).map((v) => JSON.stringify(v)),
    );
    const route = fc.constantFrom(
      ['POST', '/api/rules'],
      ['POST', '/api/rules/try'],
      ['POST', '/api/rules/deliveries/replay'],
      ['PUT', `/api/rules/${crypto.randomUUID()}`],
      ['PATCH', `/api/rules/${crypto.randomUUID()}`],
      ['POST', '/api/notifications/read'],
    );
    await fc.assert(
      fc.asyncProperty(route, body, async ([method, path], text) => {
        const status = await expectNoServerError(await send(method!, path!, text));
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS.api },
    );
  });

  it('answers 404 or 400 for any rule id in the path, and 400 for any bad notifications query', async () => {
    await fc.assert(
      // Lone surrogates cannot be percent-encoded (encodeURIComponent throws): well-formed text here.
      fc.asyncProperty(
        codeUnits(80).map((s) => s.replace(/[\ud800-\udfff]/g, '?')),
        fc.string({ maxLength: 30 }),
        async (id, limit) => {
          const path = `/api/rules/${encodeURIComponent(id)}`;
          for (const p of [path, `${path}/versions`, `${path}/deliveries`]) {
            const status = await expectNoServerError(await send('GET', p));
            expect([200, 400, 404, 405]).toContain(status);
          }
          const q = await expectNoServerError(
            await send('GET', `/api/notifications?limit=${encodeURIComponent(limit)}`, undefined, 'viewer'),
          );
          expect([200, 400]).toContain(q);
        },
      ),
      { numRuns: RUNS.reads },
    );
    await expectServing();
  });
});
