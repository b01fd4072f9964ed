/**
 * Fuzzing the API's write bodies and path ids with fast-check against the real app in workerd:
 * never a 5xx, every 4xx in the error shape, a batch stays all or nothing, and the Worker keeps
 * serving afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiAs, uid } from './helpers.ts';
import {
  RUNS,
  anyCase,
  codeUnits,
  expectErrorShape,
  expectNoServerError,
  expectServing,
  headerText,
  nestedText,
  rejectedCase,
  storedRow,
  validCase,
} from './fuzz-support.ts';

/** One token subject per file: the write rate limit is per sub, and this file writes a lot. */
const PRODUCER = uid('fuzz-producer');
const OPERATOR = uid('fuzz-operator');

const post = (body: string, sub = PRODUCER) =>
  apiAs('producer', sub, '/api/events', { method: 'POST', body, headers: { 'content-type': 'application/json' } });

describe('fuzz > POST /api/events', () => {
  it('answers 201 or a 4xx naming the bad events, and stores a batch all or nothing', async () => {
    const item = fc.oneof(validCase, rejectedCase, anyCase);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          item.map((c) => ({ many: false, cases: [c] })),
          fc.array(item, { minLength: 1, maxLength: 6 }).map((cases) => ({ many: true, cases })),
        ),
        async ({ many, cases }) => {
          // Values that are not JSON text cannot be array items: send those alone, as the whole body.
          const parsed = cases.map((c) => {
            try {
              return { ok: true as const, text: c.value, value: JSON.parse(c.value) as unknown };
            } catch {
              return { ok: false as const, text: c.value };
            }
          });
          const body = many && parsed.every((p) => p.ok) ? `[${parsed.map((p) => p.text).join(',')}]` : cases[0]!.value;
          const sentMany = body.startsWith('[') && many && parsed.every((p) => p.ok);
          const sentCases = sentMany ? cases : [cases[0]!];
          const res = await post(body);
          const status = await expectNoServerError(res.clone());
          expect([201, 400, 413]).toContain(status);
          const validIds = sentCases.flatMap((c) => (c.kind === 'valid' ? [c.id] : []));
          if (sentCases.some((c) => c.kind === 'rejected')) expect(status).toBe(400);
          if (status === 400) {
            const { error } = await expectErrorShape(res);
            expect(error.code).toBe('invalid_request');
            // All or nothing: no valid event of a refused batch is stored.
            for (const id of validIds)
              expect(await storedRow(id), `valid ${id} stored from a refused batch`).toBeNull();
            if (Array.isArray(error.details) && sentMany) {
              for (const d of error.details as { path: string }[]) expect(d.path).toMatch(/^\d+(\.|$)/);
            }
          }
          if (sentCases.every((c) => c.kind === 'valid')) {
            expect(status).toBe(201);
            const { data } = (await res.json()) as { data: { id: string; seq: number; status: string }[] };
            expect(data.map((d) => d.id)).toEqual(validIds);
            for (const d of data) expect((await storedRow(d.id))?.seq).toBe(d.seq);
          }
        },
      ),
      { numRuns: RUNS.api },
    );
    await expectServing();
  });

  it('answers 415 or 400 for bodies that are not JSON objects or arrays, whatever their bytes and Content-Type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(codeUnits(60), fc.uint8Array({ maxLength: 64 })),
        headerText(40),
        async (body, contentType) => {
          const res = await apiAs('producer', PRODUCER, '/api/events', {
            method: 'POST',
            body: body as BodyInit,
            headers: { 'content-type': contentType },
          });
          const status = await expectNoServerError(res);
          expect([201, 400, 413, 415]).toContain(status);
        },
      ),
      { numRuns: RUNS.api },
    );
  });

  // Found by hand while reproducing issue #11 (not by a seed): each was a 500 or a silent loss before this branch.
  describe('regressions', () => {
    it('answers 400 naming the field for eventData nested 5,000 deep, prefixed with the index in an array (was 500)', async () => {
      const deep = `{"eventType":"X","title":"deep","eventData":{"a":${nestedText(5000)}}}`;
      const single = await post(deep);
      expect(single.status).toBe(400);
      expect((await expectErrorShape(single)).error.details).toEqual([
        { path: 'eventData', message: 'nested deeper than 32 levels' },
      ]);
      const good = uid('fza');
      const batch = await post(`[${JSON.stringify({ id: good, eventType: 'X', title: 'fine' })},${deep}]`);
      expect(batch.status).toBe(400);
      expect((await expectErrorShape(batch)).error.details).toEqual([
        { path: '1.eventData', message: 'nested deeper than 32 levels' },
      ]);
      expect(await storedRow(good)).toBeNull();
    });

    it('answers 400 for an unknown property nested 5,000 deep (it went to metadata.extra, then 500)', async () => {
      const res = await post(`{"eventType":"X","title":"deep","Extra":${nestedText(5000)}}`);
      expect(res.status).toBe(400);
      expect((await expectErrorShape(res)).error.details).toEqual([
        { path: 'Extra', message: 'nested deeper than 30 levels' },
      ]);
    });

    it('stores an id with a lone surrogate nowhere: 400 (it was stored, answered duplicate and never pushed)', async () => {
      const res = await post(`{"id":"${uid('fzl')}\\ud800","eventType":"X","title":"t"}`);
      expect(res.status).toBe(400);
      expect((await expectErrorShape(res)).error.details).toEqual([
        { path: 'id', message: 'must be well-formed Unicode (it has a lone UTF-16 surrogate)' },
      ]);
    });
  });
});

