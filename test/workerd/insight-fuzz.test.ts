/** Fuzzing every /api/insight query string and the PUT /api/sla body: never a 5xx, a 400 in the error shape. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiAs, uid } from './helpers.ts';
import { RUNS, expectNoServerError, expectServing } from './fuzz-support.ts';

const KEYS = [
  'from',
  'to',
  'tz',
  'by',
  'category',
  'severity',
  'format',
  'weeks',
  'kind',
  'limit',
  'x',
  '__proto__',
  'from[]',
];
const value = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom(
    '%E0%A4%A',
    '%',
    '0',
    '-1',
    '1e400',
    '9'.repeat(40),
    '2026-02-30T25:61:00Z',
    '2026-11-29',
    '1796000000000',
    'Europe%2FAmsterdam',
    'Asia%2FKolkata',
    'Mars%2FOlympus',
    'category',
    'shift',
    'assignee',
    'csv',
    'crane',
    '52',
    '53',
    '100',
    '101',
    'Container',
    'Critical',
  ),
  fc.integer({ min: 41, max: 5000 }).map((n) => '7'.repeat(n)),
);
const query = fc
  .array(fc.tuple(fc.constantFrom(...KEYS), value), { maxLength: 6 })
  .map((p) => p.map(([k, v]) => `${k}=${v}`).join('&'));
const PATHS = ['response-times', 'sla', 'heatmap', 'trends', 'top-entities'];

describe('fuzz > insight', () => {
  it('GET /api/insight/* answers 200 or 400, never a 5xx', async () => {
    const who = uid('fuzz-insight');
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom(...PATHS), async (q, path) => {
        const res = await apiAs('viewer', who, `/api/insight/${path}?${q}`);
        expect([200, 400]).toContain(await expectNoServerError(res));
      }),
      { numRuns: RUNS.reads },
    );
    await expectServing();
  });

  it('PUT /api/sla answers 200 or 400 for any body', async () => {
    const target = fc.record(
      {
        severity: fc.constantFrom('Critical', 'High', 'Medium', 'Low', 'critical', ''),
        category: fc.constantFrom(null, 'Container', 'Ship', 'Moon', undefined),
        ackMinutes: fc.oneof(fc.integer({ min: -5, max: 600_000 }), fc.double(), fc.constant('5')),
        resolveMinutes: fc.oneof(fc.integer({ min: -5, max: 600_000 }), fc.constant(null)),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.record(
        {
          targets: fc.array(target, { maxLength: 30 }),
          timeZone: fc.oneof(
            fc.constantFrom('UTC', 'Europe/Amsterdam', 'Asia/Kathmandu', 'Nowhere', ''),
            fc.string({ maxLength: 80 }),
          ),
          shifts: fc.array(
            fc.record({
              name: fc.string({ maxLength: 50 }),
              start: fc.constantFrom('06:00', '24:00', '6:00', '23:59', 'x'),
            }),
            { maxLength: 14 },
          ),
          extra: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    );
    const who = uid('fuzz-admin');
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await apiAs('admin', who, '/api/sla', { method: 'PUT', body: JSON.stringify(b) ?? 'null' });
        expect([200, 400]).toContain(await expectNoServerError(res));
      }),
      { numRuns: RUNS.reads },
    );
    await expectServing();
  });
});
