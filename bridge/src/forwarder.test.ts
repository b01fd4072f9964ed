import { describe, expect, it } from 'vitest';
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import { ForwardError, forwardBatch, forwardWithRetry, type ForwardOptions, type RetryOptions } from './forwarder.ts';

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

const retryOptions = (fetch: typeof globalThis.fetch, over: Partial<RetryOptions> = {}) => {
  const retries: { err: ForwardError; attempt: number; delayMs: number }[] = [];
  const opts: RetryOptions = {
    ...options(fetch),
    retryInitialMs: 1,
    retryMaxMs: 2,
    shouldStop: () => false,
    onRetry: (err, attempt, delayMs) => retries.push({ err, attempt, delayMs }),
    ...over,
  };
  return { opts, retries };
};

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
    expect(err).toMatchObject({ name: 'ForwardError', status, retriable });
    expect(err.message).toBe(`worker answered ${status}: boom`);
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

  it('is retriable when the Worker does not answer in timeoutMs', async () => {
    const started = performance.now();
    const err = await failureOf(hang, { timeoutMs: 20 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toMatchObject({ retriable: true, message: 'worker did not answer in 20 ms' });
  });

  it.each<[string, Answer]>([
    ['too few results', () => json(200, { results: [] })],
    ['no results array', () => json(200, { ok: true })],
    ['a body that is not JSON', () => new Response('ok', { status: 200 })],
    ['too many results', (call) => json(200, { results: [...call.records, ...call.records].map(stored) })],
  ])('is retriable on a 2xx with %s', async (_label, answer) => {
    const err = await failureOf(answer);
    expect(err).toMatchObject({ retriable: true, status: 200 });
  });
});