describe('fuzz > PATCH /api/events/:id', () => {
  it('answers 200, 400, 404 or 409 for any body, and the event stays readable', async () => {
    const id = uid('fzp');
    expect((await post(JSON.stringify({ id, eventType: 'X', title: 'to patch' }), uid('fuzz-setup'))).status).toBe(201);
    const body = fc.oneof(
      fc
        .record(
          {
            action: fc.oneof(
              fc.constantFrom('acknowledge', 'start', 'resolve', 'close', 'reopen', 'assign', 'markRead', 'markUnread'),
              codeUnits(10),
            ),
            assignee: fc.oneof(codeUnits(), fc.constant(null), fc.string({ maxLength: 300 })),
            resolution: fc.oneof(codeUnits(), fc.jsonValue()),
            note: fc.jsonValue(),
            // The offline queue's ids: well-formed (some repeated, so replays and reuse for
            // another action happen), malformed, and not strings at all.
            actionId: fc.oneof(
              fc.stringMatching(/^[A-Za-z0-9_-]{8,100}$/),
              fc.constantFrom('fuzz-action-0001', 'fuzz-action-0002'),
              codeUnits(120),
              fc.constantFrom('short', 'x'.repeat(101), '../../etc/pass', 'ab cd efgh', ''),
              fc.jsonValue(),
            ),
          },
          { requiredKeys: [] },
        )
        .map((b) => JSON.stringify(b)),
      fc.json(),
      codeUnits(40),
      fc.integer({ min: 1, max: 5000 }).map((n) => `{"action":"assign","assignee":${nestedText(n, '"x"')}}`),
      fc.constantFrom(
        '{"action":"acknowledge","__proto__":{"action":"delete"}}',
        '{"constructor":{"prototype":{}}}',
        '{"action":"resolve","resolution":1e400}',
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await apiAs('operator', OPERATOR, `/api/events/${id}`, {
          method: 'PATCH',
          body: text,
          headers: { 'content-type': 'application/json' },
        });
        const status = await expectNoServerError(res);
        expect([200, 400, 409]).toContain(status);
      }),
      { numRuns: RUNS.api },
    );
    const read = await apiAs('viewer', OPERATOR, `/api/events/${id}`);
    expect(read.status).toBe(200);
  });

  it('property: the same action id sent again repeats its first answer and changes nothing', async () => {
    const id = uid('fzr');
    expect((await post(JSON.stringify({ id, eventType: 'X', title: 'to replay' }), uid('fuzz-setup'))).status).toBe(
      201,
    );
    const patch = (body: unknown) =>
      apiAs('operator', OPERATOR, `/api/events/${id}`, {
        method: 'PATCH',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const history = async () =>
      (await (await apiAs('viewer', OPERATOR, `/api/events/${id}/history`)).json()) as unknown;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('acknowledge', 'start', 'resolve', 'close', 'reopen', 'assign', 'markRead'),
        fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/),
        async (action, tail) => {
          const body = {
            action,
            actionId: `${tail}-${uid('a')}`.slice(0, 100),
            ...(action === 'resolve' ? { resolution: 'fixed' } : {}),
            ...(action === 'assign' ? { assignee: 'someone@example.com' } : {}),
          };
          const first = await patch(body);
          const firstStatus = await expectNoServerError(first.clone());
          expect([200, 409]).toContain(firstStatus);
          const firstBody = (await first.json()) as Record<string, unknown>;
          const before = await history();
          const again = await patch(body);
          expect(again.status).toBe(firstStatus);
          const againBody = (await again.json()) as Record<string, unknown>;
          if (firstStatus === 200) {
            // The kept answer: the event as the first application left it.
            expect(again.headers.get('quaycast-action-replay')).toBe('true');
            expect(againBody).toEqual(firstBody);
          } else {
            // An illegal transition is the action's answer too (kept and repeated).
            expect((againBody as { error: { code: string } }).error.code).toBe(
              (firstBody as { error: { code: string } }).error.code,
            );
          }
          expect(await history()).toEqual(before);
          // The same id for another action is refused, and changes nothing either.
          const other = await patch({ ...body, action: action === 'markRead' ? 'markUnread' : 'markRead' });
          expect(other.status).toBe(409);
          expect(((await other.json()) as { error: { code: string } }).error.code).toBe('action_id_reused');
          expect(await history()).toEqual(before);
        },
      ),
      { numRuns: RUNS.api },
    );
  });
});

describe('fuzz > path ids', () => {
  it('answers every method on /api/events/<any segment> without a 5xx', async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
      headerText(40).map((s) => s.replace(/[/?#\\]/g, '')),
      fc.constantFrom(
        '%E0%A4%A',
        '%',
        '%00',
        '%ZZ',
        '%C0%AF',
        '%ED%A0%80',
        '..%2F..%2Fhealthz',
        'x'.repeat(5000),
        '%F0%9F%98',
        'constructor',
        '__proto__',
        '1e400',
      ),
    );
    await fc.assert(
      fc.asyncProperty(segment, fc.constantFrom('GET', 'GET history', 'PATCH', 'DELETE'), async (seg, method) => {
        const path = method === 'GET history' ? `/api/events/${seg}/history` : `/api/events/${seg}`;
        const init =
          method === 'PATCH'
            ? { method, body: '{"action":"acknowledge"}' }
            : { method: method === 'DELETE' ? 'DELETE' : 'GET' };
        const res = await apiAs(method === 'DELETE' ? 'admin' : 'operator', OPERATOR, path, init);
        const status = await expectNoServerError(res);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: RUNS.api },
    );
    await expectServing();
  });
});
