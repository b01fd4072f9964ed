import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import { ForwardError, forwardBatch, workerIsHealthy, type ForwardOptions } from './forwarder.ts';

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

const record = (offset: number): IngestRecord => ({ topic: 'port-events', partition: 0, offset: String(offset), key: null, value: `{"n":${offset}}` });
const records = (n: number) => Array.from({ length: n }, (_, i) => record(i));
const stored = (r: IngestRecord): IngestResult => ({ status: 'stored', id: `kafka:${r.topic}:${r.partition}:${r.offset}`, seq: Number(r.offset) + 1, category: 'Port' });

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const ok: Answer = (call) => json(200, { results: call.records.map(stored) });
const error = (status: number, message = 'nope', headers: Record<string, string> = {}): Answer => () => json(status, { error: { code: 'x', message } }, headers);
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
    ['a 503 room_unavailable (contract 1: not the record\'s fault)', () => json(503, { error: { code: 'room_unavailable', message: 'Ship down', details: { rooms: ['Ship'] } } }, { 'retry-after': '1' }), false],
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
    const err = await failureOf(() => json(503, { error: { code: 'room_unavailable', message: 'room storage failed', details: { rooms: ['Ship'] } } }, { 'retry-after': '1' }));
    expect(err).toMatchObject({ status: 503, code: 'room_unavailable', retriable: true, retryAfterMs: 1000, countsTowardIsolation: false, timedOut: false });
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
    expect(err).toMatchObject({ retriable: true, timedOut: false, countsTowardIsolation: false, message: 'forward aborted: the bridge is stopping' });
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
    ['0', undefined],
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
    expect(err).toMatchObject({ retriable: true, timedOut: true, status: undefined, message: 'worker did not answer in 20 ms' });
  });

  it.each<[string, Answer]>([
    ['too few results', () => json(200, { results: [] })],
    ['no results array', () => json(200, { ok: true })],
    ['a body that is not JSON', () => new Response('ok', { status: 200 })],
    ['too many results', (call) => json(200, { results: [...call.records, ...call.records].map(stored) })],
    ['a null result', (call) => json(200, { results: call.records.map(() => null) })],
    ['a result of an unknown status', (call) => json(200, { results: call.records.map(() => ({ status: 'maybe' })) })],
    ['a rejection without a reason', (call) => json(200, { results: call.records.map(() => ({ status: 'rejected' })) })],
    ['results that are not an array', () => json(200, { results: { 0: 'stored' } })],
    ['a JSON null body', () => json(200, null)],
  ])('is retriable on a 2xx with %s', async (_label, answer) => {
    const err = await failureOf(answer);
    expect(err).toMatchObject({ retriable: true, status: 200 });
  });
});

describe('bridge > forwardBatch on any answer (property)', () => {
  it('resolves to one valid result per record or throws a ForwardError, never anything else', async () => {
    const result = fc.oneof(
      fc.record({ status: fc.constant('stored'), id: fc.string(), seq: fc.integer(), category: fc.string() }),
      fc.record({ status: fc.constant('rejected'), reason: fc.string() }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.record({ results: fc.array(result, { maxLength: 4 }) }), fc.anything(), fc.string()), fc.integer({ min: 1, max: 3 }), async (status, body, n) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body) ?? 'undefined';
        const { fetch } = fakeFetch(() => new Response(status === 204 || status === 205 || status === 304 || status < 200 ? null : text, { status: status < 200 ? 200 : status }));
        try {
          const results = await forwardBatch(records(n), options(fetch));
          expect(results).toHaveLength(n);
          for (const r of results) expect(['stored', 'duplicate', 'rejected']).toContain(r.status);
        } catch (err) {
          expect(err).toBeInstanceOf(ForwardError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('bridge > workerIsHealthy', () => {
  it.each<[string, Answer, boolean]>([
    ['200', () => json(200, { ok: true }), true],
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
