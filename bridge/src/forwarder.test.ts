import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import { ForwardError, forwardBatch, ingestAnswers, workerIsHealthy, type ForwardOptions } from './forwarder.ts';

type Call = { url: string; init: RequestInit; records: IngestRecord[] };
type Answer = (call: Call) => Response | Promise<Response>;

/** A fake fetch that records calls and answers from a script, one answer per call (the last one repeats). */
function fakeFetch(...answers: Answer[]) {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as { records: IngestRecord[] };
    const call = { url: String(input), init: init ?? {}, records: body.records };
    calls.push(call);
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return answer(call);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const record = (offset: number): IngestRecord => ({
  topic: 'port-events',
  partition: 0,
  offset: String(offset),
  key: null,
  value: `{"n":${offset}}`,
});
const records = (n: number) => Array.from({ length: n }, (_, i) => record(i));
const stored = (r: IngestRecord): IngestResult => ({
  status: 'stored',
  id: `kafka:${r.topic}:${r.partition}:${r.offset}`,
  seq: Number(r.offset) + 1,
  category: 'Port',
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const ok: Answer = (call) => json(200, { results: call.records.map(stored) });
const error =
  (status: number, message = 'nope', headers: Record<string, string> = {}): Answer =>
  () =>
    json(status, { error: { code: 'x', message } }, headers);
const networkDown: Answer = () => {
  throw new TypeError('fetch failed');
};
/** Never answers; rejects with the signal's reason (a TimeoutError) like a real fetch. */
const hang: Answer = (call) =>
  new Promise<Response>((_, reject) => {
    const signal = call.init.signal!;
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

const options = (fetch: typeof globalThis.fetch, over: Partial<ForwardOptions> = {}): ForwardOptions => ({
  workerUrl: 'http://worker.test',
  ingestToken: 'tok',
  timeoutMs: 1000,
  fetch,
  ...over,
});

/** The ForwardError forwardBatch throws for this answer. */
async function failureOf(answer: Answer, over: Partial<ForwardOptions> = {}): Promise<ForwardError> {
  const { fetch } = fakeFetch(answer);
  try {
    await forwardBatch(records(2), options(fetch, over));
  } catch (err) {
    if (err instanceof ForwardError) return err;
    throw err;
  }
  throw new Error('expected forwardBatch to throw');
}

describe('bridge > forwardBatch', () => {
  it('posts the records to /internal/ingest with the service token and returns the results', async () => {
    const { fetch, calls } = fakeFetch(ok);
    const batch = records(3);
    const results = await forwardBatch(batch, options(fetch));
    expect(results).toEqual(batch.map(stored));
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.url).toBe('http://worker.test/internal/ingest');
    expect(call!.init.method).toBe('POST');
    expect(call!.init.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json' });
    expect(call!.init.signal).toBeInstanceOf(AbortSignal);
    expect(call!.records).toEqual(batch);
  });

  it.each<[string, number, boolean]>([
    ['500', 500, true],
    ['502', 502, true],
    ['503', 503, true],
    ['504', 504, true],
    ['429', 429, true],
    ['408', 408, true],
    ['401 (token rotation in progress)', 401, true],
    ['403', 403, true],
    ['400', 400, false],
    ['413', 413, false],
    ['404', 404, false],
    ['422', 422, false],
  ])('classifies %s as retriable: %s', async (_label, status, retriable) => {
    const err = await failureOf(error(status, 'boom'));
    expect(err).toMatchObject({ name: 'ForwardError', status, retriable, code: 'x' });
    expect(err.message).toBe(`worker answered ${status} x: boom`);
  });

  it.each<[string, Answer, boolean]>([
    ['a 500', error(500), true],
    ['a 502 page from a proxy', () => new Response('<html>Bad Gateway</html>', { status: 502 }), true],
    ['a 503 that is not room_unavailable', error(503), true],
    [
      "a 503 room_unavailable (contract 1: not the record's fault)",
      () =>
        json(
          503,
          { error: { code: 'room_unavailable', message: 'Ship down', details: { rooms: ['Ship'] } } },
          { 'retry-after': '1' },
        ),
      false,
    ],
    ['a 504', error(504), true],
    ['a timeout', hang, true],
    ['a network error', networkDown, false],
    ['a 429', error(429), false],
    ['a 401', error(401), false],
    ['a 403', error(403), false],
    ['a 408', error(408), false],
    ['a 400', error(400), false],
    ['a 2xx of the wrong shape', () => json(200, { results: [] }), false],
  ])('counts %s toward isolation: %s', async (_label, answer, counts) => {
    const err = await failureOf(answer, { timeoutMs: 20 });
    expect(err.countsTowardIsolation).toBe(counts);
  });

  it('reads the code of a 503 room_unavailable and its Retry-After', async () => {
    const err = await failureOf(() =>
      json(
        503,
        { error: { code: 'room_unavailable', message: 'room storage failed', details: { rooms: ['Ship'] } } },
        { 'retry-after': '1' },
      ),
    );
    expect(err).toMatchObject({
      status: 503,
      code: 'room_unavailable',
      retriable: true,
      retryAfterMs: 1000,
      countsTowardIsolation: false,
      timedOut: false,
    });
    expect(err.message).toBe('worker answered 503 room_unavailable: room storage failed');
  });

  it('sends the request id as x-request-id (contract 3)', async () => {
    const { fetch, calls } = fakeFetch(ok);
    await forwardBatch(records(1), options(fetch, { requestId: 'port-events.2.41.3' }));
    expect(calls[0]!.init.headers).toMatchObject({ 'x-request-id': 'port-events.2.41.3' });
  });

  it('marks an aborted forward (shutdown) as neither a timeout nor counted', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 10);
    const err = await failureOf(hang, { timeoutMs: 60_000, signal: abort.signal });
    expect(err).toMatchObject({
      retriable: true,
      timedOut: false,
      countsTowardIsolation: false,
      message: 'forward aborted: the bridge is stopping',
    });
  });

  it('keeps the raw text of a non-JSON error page', async () => {
    const err = await failureOf(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    expect(err.message).toBe('worker answered 502: <html>Bad Gateway</html>');
    expect(err.retriable).toBe(true);
  });

  it('bounds the raw text of a long error page', async () => {
    const err = await failureOf(() => new Response('x'.repeat(10_000), { status: 500 }));
    expect(err.message).toBe(`worker answered 500: ${'x'.repeat(300)}`);
  });

  it.each([
    ['2', 2000],
    ['86400', 86_400_000], // as told: PartitionFlow caps it by RETRY_MAX_MS (partition-flow.test.ts, bridge-trust-worker.test.ts)
    ['0', undefined],
    ['-5', undefined],
    ['1e400', undefined],
    ['Infinity', undefined],
    ['Wed, 21 Oct 2015 07:28:00 GMT', undefined], // the HTTP-date form: backoff instead
    ['soon', undefined],
    [undefined, undefined],
  ])('reads Retry-After %s as %s ms', async (header, expected) => {
    const err = await failureOf(error(429, 'slow down', header === undefined ? {} : { 'retry-after': header }));
    expect(err.retryAfterMs).toBe(expected);
  });

  it('is retriable when the Worker is unreachable, with the cause kept', async () => {
    const err = await failureOf(networkDown);
    expect(err).toMatchObject({ retriable: true, status: undefined, message: 'worker unreachable: fetch failed' });
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('is retriable when the Worker does not answer in timeoutMs, flagged as a timeout', async () => {
    const err = await failureOf(hang, { timeoutMs: 20 });
    expect(err).toMatchObject({
      retriable: true,
      timedOut: true,
      status: undefined,
      message: 'worker did not answer in 20 ms',
    });
  });

  it.each<[string, Answer]>([
    ['too few results', () => json(200, { results: [] })],
    ['no results array', () => json(200, { ok: true })],
    ['a body that is not JSON', () => new Response('ok', { status: 200 })],
    ['too many results', (call) => json(200, { results: [...call.records, ...call.records].map(stored) })],
    ['a null result', (call) => json(200, { results: call.records.map(() => null) })],
    ['a result of an unknown status', (call) => json(200, { results: call.records.map(() => ({ status: 'maybe' })) })],
    [
      'a rejection without a reason',
      (call) => json(200, { results: call.records.map(() => ({ status: 'rejected' })) }),
    ],
    ['results that are not an array', () => json(200, { results: { 0: 'stored' } })],
    ['a JSON null body', () => json(200, null)],
    [
      'a stored result whose seq is a string',
      (call) => json(200, { results: call.records.map((r) => ({ ...stored(r), seq: '1' })) }),
    ],
    [
      'a stored result without an id',
      (call) => json(200, { results: call.records.map((r) => ({ ...stored(r), id: undefined })) }),
    ],
    [
      'a duplicate whose id is a number',
      (call) => json(200, { results: call.records.map(() => ({ status: 'duplicate', id: 7, category: 'Port' })) }),
    ],
    [
      'a rejection whose reason is an object',
      (call) => json(200, { results: call.records.map(() => ({ status: 'rejected', reason: { why: 'no' } })) }),
    ],
    [
      'a stored result with a fractional seq',
      (call) => json(200, { results: call.records.map((r) => ({ ...stored(r), seq: 1.5 })) }),
    ],
  ])('is retriable on a 2xx with %s', async (_label, answer) => {
    const err = await failureOf(answer);
    expect(err).toMatchObject({ retriable: true, status: 200, unexpectedAnswer: true, countsTowardIsolation: false });
    expect(err.message).toMatch(/^worker answered 200 without one valid result per record: /);
  });

  it('stops reading a 2xx body that never ends, at the bound, and is retriable', async () => {
    let pulled = 0;
    const endless = () =>
      new Response(
        new ReadableStream({
          pull: (c) => {
            pulled += 64 * 1024;
            c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
          },
        }),
        { status: 200 },
      );
    const err = await failureOf(endless);
    expect(err).toMatchObject({ retriable: true, status: 200, unexpectedAnswer: true });
    expect(err.message).toMatch(/over the \d+-byte bound/);
    expect(pulled).toBeLessThan(2 * 1024 * 1024); // read up to the bound for 2 records (80 KiB) and a chunk, not on and on
  });

  it('refuses a 2xx announcing a huge Content-Length without reading it', async () => {
    let read = false;
    const huge = () =>
      new Response(
        new ReadableStream(
          {
            pull: (c) => {
              read = true;
              c.enqueue(new Uint8Array(10));
            },
          },
          { highWaterMark: 0 },
        ),
        { status: 200, headers: { 'content-length': String(5 * 1024 ** 3) } },
      );
    const err = await failureOf(huge);
    expect(err).toMatchObject({ retriable: true, unexpectedAnswer: true });
    expect(err.message).toContain(`answer of ${5 * 1024 ** 3} bytes`);
    expect(read).toBe(false);
  });

  it('is retriable when a 2xx body is cut off mid-way', async () => {
    const cut = () =>
      new Response(
        new ReadableStream({
          start: (c) => {
            c.enqueue(new TextEncoder().encode('{"results":['));
            c.error(new Error('socket hang up'));
          },
        }),
        { status: 200 },
      );
    const err = await failureOf(cut);
    expect(err).toMatchObject({ retriable: true, status: 200, unexpectedAnswer: false });
    expect(err.message).toContain('the body was cut off');
  });

  it('reads no more than 64 KiB of an error body', async () => {
    const err = await failureOf(
      () =>
        new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024).fill(0x41)) }), {
          status: 503,
        }),
    );
    expect(err).toMatchObject({ status: 503, retriable: true });
    expect(err.message).toBe('worker answered 503: ');
  });
});

/** An oracle written apart from the bridge's schema: is `r` a result the bridge may act on? */
function isValidResult(r: unknown): boolean {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
  const o = r as Record<string, unknown>;
  // A seq beyond 2^53 - 1 cannot have been counted exactly: not a seq (the counterexample below).
  if (o.status === 'stored')
    return (
      typeof o.id === 'string' &&
      Number.isSafeInteger(o.seq) &&
      (o.seq as number) >= 0 &&
      typeof o.category === 'string'
    );
  if (o.status === 'duplicate') return typeof o.id === 'string' && typeof o.category === 'string';
  if (o.status === 'rejected') return typeof o.reason === 'string';
  return false;
}

describe('bridge > forwardBatch on any answer (property)', () => {
  it('resolves exactly when a 2xx holds one valid result per record; otherwise a ForwardError, retriable for every 2xx', async () => {
    const result = fc.oneof(
      fc.record({
        status: fc.constant('stored'),
        id: fc.string(),
        seq: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string()),
        category: fc.string(),
      }),
      fc.record(
        { status: fc.constant('duplicate'), id: fc.oneof(fc.string(), fc.integer()), category: fc.string() },
        { requiredKeys: ['status', 'id'] },
      ),
      fc.record({ status: fc.constant('rejected'), reason: fc.oneof(fc.string(), fc.jsonValue()) }),
      fc.anything(),
    );
    const body = fc.oneof(
      fc.record({ results: fc.array(result, { maxLength: 4 }) }),
      fc.record({ results: fc.anything() }),
      fc.anything(),
      fc.string(),
      fc.string().map((t) => `{"results":[${t}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 599 }),
        body,
        fc.integer({ min: 1, max: 3 }),
        async (status, answer, n) => {
          const text = typeof answer === 'string' ? answer : (JSON.stringify(answer) ?? 'undefined');
          const noBody = status === 204 || status === 205 || status === 304;
          const { fetch } = fakeFetch(() => new Response(noBody ? null : text, { status }));
          const parsed = (() => {
            try {
              return JSON.parse(text) as { results?: unknown };
            } catch {
              return undefined;
            }
          })();
          const valid =
            status < 300 &&
            !noBody &&
            Array.isArray(parsed?.results) &&
            parsed.results.length === n &&
            parsed.results.every(isValidResult);
          try {
            const results = await forwardBatch(records(n), options(fetch));
            expect(valid).toBe(true);
            expect(results).toEqual(parsed!.results);
          } catch (err) {
            expect(err).toBeInstanceOf(ForwardError);
            expect(valid).toBe(false);
            if (status < 300) expect((err as ForwardError).retriable).toBe(true);
          }
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 500) },
    );
  });

  it('regression (fast-check counterexample, run 3228): a stored seq of 2^53 is not a valid result', async () => {
    // [200, {"results":[{"status":"stored","id":"","seq":9007199254740992,"category":""}]}, 1]: the
    // oracle took any integer, the schema (zod's int) only safe ones; an unsafe seq is no seq.
    const { fetch } = fakeFetch(() =>
      json(200, { results: [{ status: 'stored', id: '', seq: 9007199254740992, category: '' }] }),
    );
    await expect(forwardBatch(records(1), options(fetch))).rejects.toMatchObject({
      name: 'ForwardError',
      retriable: true,
      unexpectedAnswer: true,
    });
  });
});

describe('bridge > workerIsHealthy', () => {
  it.each<[string, Answer, boolean]>([
    ['200 with D1 reachable', () => json(200, { ok: true, db: 'ok' }), true],
    ['200 with D1 away', () => json(200, { ok: true, db: 'error' }), false],
    ['200 without a db field (not the health answer)', () => json(200, { ok: true }), false],
    ['200 that is not JSON', () => new Response('<html>ok</html>', { status: 200 }), false],
    ['200 too large', () => json(200, { ok: true, db: 'ok', pad: 'x'.repeat(10_000) }), false],
    ['503', () => json(503, { ok: false }), false],
    ['500', () => json(500, {}), false],
    ['a network error', networkDown, false],
    ['a hang (times out)', hang, false],
  ])('answers %s as %s', async (_label, answer, healthy) => {
    const calls: string[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input));
      return answer({ url: String(input), init: init ?? {}, records: [] });
    }) as typeof globalThis.fetch;
    expect(await workerIsHealthy('http://worker.test', 20, { fetch })).toBe(healthy);
    expect(calls).toEqual(['http://worker.test/healthz']);
  });
});

describe('bridge > ingestAnswers (the probe)', () => {
  it.each<[string, Answer, boolean]>([
    ['200 with no results', () => json(200, { results: [] }), true],
    [
      '200 with results (not an answer to an empty batch)',
      () => json(200, { results: [{ status: 'rejected', reason: 'x' }] }),
      false,
    ],
    [
      '400 (an older Worker refuses the empty batch)',
      () => json(400, { error: { code: 'invalid_request', message: 'no' } }),
      false,
    ],
    ['500', () => json(500, {}), false],
    ['503 injected', () => json(503, { error: { code: 'injected', message: 'burst' } }), false],
    ['a network error', networkDown, false],
    ['a hang (times out)', hang, false],
  ])('answers %s as %s, sending an empty batch with the service token', async (_label, answer, answers) => {
    const calls: { url: string; body: string; auth: string | null }[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push({
        url: String(input),
        body: String(init?.body),
        auth: new Headers(init?.headers).get('authorization'),
      });
      return answer({ url: String(input), init: init ?? {}, records: [] });
    }) as typeof globalThis.fetch;
    expect(await ingestAnswers({ workerUrl: 'http://worker.test', ingestToken: 'tok', timeoutMs: 20, fetch })).toBe(
      answers,
    );
    expect(calls).toEqual([{ url: 'http://worker.test/internal/ingest', body: '{"records":[]}', auth: 'Bearer tok' }]);
  });
});
