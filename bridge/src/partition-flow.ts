/**
 * How one partition's records move to the Worker, as a pure state machine (no I/O, no timers; the
 * caller passes the time in): which records the next forward takes from the partition's head,
 * and what each outcome means — commit and go on, split, wait out a backoff, or isolate the head
 * record to the dead-letter topic. `batch-handler.ts` does the I/O; docs/bridge.md explains the
 * rules.
 *
 * Isolation needs evidence that the Worker is healthy and the record is the problem: the record
 * failed alone (a window of one) with a failure that counts (a 5xx other than 503
 * `room_unavailable`, or a timeout) at least `isolateAfter` times, each after some other forward
 * (another partition, or another window of this one) that began after the record's previous
 * failure had been answered; then the caller (batch-steps.ts `isolateRecord`) waits for a forward
 * that began after the last failure to be answered, probes the Worker's `/healthz`, and sends the
 * record once more alone, given longer: only that failing too isolates it. When the Worker is
 * down or fails everything, nothing succeeds, so nothing is isolated: the partition waits.
 */
import { backoffMs } from './backoff.ts';
import { splitBatches } from './batcher.ts';

/**
 * The bridge-wide record of forwards answered, on a logical clock shared by every partition, so
 * "something else succeeded after this record first failed" is a comparison, not a race on
 * wall-clock time.
 */
export class HealthLedger {
  private clock = 0;
  private lastSuccessAt = 0;

  /** The next instant of the logical clock. */
  tick(): number {
    return ++this.clock;
  }

  /**
   * Some forward was answered (one result per record); `startedAt` is the instant its window was
   * made. A success counts from when its forward began, not from when its answer came: an answer
   * to a forward sent before a failure says nothing of the Worker after that failure (a Worker
   * that starts failing everything lets in-flight forwards through, answered after the first
   * failures it gives).
   */
  recordSuccess(startedAt: number): void {
    this.lastSuccessAt = Math.max(this.lastSuccessAt, startedAt);
  }

  /** Whether some forward that began after the instant `at` was answered. */
  succeededAfter(at: number): boolean {
    return this.lastSuccessAt > at;
  }
}

export type FlowSettings = {
  /** Most records in one forward (BATCH_MAX_MESSAGES): the window grows back to this. */
  maxWindow: number;
  /** Most value bytes in one forward (BATCH_MAX_BYTES); a larger record travels alone. */
  maxBytes: number;
  /** Counted failures of a record alone, while healthy, before it is isolated (ISOLATE_AFTER_ATTEMPTS). */
  isolateAfter: number;
  retryInitialMs: number;
  /** Also caps a Worker's Retry-After. */
  retryMaxMs: number;
  random?: () => number;
};

/** What the flow needs to know of one fetched record. */
export type FlowRecord = { offset: string; bytes: number; tombstone: boolean };

/** The records one forward takes: `count` records from the head, `firstOffset`..`lastOffset`. */
export type Window = {
  firstOffset: string;
  lastOffset: string;
  count: number;
  requestId: string;
  /** The ledger's instant this window was made: its forward begins then (HealthLedger.recordSuccess). */
  startedAt: number;
};

/** What became of one step (a forward and its dead letters, or an isolation). */
export type StepOutcome =
  /** Every record was answered (stored, duplicate, or rejected and dead-lettered). */
  | { kind: 'answered' }
  /** The Worker refused the whole batch with a 4xx (400, 413, 422…): not any one record's result yet. */
  | { kind: 'refused'; message: string }
  /** Not answered, or answered with a retriable failure; or the dead letters could not be written. */
  | {
      kind: 'failed';
      countsTowardIsolation: boolean;
      status: number | 'timeout' | undefined;
      code?: string;
      retryAfterMs?: number;
      message: string;
    }
  /** The isolated record is on the dead-letter topic. */
  | { kind: 'isolated' }
  /**
   * Nothing was forwarded (the window held only tombstones, or only values that are not UTF-8,
   * dead-lettered by the bridge itself): committed, and nothing learnt about the Worker.
   */
  | { kind: 'skipped' }
  /** Isolation was due but the Worker's /healthz did not answer 200, or the dead letter could not be written. */
  | { kind: 'isolation-deferred'; message: string };

