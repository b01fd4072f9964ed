/**
 * The two steps a partition's window can take, as I/O: forwarding it to the Worker (and
 * dead-lettering what the Worker rejected), or isolating its head record into the DLQ. Each
 * resolves to an outcome and never rejects; batch-handler.ts decides when to run them and what
 * their outcome means for the partition (through partition-flow.ts).
 */
import { isUtf8 } from 'node:buffer';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import { type DeadLetter, deadLetterOf } from './dlq.ts';
import { ForwardError } from './forwarder.ts';
import { log } from './log.ts';
import { type BridgeMetrics, partitionLabels } from './metrics.ts';
import type { Decision, FlowSettings, StepOutcome, Window } from './partition-flow.ts';

type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** One fetched record, as kafkajs gives it. */
export type BatchMessage = {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Headers;
  timestamp: string;
};

/** The part of kafkajs' EachBatchPayload this handler uses. */
export type BatchPayload = {
  batch: { topic: string; partition: number; highWatermark: string; messages: BatchMessage[] };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** Pauses fetching this topic-partition; the function it returns resumes it. */
  pause(): () => void;
  commitOffsetsIfNecessary(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
};

export type BatchHandlerDeps = {
  settings: FlowSettings;
  /** Longest one eachBatch waits for a step (FORWARD_WAIT_MS) before pausing only its partition. */
  stepWaitMs: number;
  metrics: BridgeMetrics;
  toRecord(topic: string, partition: number, m: BatchMessage): IngestRecord;
  /** One POST /internal/ingest with this request id (and a longer timeout than usual, when given); throws ForwardError. */
  forward(records: IngestRecord[], requestId: string, timeoutMs?: number): Promise<IngestResult[]>;
  /** GET /healthz of the Worker answers 200 with its D1 reachable. */
  workerIsHealthy(): Promise<boolean>;
  /** The Worker's ingest path answers an empty batch now (forwarder.ts `ingestAnswers`). */
  probeIngest(): Promise<boolean>;
  /**
   * How long the last attempt before an isolation may take (ISOLATE_CONFIRM_TIMEOUT_MS): the
   * record goes once more, alone, with this long to be answered, and only its failure isolates.
   */
  confirmTimeoutMs: number;
  /** Writes dead letters with acks=-1; throws when Kafka did not take them. */
  sendDeadLetters(letters: DeadLetter[]): Promise<void>;
  /** The bridge is shutting down: in-flight forwards are aborted and nothing more is committed. */
  stopping(): boolean;
  now?: () => number;
};

/** What a step resolves to: the flow's outcome, or aborted by shutdown (the next owner redoes it). */
export type StepResult = StepOutcome | { kind: 'aborted' };

/** How often an isolation looks again for a forward (or probe) answered since the record's last failure. */
const ANSWERED_POLL_MS = 250;

/** The dead letter's reason for a record value that is not valid UTF-8. */
export const NOT_UTF8 = 'value is not valid UTF-8';

/** Forwards a window's records (tombstones skipped) and dead-letters the ones the Worker rejected. */
export async function forwardWindow(
  deps: BatchHandlerDeps,
  topic: string,
  partition: number,
  window: Window,
  messages: BatchMessage[],
  timeoutMs?: number,
): Promise<StepResult> {
  const labels = partitionLabels(topic, partition);
  const live = messages.filter((m) => m.value !== null);
  if (live.length === 0) return { kind: 'skipped' };
  const started = performance.now();
  let results: IngestResult[];
  // A value that is not UTF-8 can never be an event, and the Worker would only see it with
  // replacement characters: refuse it here, with the bytes kept untouched in the dead letter.
  const readable = live.map((m) => isUtf8(m.value!));
  try {
    const sendable = live.filter((_, i) => readable[i]);
    const answers =
      sendable.length > 0
        ? await deps.forward(
            sendable.map((m) => deps.toRecord(topic, partition, m)),
            window.requestId,
            timeoutMs,
          )
        : [];
    let next = 0;
    results = live.map((_, i) => (readable[i] ? answers[next++]! : { status: 'rejected', reason: NOT_UTF8 }));
    deps.metrics.batchLatency.observe((performance.now() - started) / 1000);
  } catch (err) {
    if (deps.stopping()) {
      // Shutdown aborted the forward (it may outlive the eachBatch that started it): the next owner forwards it again.
      log('info', 'batch abandoned without commit', {
        topic,
        partition,
        fromOffset: window.firstOffset,
        records: window.count,
      });
      return { kind: 'aborted' };
    }
    if (!(err instanceof ForwardError)) {
      return {
        kind: 'failed',
        countsTowardIsolation: false,
        status: undefined,
        message: `forward failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (err.unexpectedAnswer) deps.metrics.forwardUnexpectedAnswers.inc(labels);
    if (err.retriable) {
      return {
        kind: 'failed',
        countsTowardIsolation: err.countsTowardIsolation,
        status: err.timedOut ? 'timeout' : err.status,
        code: err.code,
        retryAfterMs: err.retryAfterMs,
        message: err.message,
      };
    }
    if (window.count > 1) return { kind: 'refused', message: err.message };
    results = [{ status: 'rejected', reason: err.message }]; // refused alone: this record's rejection
  }
  const letters: DeadLetter[] = [];
  results.forEach((r, i) => {
    deps.metrics.forwarded.inc({ partition: labels.partition, result: r.status, topic });
    if (r.status === 'rejected') {
      const m = live[i]!;
      letters.push(
        deadLetterOf(
          { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {} },
          r.reason,
        ),
      );
    }
  });
  if (letters.length > 0) {
    try {
      await deps.sendDeadLetters(letters);
    } catch (err) {
      if (deps.stopping()) return { kind: 'aborted' };
      // Not committed: the window is forwarded again later and its rejected records come back rejected.
      return {
        kind: 'failed',
        countsTowardIsolation: false,
        status: undefined,
        message: `dead-letter write failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    deps.metrics.deadLettered.inc(labels, letters.length);
    log('warn', 'records dead-lettered', {
      topic,
      partition,
      offsets: letters.map((l) => l.message.headers['x-original-offset']),
      reasons: letters.map((l) => l.message.headers['x-error']),
    });
  }
  // Nothing went to the Worker (every value was refused here as not UTF-8): committed like any
  // answered window, but it says nothing of the Worker, so it is no evidence of its health.
  return readable.some(Boolean) ? { kind: 'answered' } : { kind: 'skipped' };
}

/** What an isolation learns of the Worker's health (batch-handler.ts: the bridge-wide ledger and its probe). */
export type IsolationEvidence = {
  /** Whether a forward (or a probe) that began after the instant `at` was answered. */
  answeredSince(at: number): boolean;
  /** Probes the ingest path (one probe at a time); an answer is recorded as such a forward. */
  seek(): Promise<void>;
  /** The ledger's next instant. */
  tick(): number;
};

/**
 * Isolates the head record, once the evidence holds to the end: a forward (or probe) that began
 * after the record's last failure was answered (the Worker is answering others now, not in the
 * middle of a burst), the Worker's /healthz answers 200 with D1 reachable, the record, sent once
 * more alone with `confirmTimeoutMs` to be answered, fails again with a failure that counts, and
 * then a forward (or probe) begun after that failure is answered too (a burst that began just
 * before the last attempt fails the probes after it). A Worker that was only slow (just
 * restarted, or it stored the record but answered late) answers that last attempt, and the
 * record is committed as any other forward (stored or duplicate); nothing is dead-lettered.
 */
export async function isolateRecord(
  deps: BatchHandlerDeps,
  topic: string,
  partition: number,
  window: Window,
  message: BatchMessage,
  decision: Extract<Decision, { action: 'isolate' }>,
  evidence: IsolationEvidence,
): Promise<StepResult> {
  const now = deps.now ?? Date.now;
  /** Waits (probing) for an answer to something begun after `at`; a StepResult when there was none. */
  async function answerSince(at: number, after: string): Promise<StepResult | undefined> {
    const waitUntil = now() + deps.confirmTimeoutMs;
    while (!evidence.answeredSince(at)) {
      if (deps.stopping()) return { kind: 'aborted' };
      if (now() >= waitUntil)
        return {
          kind: 'isolation-deferred',
          message: `nothing was answered after ${after}, not even a probe (the Worker may be failing everything)`,
        };
      await evidence.seek();
      if (!evidence.answeredSince(at)) await sleep(ANSWERED_POLL_MS);
    }
    return undefined;
  }
  const before = await answerSince(decision.failedAt, 'its last failure');
  if (before) return before;
  if (!(await deps.workerIsHealthy()))
    return { kind: 'isolation-deferred', message: "the Worker's /healthz did not answer 200 with D1 reachable" };
  const confirmWindow: Window = { ...window, requestId: `${window.requestId.slice(0, 62)}.c` };
  const confirm = await forwardWindow(deps, topic, partition, confirmWindow, [message], deps.confirmTimeoutMs);
  if (confirm.kind !== 'failed') return confirm; // answered (or skipped, or aborted): not a poison record after all
  if (!confirm.countsTowardIsolation)
    return { kind: 'isolation-deferred', message: `the last attempt before isolating failed: ${confirm.message}` };
  const after = await answerSince(evidence.tick(), 'the last attempt failed');
  if (after) return after;
  const lastStatus = confirm.status ?? 'timeout';
  const reason = `isolated: the Worker failed this record ${decision.attempts} times while healthy, then once more given ${Math.round(deps.confirmTimeoutMs / 1000)} s (last: ${lastStatus}, request id ${confirmWindow.requestId})`;
  const letter = deadLetterOf(
    {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers ?? {},
    },
    reason,
  );
  try {
    await deps.sendDeadLetters([letter]);
  } catch (err) {
    if (deps.stopping()) return { kind: 'aborted' };
    return {
      kind: 'isolation-deferred',
      message: `dead-letter write failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  const labels = partitionLabels(topic, partition);
  deps.metrics.isolated.inc(labels);
  deps.metrics.deadLettered.inc(labels);
  log('warn', 'record isolated', {
    topic,
    partition,
    offset: message.offset,
    attempts: decision.attempts + 1,
    lastStatus,
    requestId: confirmWindow.requestId,
    dlq: letter.topic,
  });
  return { kind: 'isolated' };
}
