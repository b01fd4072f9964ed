/**
 * Forwards record batches to the Worker's ingest route and decides, per failure, whether to
 * retry (the flag on the error, never its message text).
 */
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import { backoffMs, sleep } from './backoff.ts';

export class ForwardError extends Error {
  override name = 'ForwardError';
  readonly retriable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retriable: boolean, status?: number, retryAfterMs?: number, options?: ErrorOptions) {
    super(message, options);
    this.retriable = retriable;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

export type ForwardOptions = {
  workerUrl: string;
  ingestToken: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Aborts an in-flight request (shutdown): the batch is then abandoned, not committed. */
  signal?: AbortSignal;
};

/** One POST /internal/ingest. Throws ForwardError; a whole-batch 400/413 is not retriable. */
export async function forwardBatch(records: IngestRecord[], opts: ForwardOptions): Promise<IngestResult[]> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${opts.workerUrl}/internal/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.ingestToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records }),
      signal: opts.signal ? AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal]) : AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const message = opts.signal?.aborted ? 'forward aborted: the bridge is stopping' : timeout ? `worker did not answer in ${opts.timeoutMs} ms` : `worker unreachable: ${(err as Error).message}`;
    throw new ForwardError(message, true, undefined, undefined, { cause: err });
  }
  if (res.ok) {
    const body = (await res.json().catch(() => null)) as { results?: IngestResult[] } | null;
    if (!body || !Array.isArray(body.results) || body.results.length !== records.length) {
      throw new ForwardError(`worker answered ${res.status} without one result per record`, true, res.status);
    }
    return body.results;
  }
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // not the API's JSON error shape (a proxy's page): keep the raw text
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  const retriable = res.status >= 500 || res.status === 429 || res.status === 401 || res.status === 403 || res.status === 408;
  throw new ForwardError(`worker answered ${res.status}: ${message}`, retriable, res.status, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
}

export type RetryOptions = ForwardOptions & {
  retryInitialMs: number;
  retryMaxMs: number;
  /** Stop retrying (shutdown, rebalance): the batch is abandoned without results. */
  shouldStop: () => boolean;
  /** Called while a request is in flight and while waiting between attempts, so the consumer group keeps us. */
  heartbeat?: () => Promise<void>;
  /** How often `heartbeat` is called while a request is in flight (kafkajs throttles it further). */
  heartbeatIntervalMs?: number;
  onRetry?: (err: ForwardError, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
};

/**
 * Forwards until the Worker has answered for every record, or `shouldStop()`. A batch the Worker
 * refuses as a whole (400/413) is split; a single record it refuses is `rejected` (dead-lettered
 * by the caller), so one bad record never holds its partition.
 */
export async function forwardWithRetry(records: IngestRecord[], opts: RetryOptions): Promise<IngestResult[] | 'stopped'> {
  for (let attempt = 0; ; attempt++) {
    if (opts.shouldStop()) return 'stopped';
    // A slow Worker (up to timeoutMs) must not cost us the partitions: beat while waiting for it.
    const beat = opts.heartbeat ? setInterval(() => void opts.heartbeat!().catch(() => undefined), opts.heartbeatIntervalMs ?? 1000) : undefined;
    try {
      return await forwardBatch(records, opts);
    } catch (err) {
      if (!(err instanceof ForwardError)) throw err;
      if (!err.retriable) {
        if (records.length === 1) return [{ status: 'rejected', reason: err.message }];
        const mid = Math.ceil(records.length / 2);
        const left = await forwardWithRetry(records.slice(0, mid), opts);
        if (left === 'stopped') return left;
        const right = await forwardWithRetry(records.slice(mid), opts);
        if (right === 'stopped') return right;
        return [...left, ...right];
      }
      const delay = err.retryAfterMs ?? backoffMs(attempt, opts.retryInitialMs, opts.retryMaxMs);
      opts.onRetry?.(err, attempt + 1, delay);
      // Heartbeat while waiting so a long outage does not cost us our partitions.
      const until = Date.now() + delay;
      while (Date.now() < until && !opts.shouldStop()) {
        await sleep(Math.min(1000, until - Date.now()), opts.signal);
        await opts.heartbeat?.().catch(() => undefined); // a failed heartbeat surfaces as isStale()
      }
    } finally {
      clearInterval(beat);
    }
  }
}