export type Decision =
  /** Resolve and commit up to the window's last offset; go on with the next window. */
  | { action: 'commit' }
  /** Forward again at once, from the same head, with the (now smaller) window. */
  | { action: 'split' }
  /** Pause the partition; forward again from the same head after `delayMs`. */
  | { action: 'wait'; delayMs: number }
  /** Probe the Worker's health and, if it answers 200, dead-letter the head record with `reason` as x-error. */
  | {
      action: 'isolate';
      reason: string;
      attempts: number;
      lastStatus: number | 'timeout';
      requestId: string;
      /** The ledger's instant of the last failure: the last attempt waits for a forward begun after it to be answered. */
      failedAt: number;
    };

/** Characters kafkajs topic names and our ids may hold; the Worker accepts `[\w.-]{1,64}` (contract 3). */
const REQUEST_ID_MAX = 64;

/**
 * `<topic>.<partition>.<firstOffset>.<attempt>`, at most 64 characters of `[\w.-]`: the topic is
 * shortened (its start kept) when the whole would be longer.
 */
export function requestIdOf(topic: string, partition: number, firstOffset: string, attempt: number): string {
  const tail = `.${partition}.${firstOffset}.${attempt}`;
  const safeTopic = topic.replace(/[^\w.-]/g, '_');
  return `${safeTopic.slice(0, Math.max(1, REQUEST_ID_MAX - tail.length))}${tail}`.slice(0, REQUEST_ID_MAX);
}

/** One line for logs and the liveness report: what failed (the message names the status), and the request id. */
function describeFailure(message: string, requestId: string): string {
  return `${message.slice(0, 400)} (request id ${requestId})`;
}

export class PartitionFlow {
  /** Records the next forward takes at most; halved by each counted failure, doubled by each success. */
  window: number;
  /** When the current head record first failed to forward (ms since epoch); undefined while flowing. */
  stalledSince: number | undefined;
  /** The latest failure of the current head, one line. */
  lastError: string | undefined;

  /** Forwards of the current head so far (the request id's attempt number). */
  private forwardsAtHead = 0;
  /** Retriable failures of the current head in a row (the backoff's exponent). */
  private failuresAtHead = 0;
  /**
   * Counted failures of windows still holding records past the head: each failed window's last
   * offset and the latest instant a window ending there failed. Windows halve and double, so the
   * map holds a few entries; every window starts at the head, so every entry held the head.
   */
  private failures = new Map<bigint, number>();
  /** The record `isolationAttempts` counts for, and its counted failures alone while healthy. */
  private isolationOffset: bigint | undefined;
  private isolationAttempts = 0;
  private lastFailure: { status: number | 'timeout' | undefined; requestId: string } = {
    status: undefined,
    requestId: '',
  };

  readonly topic: string;
  readonly partition: number;
  private readonly ledger: HealthLedger;
  private readonly settings: FlowSettings;

  /** A partition's flow; every flow of one bridge shares its `ledger`. */
  constructor(topic: string, partition: number, ledger: HealthLedger, settings: FlowSettings) {
    this.topic = topic;
    this.partition = partition;
    this.ledger = ledger;
    this.settings = settings;
    this.window = settings.maxWindow;
  }

  /**
   * The next window over `records` (the partition's records from its head, in offset order, at
   * least one): at most `window` records and `maxBytes` of values, never fewer than one.
   */
  next(records: readonly FlowRecord[]): Window {
    if (records.length === 0) throw new Error('PartitionFlow.next needs at least one record');
    // The first of the forwardable batches the records split into under the current window.
    const count = splitBatches(records.slice(0, this.window), (r) => r.bytes, {
      maxMessages: this.window,
      maxBytes: this.settings.maxBytes,
    })[0]!.length;
    const firstOffset = records[0]!.offset;
    const onlyTombstones = records.slice(0, count).every((r) => r.tombstone);
    // A window of tombstones is not forwarded, so it is not an attempt.
    const attempt = onlyTombstones ? this.forwardsAtHead : ++this.forwardsAtHead;
    return {
      firstOffset,
      lastOffset: records[count - 1]!.offset,
      count,
      requestId: requestIdOf(this.topic, this.partition, firstOffset, attempt),
      startedAt: this.ledger.tick(),
    };
  }

