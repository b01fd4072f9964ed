/**
 * One forward of record batches to the Worker's ingest route, and what its failures mean: the
 * flags on the error (`retriable`, `countsTowardIsolation`), never its message text. Retrying,
 * splitting and isolating are decided per partition by `partition-flow.ts`.
 */
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import {
  MAX_ERROR_BODY_BYTES,
  UnexpectedAnswerError,
  maxIngestAnswerBytes,
  parseIngestAnswer,
  readBoundedText,
} from './worker-answer.ts';

export class ForwardError extends Error {
  override name = 'ForwardError';
  /** Worth forwarding again (5xx, 408, 429, 401/403, timeouts, network errors, an answer of the wrong shape). */
  readonly retriable: boolean;
  /** The Worker's HTTP status, when it answered. */
  readonly status: number | undefined;
  /** The `error.code` of the Worker's JSON error body, when it had one (e.g. `room_unavailable`). */
  readonly code: string | undefined;
  /** The forward was not answered within the timeout. */
  readonly timedOut: boolean;
  readonly retryAfterMs: number | undefined;
  /**
   * A failure the record itself may cause, so repeated ones (while the Worker is otherwise
   * healthy) lead to isolation: a 5xx other than 503 `room_unavailable`, or a timeout. Never a
   * network error, a 401/403/429, or a room the Worker reports unavailable (contract 1).
   */
  readonly countsTowardIsolation: boolean;
  /** A 2xx whose body was too large, not JSON, or not one valid result per record (worker-answer.ts). */
  readonly unexpectedAnswer: boolean;
  constructor(
    message: string,
    opts: {
      retriable: boolean;
      status?: number;
      code?: string;
      timedOut?: boolean;
      retryAfterMs?: number;
      unexpectedAnswer?: boolean;
      cause?: unknown;
    },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retriable = opts.retriable;
    this.status = opts.status;
    this.code = opts.code;
    this.timedOut = opts.timedOut ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.unexpectedAnswer = opts.unexpectedAnswer ?? false;
    this.countsTowardIsolation =
      this.timedOut ||
      (this.status !== undefined && this.status >= 500 && !(this.status === 503 && this.code === 'room_unavailable'));
  }
}

export type ForwardOptions = {
  workerUrl: string;
  ingestToken: string;
  timeoutMs: number;
  /** Sent as `x-request-id` (contract 3), so a failure can be found in the Worker's logs. */
  requestId?: string;
  fetch?: typeof fetch;
  /** Aborts an in-flight request (shutdown): the batch is then abandoned, not committed. */
  signal?: AbortSignal;
};

/**
 * One POST /internal/ingest. Resolves to one result per record, in order. Throws ForwardError;
 * a whole-batch 400/413/422 is not retriable (the caller splits the batch).
 */
export async function forwardBatch(records: IngestRecord[], opts: ForwardOptions): Promise<IngestResult[]> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${opts.workerUrl}/internal/ingest`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${opts.ingestToken}`,
        'content-type': 'application/json',
        ...(opts.requestId ? { 'x-request-id': opts.requestId } : {}),
      },
      body: JSON.stringify({ records }),
      signal: opts.signal
        ? AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal])
        : AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const aborted = opts.signal?.aborted === true;
    const timedOut = !aborted && err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const message = aborted
      ? 'forward aborted: the bridge is stopping'
      : timedOut
        ? `worker did not answer in ${opts.timeoutMs} ms`
        : `worker unreachable: ${(err as Error).message}`;
    throw new ForwardError(message, { retriable: true, timedOut, cause: err });
  }
  if (res.ok) {
    // The answer is not trusted: bounded in size, then exactly one valid result per record, or a retriable failure.
    try {
      return parseIngestAnswer(await readBoundedText(res, maxIngestAnswerBytes(records.length)), records.length);
    } catch (err) {
      const aborted = opts.signal?.aborted === true;
      const timedOut = !aborted && err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const why =
        err instanceof UnexpectedAnswerError
          ? err.message
          : aborted
            ? 'the bridge is stopping'
            : timedOut
              ? `the body did not arrive in ${opts.timeoutMs} ms`
              : `the body was cut off: ${String(err)}`;
      throw new ForwardError(`worker answered ${res.status} without one valid result per record: ${why}`, {
        retriable: true,
        status: res.status,
        timedOut,
        unexpectedAnswer: err instanceof UnexpectedAnswerError,
        cause: err,
      });
    }
  }
  let text: string;
  try {
    text = await readBoundedText(res, MAX_ERROR_BODY_BYTES);
  } catch {
    text = ''; // too large or cut off: the status alone says what happened
  }
  let message = text.slice(0, 300);
  let code: string | undefined;
  try {
    const error = (JSON.parse(text) as { error?: { message?: unknown; code?: unknown } } | null)?.error;
    if (typeof error?.message === 'string') message = error.message.slice(0, 300);
    if (typeof error?.code === 'string') code = error.code.slice(0, 100);
  } catch {
    // not the API's JSON error shape (a proxy's page): keep the raw text
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  const retriable =
    res.status >= 500 || res.status === 429 || res.status === 401 || res.status === 403 || res.status === 408;
  throw new ForwardError(`worker answered ${res.status}${code ? ` ${code}` : ''}: ${message}`, {
    retriable,
    status: res.status,
    code,
    retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
  });
}

/**
 * Whether the Worker's ingest path answers now: `POST /internal/ingest` with an empty batch (the
 * probe; nothing is stored) answered 200 `{ results: [] }` within `timeoutMs`. The evidence the
 * bridge seeks itself, between a record's failures, when no other forward is under way (a topic
 * with one partition); a Worker failing every ingest fails the probe too. An older Worker that
 * refuses the empty batch (400) gives no evidence: then only other forwards count.
 */
export async function ingestAnswers(opts: Omit<ForwardOptions, 'requestId'>): Promise<boolean> {
  try {
    return (await forwardBatch([], { ...opts, requestId: 'bridge-probe' })).length === 0;
  } catch {
    return false;
  }
}

/**
 * Whether the Worker's `GET /healthz` answers 200 within `timeoutMs` with `db: "ok"` (a Worker
 * whose D1 is away fails every record, and no record is to blame): one half of the evidence that a
 * record failing alone is the record's fault, not the Worker's.
 */
export async function workerIsHealthy(
  workerUrl: string,
  timeoutMs: number,
  opts: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<boolean> {
  const doFetch = opts.fetch ?? fetch;
  try {
    const signal = opts.signal
      ? AbortSignal.any([AbortSignal.timeout(timeoutMs), opts.signal])
      : AbortSignal.timeout(timeoutMs);
    const res = await doFetch(`${workerUrl}/healthz`, { signal });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      return false;
    }
    const body: unknown = JSON.parse(await readBoundedText(res, 4096));
    return typeof body === 'object' && body !== null && (body as { db?: unknown }).db === 'ok';
  } catch {
    return false; // unreachable, too slow, or not the health answer: not healthy
  }
}
