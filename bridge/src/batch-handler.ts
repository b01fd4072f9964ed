/**
 * The consumer's `eachBatch`, built so that one partition never holds the others: kafkajs fetches
 * again only when every `eachBatch` of the last fetch has returned (docs/bridge.md, "Why one
 * partition could stop all"), so this handler never sleeps out a backoff and never waits longer
 * than `stepWaitMs` for the Worker. A partition that must wait is paused alone (the payload's
 * `pause`) and resumed when its backoff ends or its forward is answered; kafkajs then fetches it
 * again from its last resolved offset, and the answer kept for that head is applied to it.
 *
 * What to forward and what a failure means is `partition-flow.ts` (pure). This module does the
 * I/O around it: the forward, dead letters, resolving and committing, pausing and resuming.
 * It takes the kafkajs payload structurally, so only kafka.ts imports kafkajs. The steps themselves
 * (a forward, an isolation) are batch-steps.ts.
 */
import {
  type BatchHandlerDeps,
  type BatchMessage,
  type BatchPayload,
  forwardWindow,
  isolateRecord,
  type StepResult,
} from './batch-steps.ts';
import { log } from './log.ts';
import { partitionLabels } from './metrics.ts';
import { type Decision, type FlowRecord, HealthLedger, PartitionFlow, type Window } from './partition-flow.ts';

/** What the liveness report and /healthz need to know of one partition. */
export type PartitionSnapshot = {
  topic: string;
  partition: number;
  stalledSince: number | undefined;
  lastError: string | undefined;
};

/** A forward (or an isolation) under way for a window; it may outlive the eachBatch that started it. */
type Step = { window: Window; messages: BatchMessage[]; promise: Promise<StepResult>; result?: StepResult };

type PartitionState = {
  flow: PartitionFlow;
  /** A step whose answer is kept for the refetched batch of the same head. */
  inFlight?: Step;
  /** Set while this handler has the partition paused: resumes it (once). */
  resume?: () => void;
  timer?: ReturnType<typeof setTimeout>;
};

export type BatchHandler = {
  eachBatch(payload: BatchPayload): Promise<void>;
  /**
   * A new group generation (rebalance) or a consumer restart: forget every partition's state,
   * cancel its timers and lift this handler's pauses, so no timer or late answer of the old
   * generation resumes or commits anything; a partition still ours starts again from its
   * committed offset.
   */
  reset(): void;
  /** Partitions this handler has seen in the current generation. */
  snapshot(): PartitionSnapshot[];
};

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

const flowRecord = (m: BatchMessage): FlowRecord => ({
  offset: m.offset,
  bytes: m.value?.length ?? 0,
  tombstone: m.value === null,
});

/** Heartbeats at least this often while eachBatch waits for a step (kafkajs throttles them to its heartbeatInterval). */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * Waits up to `ms` for the step, heartbeating in between so a long FORWARD_WAIT_MS does not cost
 * the group membership; undefined when the step is still running.
 */
async function settleWithin(step: Step, ms: number, heartbeat: () => Promise<void>): Promise<StepResult | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (step.result) return step.result;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), Math.min(left, HEARTBEAT_EVERY_MS));
    });
    const result = await Promise.race([step.promise, timeout]).finally(() => clearTimeout(timer));
    if (result) return result;
    await heartbeat(); // a rebalance surfaces here as an error: kafkajs rejoins, and reset() drops this state
  }
}

/**
 * The consumer's eachBatch and the per-partition state behind it (one HealthLedger for all
 * partitions of this bridge). Never sleeps a backoff; waits at most `stepWaitMs` for a step.
 */