describe('bridge > forwardWithRetry', () => {
  it('returns the results of a 200 at once', async () => {
    const { fetch, calls } = fakeFetch(ok);
    const { opts, retries } = retryOptions(fetch);
    expect(await forwardWithRetry(records(2), opts)).toEqual(records(2).map(stored));
    expect(calls).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('retries a 5xx until the Worker answers, reporting each retriable error', async () => {
    const { fetch, calls } = fakeFetch(error(503), error(500), ok);
    const { opts, retries } = retryOptions(fetch);
    expect(await forwardWithRetry(records(2), opts)).toEqual(records(2).map(stored));
    expect(calls).toHaveLength(3);
    expect(retries.map((r) => [r.attempt, r.err.status, r.err.retriable])).toEqual([
      [1, 503, true],
      [2, 500, true],
    ]);
    for (const r of retries) {
      expect(r.delayMs).toBeGreaterThanOrEqual(0.5);
      expect(r.delayMs).toBeLessThanOrEqual(2);
    }
  });

  it.each<[string, Answer]>([
    ['401', error(401)],
    ['429', error(429)],
    ['a network error', networkDown],
    ['a timeout', hang],
  ])('retries %s', async (_label, answer) => {
    const { fetch, calls } = fakeFetch(answer, ok);
    const { opts, retries } = retryOptions(fetch, { timeoutMs: 20 });
    expect(await forwardWithRetry(records(1), opts)).toEqual([stored(record(0))]);
    expect(calls).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.err.retriable).toBe(true);
  });

  it('splits a 2-record batch the Worker refuses as too large (413)', async () => {
    const { fetch, calls } = fakeFetch((call) => (call.records.length > 1 ? error(413, 'too large')(call) : ok(call)));
    const { opts, retries } = retryOptions(fetch);
    expect(await forwardWithRetry(records(2), opts)).toEqual(records(2).map(stored));
    expect(calls.map((c) => c.records.map((r) => r.offset))).toEqual([['0', '1'], ['0'], ['1']]);
    expect(retries).toEqual([]);
  });

  it('splits down to the single bad record and keeps the order of results', async () => {
    // The Worker refuses any batch containing offset 3 as a whole.
    const { fetch } = fakeFetch((call) => (call.records.some((r) => r.offset === '3') ? error(400, 'offset 3 is bad')(call) : ok(call)));
    const { opts } = retryOptions(fetch);
    const results = await forwardWithRetry(records(7), opts);
    expect(results).toEqual([
      ...records(3).map(stored),
      { status: 'rejected', reason: 'worker answered 400: offset 3 is bad' },
      ...records(7).slice(4).map(stored),
    ]);
  });

  it('rejects a single record the Worker refuses (400), without retrying', async () => {
    const { fetch, calls } = fakeFetch(error(400, 'validation failed'));
    const { opts, retries } = retryOptions(fetch);
    expect(await forwardWithRetry(records(1), opts)).toEqual([{ status: 'rejected', reason: 'worker answered 400: validation failed' }]);
    expect(calls).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('rejects every record of a batch the Worker always refuses as too large', async () => {
    const { fetch, calls } = fakeFetch(error(413, 'too large'));
    const { opts } = retryOptions(fetch);
    const results = await forwardWithRetry(records(2), opts);
    expect(results).toEqual([
      { status: 'rejected', reason: 'worker answered 413: too large' },
      { status: 'rejected', reason: 'worker answered 413: too large' },
    ]);
    expect(calls).toHaveLength(3);
  });

  it("returns 'stopped' without calling the Worker when already stopping", async () => {
    const { fetch, calls } = fakeFetch(ok);
    const { opts } = retryOptions(fetch, { shouldStop: () => true });
    expect(await forwardWithRetry(records(2), opts)).toBe('stopped');
    expect(calls).toHaveLength(0);
  });

  it("returns 'stopped' when asked to stop while retrying", async () => {
    let stop = false;
    const { fetch, calls } = fakeFetch(error(503));
    const { opts } = retryOptions(fetch, {
      shouldStop: () => stop,
      onRetry: (_err, attempt) => {
        if (attempt === 3) stop = true;
      },
    });
    expect(await forwardWithRetry(records(2), opts)).toBe('stopped');
    expect(calls).toHaveLength(3);
  });

  it("returns 'stopped' when asked to stop while splitting", async () => {
    let stop = false;
    const { fetch, calls } = fakeFetch((call) => {
      if (call.records.length === 1) stop = true; // stop after the left half was forwarded
      return call.records.length > 1 ? error(413)(call) : ok(call);
    });
    const { opts } = retryOptions(fetch, { shouldStop: () => stop });
    expect(await forwardWithRetry(records(4), opts)).toBe('stopped');
    expect(calls.map((c) => c.records.length)).toEqual([4, 2, 1]);
  });

  it('heartbeats while waiting, and survives a failing heartbeat', async () => {
    let beats = 0;
    const { fetch } = fakeFetch(error(503), error(503), ok);
    const { opts } = retryOptions(fetch, {
      retryInitialMs: 5,
      retryMaxMs: 10,
      heartbeat: async () => {
        beats++;
        throw new Error('rebalance in progress');
      },
    });
    expect(await forwardWithRetry(records(1), opts)).toEqual([stored(record(0))]);
    expect(beats).toBeGreaterThanOrEqual(2);
  });

  it('heartbeats while a slow request is in flight', async () => {
    let beats = 0;
    const slow: Answer = (call) => new Promise((resolve) => setTimeout(() => resolve(ok(call)), 120));
    const { fetch } = fakeFetch(slow);
    const { opts } = retryOptions(fetch, { heartbeatIntervalMs: 20, heartbeat: async () => void beats++ });
    expect(await forwardWithRetry(records(1), opts)).toEqual([stored(record(0))]);
    expect(beats).toBeGreaterThanOrEqual(3);
  });

  it("abandons an in-flight request when the signal aborts (shutdown), returning 'stopped'", async () => {
    const abort = new AbortController();
    const { fetch, calls } = fakeFetch(hang);
    const { opts, retries } = retryOptions(fetch, { timeoutMs: 60_000, signal: abort.signal, shouldStop: () => abort.signal.aborted });
    setTimeout(() => abort.abort(), 20);
    const started = Date.now();
    expect(await forwardWithRetry(records(2), opts)).toBe('stopped');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(calls).toHaveLength(1);
    expect(retries[0]?.err.message).toContain('stopping');
  });

  it("waits the Worker's Retry-After rather than its own backoff", async () => {
    const { fetch } = fakeFetch(error(429, 'slow', { 'retry-after': '1' }), ok);
    let stop = false;
    const { opts, retries } = retryOptions(fetch, {
      shouldStop: () => stop,
      onRetry: (err, attempt, delayMs) => {
        retries.push({ err, attempt, delayMs });
        stop = true; // do not actually wait a second
      },
    });
    expect(await forwardWithRetry(records(1), opts)).toBe('stopped');
    expect(retries.map((r) => r.delayMs)).toEqual([1000]);
  });
});
