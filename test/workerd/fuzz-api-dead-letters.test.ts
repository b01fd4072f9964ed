/**
 * Fuzzing /api/dead-letters and /internal/dead-letters with fast-check against the real app in
 * workerd: any query, id, body → a 2xx or a 4xx in the error shape, never a 5xx; the Worker keeps
 * serving afterwards.
 */
import { SELF, env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { BASE, apiAs, uid } from './helpers.ts';
import { RUNS, codeUnits, expectNoServerError, expectServing, plainJson } from './fuzz-support.ts';

const ADMIN = uid('fuzz-dl-admin');

const asAdmin = (method: string, path: string, body?: string) =>
  apiAs('admin', ADMIN, path, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });

const asBridge = (path: string, body: string) =>
  SELF.fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.INGEST_TOKEN}`, 'content-type': 'application/json' },
    body,
  });

const idish = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 30 }), codeUnits(10), plainJson(1));

const reportish = fc.oneof(
  plainJson(3),
  fc.record({
    letters: fc.array(
      fc.record(
        {
          dlqTopic: fc.oneof(fc.string({ maxLength: 300 }), codeUnits()),
          dlqPartition: idish,
          dlqOffset: fc.oneof(fc.bigInt({ min: -10n, max: 10n ** 20n }).map(String), fc.string()),
          topic: fc.string({ maxLength: 260 }),
          partition: idish,
          offset: fc.string(),
          key: fc.oneof(fc.constant(null), codeUnits(40)),
          keyEncoding: fc.constantFrom('utf8', 'base64', 'hex'),
          reason: codeUnits(60),
          deadAt: fc.oneof(fc.integer(), fc.double()),
          value: fc.oneof(fc.constant(null), codeUnits(100)),
          valueEncoding: fc.constantFrom('utf8', 'base64', ''),
          valueBytes: idish,
          valueTruncated: fc.oneof(fc.boolean(), idish),
          headers: fc.oneof(fc.dictionary(codeUnits(8), codeUnits(8), { maxKeys: 40 }), plainJson(1)),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 5 },
    ),
  }),
);

describe('fuzz > /api/dead-letters', () => {
  it('any list query or id answers 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('topic', 'reason', 'from', 'to', 'status', 'before', 'limit', 'x'),
          codeUnits(30),
          { maxKeys: 6 },
        ),
        // Well-formed strings: encodeURIComponent throws on a lone surrogate before anything is sent.
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom('0', '-1', '1e3', '9007199254740993', '%00', '..', '1.5'),
        ),
        async (query, id) => {
          const qs = new URLSearchParams(query).toString();
          await expectNoServerError(await asAdmin('GET', `/api/dead-letters?${qs}`));
          await expectNoServerError(await asAdmin('GET', `/api/dead-letters/${encodeURIComponent(id)}`));
        },
      ),
      { numRuns: RUNS.reads },
    );
    await expectServing();
  });

  it('any replay or discard body answers 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          plainJson(3),
          fc.record(
            { ids: fc.oneof(fc.array(idish, { maxLength: 120 }), idish), value: fc.oneof(codeUnits(50), idish) },
            { requiredKeys: [] },
          ),
        ),
        fc.constantFrom('replay', 'discard'),
        async (body, action) => {
          await expectNoServerError(await asAdmin('POST', `/api/dead-letters/${action}`, JSON.stringify(body)));
        },
      ),
      { numRuns: RUNS.api },
    );
    await expectServing();
  });

  it('any report, claim or settle body from the bridge answers 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        reportish,
        fc.oneof(
          plainJson(3),
          fc.record(
            {
              bridgeId: codeUnits(30),
              limit: idish,
              watermarks: fc.array(
                fc.record({ topic: codeUnits(10), partition: idish, high: fc.oneof(fc.string(), idish) }),
                { maxLength: 4 },
              ),
            },
            { requiredKeys: [] },
          ),
        ),
        fc.oneof(
          plainJson(3),
          fc.record({
            results: fc.array(
              fc.record(
                {
                  id: codeUnits(70),
                  outcome: fc.constantFrom('produced', 'failed', 'x'),
                  partition: idish,
                  offset: fc.string(),
                  reason: codeUnits(20),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 4 },
            ),
          }),
        ),
        async (report, claim, settle) => {
          await expectNoServerError(await asBridge('/internal/dead-letters', JSON.stringify(report)));
          await expectNoServerError(await asBridge('/internal/dead-letters/replays/claim', JSON.stringify(claim)));
          await expectNoServerError(await asBridge('/internal/dead-letters/replays/settle', JSON.stringify(settle)));
        },
      ),
      { numRuns: RUNS.api },
    );
    await expectServing();
  });
});