export function createBatchHandler(deps: BatchHandlerDeps): BatchHandler {
  const ledger = new HealthLedger();
  let probing: Promise<void> | undefined;
  /**
   * Probes the Worker's ingest path (one probe at a time, bridge-wide); an answer is evidence of
   * health from the instant the probe began, like any forward's. Sought after a record fails
   * alone, so a topic with one partition, where nothing else is forwarded meanwhile, has evidence.
   */
  function seekEvidence(): Promise<void> {
    probing ??= (async () => {
      const at = ledger.tick();
      if (await deps.probeIngest()) ledger.recordSuccess(at);
    })().finally(() => {
      probing = undefined;
    });
    return probing;
  }
  const now = deps.now ?? Date.now;
  let partitions = new Map<string, PartitionState>();

  function stateOf(topic: string, partition: number): PartitionState {
    const key = keyOf(topic, partition);
    let state = partitions.get(key);
    if (!state) {
      state = { flow: new PartitionFlow(topic, partition, ledger, deps.settings) };
      partitions.set(key, state);
    }
    return state;
  }

  /** Whether `state` is still this generation's state of its partition (not reset, not shutting down). */
  const isCurrent = (state: PartitionState) =>
    !deps.stopping() && partitions.get(keyOf(state.flow.topic, state.flow.partition)) === state;

  /** Pauses the partition until `until` (a delay, or a step settling), when it is resumed if still current. */
  function pauseUntil(state: PartitionState, payload: BatchPayload, until: number | Promise<unknown>): void {
    const resumeFetching = payload.pause();
    state.resume = () => {
      state.resume = undefined;
      clearTimeout(state.timer);
      state.timer = undefined;
      resumeFetching();
    };
    const wake = () => {
      if (isCurrent(state)) state.resume?.();
    };
    if (typeof until === 'number') state.timer = setTimeout(wake, until);
    else void until.then(wake);
  }

  function startForward(topic: string, partition: number, window: Window, messages: BatchMessage[]): Step {
    return track({ window, messages, promise: forwardWindow(deps, topic, partition, window, messages) });
  }

  function startIsolation(
    topic: string,
    partition: number,
    window: Window,
    message: BatchMessage,
    decision: Extract<Decision, { action: 'isolate' }>,
  ): Step {
    return track({
      window,
      messages: [message],
      promise: isolateRecord(deps, topic, partition, window, message, decision, {
        answeredSince: (at) => ledger.succeededAfter(at),
        seek: seekEvidence,
        tick: () => ledger.tick(),
      }),
    });
  }

  function track(step: Step): Step {
    // Steps never reject (every failure is an outcome), but a bug must not become an unhandled rejection.
    step.promise = step.promise.catch(
      (err: unknown): StepResult => ({
        kind: 'failed',
        countsTowardIsolation: false,
        status: undefined,
        message: `bridge error: ${String(err)}`,
      }),
    );
    void step.promise.then((r) => (step.result = r));
    return step;
  }

  /**
   * Applies a settled step to its partition. 'advance': the window is done (committed); 'again':
   * forward from the same head now (split); 'paused' / 'stopped': return from eachBatch.
   */
  async function apply(
    state: PartitionState,
    payload: BatchPayload,
    step: Step,
    result: StepResult,
  ): Promise<'advance' | 'again' | 'paused' | 'stopped'> {
    const { topic, partition } = state.flow;
    const labels = partitionLabels(topic, partition);
    if (result.kind === 'aborted') return 'stopped'; // logged by the step
    const decision = state.flow.settle(step.window, result, now());
    switch (decision.action) {
      case 'commit': {
        payload.resolveOffset(step.window.lastOffset);
        await payload.commitOffsetsIfNecessary();
        const next = BigInt(step.window.lastOffset) + 1n;
        deps.metrics.consumed.inc(labels, step.window.count);
        const tombstones = step.messages.filter((m) => m.value === null).length;
        if (tombstones > 0) deps.metrics.tombstones.inc(labels, tombstones);
        deps.metrics.committedOffset.set(labels, Number(next));
        // Lag as of this fetch; liveness.ts also reads it from the broker, for partitions that are paused.
        const high = BigInt(payload.batch.highWatermark);
        deps.metrics.lag.set(labels, Number(high > next ? high - next : 0n));
        log('debug', 'batch committed', { topic, partition, records: step.window.count, nextOffset: next.toString() });
        await payload.heartbeat();
        return 'advance';
      }
      case 'split':
        deps.metrics.retried.inc(labels);
        log('info', 'batch refused whole; splitting', {
          topic,
          partition,
          fromOffset: step.window.firstOffset,
          records: step.window.count,
          window: state.flow.window,
          errorMessage: result.kind === 'refused' ? result.message : undefined,
        });
        return 'again';
      case 'wait':
        deps.metrics.retried.inc(labels);
        log('warn', 'forward failed; retrying', {
          topic,
          partition,
          fromOffset: step.window.firstOffset,
          records: step.window.count,
          requestId: step.window.requestId,
          delayMs: decision.delayMs,
          window: state.flow.window,
          ...(result.kind === 'failed'
            ? {
                status: result.status,
                code: result.code,
                counted: result.countsTowardIsolation,
                errorMessage: result.message,
              }
            : {}),
          ...(result.kind === 'isolation-deferred' ? { errorMessage: result.message } : {}),
        });
        if (result.kind === 'failed' && result.countsTowardIsolation && step.window.count === 1) void seekEvidence();
        pauseUntil(state, payload, decision.delayMs);
        return 'paused';
      case 'isolate': {
        const isolation = startIsolation(topic, partition, step.window, step.messages[0]!, decision);
        return settleOrApply(state, payload, isolation);
      }
    }
  }

  /**
   * Waits up to stepWaitMs for a step (a forward or an isolation) and applies its result. A slow
   * answer: only this partition pauses ('paused'), and the step is kept for its refetched batch
   * (its answer is not sent again).
   */
  async function settleOrApply(
    state: PartitionState,
    payload: BatchPayload,
    step: Step,
  ): Promise<'advance' | 'again' | 'paused' | 'stopped'> {
    const result = await settleWithin(step, deps.stepWaitMs, payload.heartbeat);
    if (!result) {
      state.inFlight = step;
      pauseUntil(state, payload, step.promise);
      return 'paused';
    }
    return apply(state, payload, step, result);
  }

  async function eachBatch(payload: BatchPayload): Promise<void> {
    const { topic, partition } = payload.batch;
    const state = stateOf(topic, partition);
    const shouldStop = () => deps.stopping() || !payload.isRunning() || payload.isStale();
    let messages = payload.batch.messages;
    if (state.resume) state.resume(); // fetched although paused (a resume from outside): our pause is over

    const held = state.inFlight;
    if (held) {
      state.inFlight = undefined;
      if (messages[0]?.offset !== held.window.firstOffset) {
        // The head is not where the step started (records deleted by retention, a seek): its answer is for other records.
        log('warn', 'dropping an answer kept for another head', {
          topic,
          partition,
          keptFor: held.window.firstOffset,
          head: messages[0]?.offset,
        });
      } else {
        const next = await settleOrApply(state, payload, held);
        if (next === 'paused' || next === 'stopped') return;
        if (next === 'advance') messages = messages.filter((m) => BigInt(m.offset) > BigInt(held.window.lastOffset));
      }
    }

    while (messages.length > 0) {
      if (shouldStop()) return;
      const window = state.flow.next(messages.map(flowRecord));
      const step = startForward(topic, partition, window, messages.slice(0, window.count));
      const next = await settleOrApply(state, payload, step);
      if (next === 'paused' || next === 'stopped') return;
      if (next === 'advance') messages = messages.slice(window.count);
    }
  }

  return {
    eachBatch,
    reset() {
      for (const state of partitions.values()) {
        clearTimeout(state.timer);
        state.resume?.();
      }
      partitions = new Map();
    },
    snapshot: () =>
      [...partitions.values()].map(({ flow }) => ({
        topic: flow.topic,
        partition: flow.partition,
        stalledSince: flow.stalledSince,
        lastError: flow.lastError,
      })),
  };
}