  /** What to do after `window`'s step ended with `outcome`; `now` is the wall clock (ms). */
  settle(window: Window, outcome: StepOutcome, now: number): Decision {
    switch (outcome.kind) {
      case 'answered':
        this.ledger.recordSuccess(window.startedAt);
        this.headMoved(window.lastOffset);
        return { action: 'commit' };
      case 'isolated':
        // Every failure still on record was of a window holding the isolated record: it explains
        // them, so none of them is evidence against the records after it.
        this.failures.clear();
        this.headMoved(window.lastOffset);
        return { action: 'commit' };
      case 'skipped':
        this.headMoved(window.lastOffset);
        return { action: 'commit' };
      case 'refused':
        // A whole-batch refusal (too large, malformed as a batch): halve until the record is alone,
        // at once. A record refused alone never gets here: the step answers it `rejected`.
        this.window = Math.max(1, Math.floor(window.count / 2));
        return { action: 'split' };
      case 'isolation-deferred':
        this.failuresAtHead++;
        this.stalledSince ??= now;
        this.lastError = `isolation deferred: ${outcome.message}`.slice(0, 500);
        return { action: 'wait', delayMs: this.backoff(undefined) };
      case 'failed':
        return this.failed(window, outcome, now);
    }
  }

  private failed(window: Window, outcome: Extract<StepOutcome, { kind: 'failed' }>, now: number): Decision {
    this.failuresAtHead++;
    this.stalledSince ??= now;
    this.lastError = describeFailure(outcome.message, window.requestId);
    const wait: Decision = { action: 'wait', delayMs: this.backoff(outcome.retryAfterMs) };
    if (!outcome.countsTowardIsolation) return wait;
    const at = this.ledger.tick();
    // The latest counted failure of a window holding the head, before this one.
    const previousFailureAt = this.failures.size > 0 ? Math.max(...this.failures.values()) : undefined;
    this.failures.set(BigInt(window.lastOffset), at);
    this.lastFailure = { status: outcome.status, requestId: window.requestId };
    if (window.count > 1) {
      this.window = Math.max(1, Math.floor(window.count / 2));
      return wait;
    }
    const offset = BigInt(window.firstOffset);
    if (this.isolationOffset !== offset) {
      this.isolationOffset = offset;
      this.isolationAttempts = 0;
    }
    // Evidence the Worker is healthy between this failure and the record's previous one: a forward
    // that began after that previous failure was answered. (After its first failure, not its
    // previous one, let one success vouch for failures spread over a chaotic minute: a soak with a
    // Worker restart, a broker restart and a 503 burst isolated valid records that way.)
    const counted = previousFailureAt !== undefined && this.ledger.succeededAfter(previousFailureAt);
    if (counted) this.isolationAttempts++;
    if (!counted || this.isolationAttempts < this.settings.isolateAfter) return wait;
    const { status, requestId } = this.lastFailure;
    const lastStatus = status ?? 'timeout'; // a counted failure has a 5xx status or is a timeout
    return {
      action: 'isolate',
      attempts: this.isolationAttempts,
      lastStatus,
      requestId,
      failedAt: at,
      reason: `isolated: the Worker failed this record ${this.isolationAttempts} times while healthy (last: ${lastStatus}, request id ${requestId})`,
    };
  }

  /** The Worker's Retry-After when it gave one (capped by retryMaxMs), else backoff with full jitter. */
  private backoff(retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(this.settings.retryMaxMs, retryAfterMs);
    return backoffMs(
      this.failuresAtHead - 1,
      { initialMs: this.settings.retryInitialMs, maxMs: this.settings.retryMaxMs, jitter: 'full' },
      this.settings.random,
    );
  }

  private headMoved(lastOffset: string): void {
    const last = BigInt(lastOffset);
    this.window = Math.min(this.settings.maxWindow, this.window * 2);
    this.forwardsAtHead = 0;
    this.failuresAtHead = 0;
    this.stalledSince = undefined;
    this.lastError = undefined;
    for (const end of this.failures.keys()) if (end <= last) this.failures.delete(end);
    if (this.isolationOffset !== undefined && this.isolationOffset <= last) {
      this.isolationOffset = undefined;
      this.isolationAttempts = 0;
    }
  }
}
