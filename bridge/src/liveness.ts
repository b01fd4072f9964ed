/**
 * Liveness the operator can see: per assigned partition, whether its head has been failing for
 * longer than STALL_THRESHOLD_MS (then `/healthz` answers 503 naming it), its lag as the broker
 * has it (the group's committed offset against the high watermark, read every
 * STATUS_INTERVAL_MS, so it stays right while a partition is paused), the Prometheus gauges, and
 * the liveness report to the Worker (`POST /internal/bridge/status`, contract 2): at once when
 * something changed (the state, the assignment, a partition stalling or recovering, a record
 * dead-lettered) and otherwise every STATUS_INTERVAL_MS — the heartbeat by which the Worker tells
 * an idle bridge (reporting) from a gone one (silent for 3 intervals), so at rest it is the only report.
 */
import { hostname } from 'node:os';
import { MAX_STATUS_PARTITIONS, type BridgeStatus, type PartitionStatus } from '../../protocol/bridge-status.ts';
import { sleep } from './backoff.ts';
import type { PartitionSnapshot } from './batch-handler.ts';
import type { PartitionOffsets, TopicPartition } from './kafka.ts';
import { errorFields, log } from './log.ts';
import { partitionLabels, retainSeries, totalOf, type BridgeMetrics, type PartitionLabels } from './metrics.ts';

export type LivenessDeps = {
  workerUrl: string;
  ingestToken: string;
  stallThresholdMs: number;
  statusIntervalMs: number;
  requestTimeoutMs: number;
  metrics: BridgeMetrics;
  bridgeId: string;
  startedAt: Date;
  state(): BridgeStatus['state'];
  assigned(): TopicPartition[];
  partitions(): PartitionSnapshot[];
  readOffsets(): Promise<PartitionOffsets[]>;
  /** Longest a report waits for readOffsets (default 5 s). */
  offsetsTimeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
};

/** A partition whose head has been failing longer than the threshold. */
export type StalledPartition = {
  topic: string;
  partition: number;
  stalledForMs: number;
  lastError: string | undefined;
};

/** `<clientId>@<host>/<pid>`: stable for the life of one bridge process. */
export function bridgeIdOf(clientId: string): string {
  return `${clientId}@${hostname()}/${process.pid}`.slice(0, 200);
}

/** The assigned partitions stalled longer than `thresholdMs`, longest first. Pure. */
export function stalledPartitions(
  assigned: readonly TopicPartition[],
  snapshots: readonly PartitionSnapshot[],
  now: number,
  thresholdMs: number,
): StalledPartition[] {
  const mine = new Set(assigned.map((a) => `${a.topic}/${a.partition}`));
  return snapshots
    .filter(
      (s) =>
        s.stalledSince !== undefined && mine.has(`${s.topic}/${s.partition}`) && now - s.stalledSince > thresholdMs,
    )
    .map((s) => ({
      topic: s.topic,
      partition: s.partition,
      stalledForMs: now - s.stalledSince!,
      lastError: s.lastError,
    }))
    .sort((a, b) => b.stalledForMs - a.stalledForMs);
}

/** /healthz's reason for a 503: the stalled partitions, named. Pure. */
export function stallReason(stalled: readonly StalledPartition[]): string {
  return stalled
    .map(
      (s) =>
        `${s.topic}/${s.partition} stalled for ${Math.round(s.stalledForMs / 1000)} s${s.lastError ? ` (last: ${s.lastError})` : ''}`,
    )
    .join('; ')
    .slice(0, 2000);
}

const MAX_LAG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * high - committed (the low watermark when nothing is committed), never negative, at most
 * Number.MAX_SAFE_INTEGER (offsets are 64-bit; the report's lag is a JSON integer); null when unknown. Pure.
 */
export function lagOf(o: PartitionOffsets | undefined): number | null {
  if (!o) return null;
  const lag = BigInt(o.high) - BigInt(o.committed ?? o.low);
  return Number(lag <= 0n ? 0n : lag > MAX_LAG ? MAX_LAG : lag);
}

/**
 * The liveness report (BridgeStatusSchema): one entry per assigned partition, stalled ones first,
 * then by lag, at most MAX_STATUS_PARTITIONS. Pure.
 */
export function buildStatus(input: {
  bridgeId: string;
  now: number;
  startedAt: Date;
  intervalMs: number;
  state: BridgeStatus['state'];
  assigned: readonly TopicPartition[];
  snapshots: readonly PartitionSnapshot[];
  offsets: readonly PartitionOffsets[];
  deadLettered: number;
}): BridgeStatus {
  const flows = new Map(input.snapshots.map((s) => [`${s.topic}/${s.partition}`, s]));
  const offsets = new Map(input.offsets.map((o) => [`${o.topic}/${o.partition}`, o]));
  const partitions: PartitionStatus[] = input.assigned.map(({ topic, partition }) => {
    const key = `${topic}/${partition}`;
    const o = offsets.get(key);
    const flow = flows.get(key);
    return {
      topic,
      partition,
      committedOffset: o?.committed ?? null,
      highWatermark: o?.high ?? null,
      lag: lagOf(o),
      ...(flow?.stalledSince !== undefined ? { stalledSince: new Date(flow.stalledSince).toISOString() } : {}),
      ...(flow?.stalledSince !== undefined && flow.lastError ? { lastError: flow.lastError.slice(0, 500) } : {}),
    };
  });
  partitions.sort(
    (a, b) =>
      Number(b.stalledSince !== undefined) - Number(a.stalledSince !== undefined) || (b.lag ?? 0) - (a.lag ?? 0),
  );
  return {
    bridgeId: input.bridgeId,
    at: new Date(input.now).toISOString(),
    startedAt: input.startedAt.toISOString(),
    intervalMs: input.intervalMs,
    state: input.state,
    partitions: partitions.slice(0, MAX_STATUS_PARTITIONS),
    deadLettered: input.deadLettered,
  };
}

export type Liveness = {
  /** ok: no assigned partition stalled beyond the threshold; otherwise the reason names them. */
  health(): { ok: true } | { ok: false; reason: string; stalled: StalledPartition[] };
  /**
   * Until the signal aborts: checks every second or so, and reports (reading lag from the broker
   * first) when the bridge's state changes (starting → consuming), its assignment changes, a
   * partition stalls or recovers or a record is dead-lettered, and otherwise every statusIntervalMs.
   */
  run(signal: AbortSignal): Promise<void>;
  /** Sends one report now (also used at shutdown, with state 'stopping'). */
  report(): Promise<void>;
};

/** Longest a report waits for the broker's offsets before it goes out with the last ones read (default). */
const OFFSETS_TIMEOUT_MS = 5000;

/** The liveness of one bridge process: health for /healthz, the stalled and lag gauges, the report loop. */
export function createLiveness(deps: LivenessDeps): Liveness {
  const now = deps.now ?? Date.now;
  const doFetch = deps.fetch ?? fetch;
  let offsets: PartitionOffsets[] = [];
  const mine = (labels: PartitionLabels) =>
    deps.assigned().some((a) => a.topic === labels.topic && String(a.partition) === labels.partition);
  let notFoundLogged = false;
  let failing = false;

  const stalled = () => stalledPartitions(deps.assigned(), deps.partitions(), now(), deps.stallThresholdMs);

  // Seconds since the head started failing, computed at scrape time; gauges of partitions no longer ours are dropped.
  deps.metrics.beforeRender(async () => {
    const t = now();
    const assigned = new Set(deps.assigned().map((a) => `${a.topic}/${a.partition}`));
    for (const s of deps.partitions()) {
      if (assigned.has(`${s.topic}/${s.partition}`))
        deps.metrics.partitionStalledSeconds.set(
          partitionLabels(s.topic, s.partition),
          s.stalledSince === undefined ? 0 : (t - s.stalledSince) / 1000,
        );
    }
    await retainSeries(deps.metrics.partitionStalledSeconds, mine);
    await retainSeries(deps.metrics.lag, mine);
  });

  async function refreshOffsets(): Promise<void> {
    try {
      // Bounded: with the broker away, kafkajs' own retries would hold the report for half a minute.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ms = deps.offsetsTimeoutMs ?? OFFSETS_TIMEOUT_MS;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from the broker in ${ms} ms`)), ms);
      });
      offsets = await Promise.race([deps.readOffsets(), timeout]).finally(() => clearTimeout(timer));
    } catch (err) {
      log('warn', 'could not read offsets from the broker; lag is stale', errorFields(err));
      return;
    }
    const byKey = new Map(offsets.map((o) => [`${o.topic}/${o.partition}`, o]));
    for (const a of deps.assigned()) {
      const lag = lagOf(byKey.get(`${a.topic}/${a.partition}`));
      if (lag !== null) deps.metrics.lag.set(partitionLabels(a.topic, a.partition), lag);
    }
  }

  async function report(): Promise<void> {
    const body = buildStatus({
      bridgeId: deps.bridgeId,
      now: now(),
      startedAt: deps.startedAt,
      intervalMs: deps.statusIntervalMs,
      state: deps.state(),
      assigned: deps.assigned(),
      snapshots: deps.partitions(),
      offsets,
      deadLettered: await totalOf(deps.metrics.deadLettered),
    });
    try {
      const res = await doFetch(`${deps.workerUrl}/internal/bridge/status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${deps.ingestToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(deps.requestTimeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 404) {
        // An older Worker without the route: keep consuming, keep trying (it may be upgraded).
        if (!notFoundLogged)
          log(
            'info',
            'the Worker has no /internal/bridge/status yet (older Worker); liveness reports are ignored there',
          );
        notFoundLogged = true;
        return;
      }
      if (!res.ok) throw new Error(`worker answered ${res.status}`);
      if (failing) log('info', 'liveness report accepted again');
      failing = false;
    } catch (err) {
      if (!failing) log('warn', 'liveness report failed', errorFields(err));
      failing = true;
    }
  }

  return {
    health() {
      const s = stalled();
      return s.length === 0 ? { ok: true } : { ok: false, reason: stallReason(s), stalled: s };
    },
    report,
    async run(signal) {
      const tickMs = Math.max(100, Math.min(1000, Math.floor(deps.stallThresholdMs / 4)));
      let lastReport = 0;
      let lastState: BridgeStatus['state'] | undefined;
      let lastAssignment: string | undefined;
      let lastDeadLettered: number | undefined;
      let previous = new Set<string>();
      while (!signal.aborted) {
        const state = deps.state();
        const assignment = deps
          .assigned()
          .map((a) => `${a.topic}/${a.partition}`)
          .sort()
          .join(',');
        const deadLettered = await totalOf(deps.metrics.deadLettered);
        const current = stalled();
        const keys = new Set(current.map((s) => `${s.topic}/${s.partition}`));
        const changed = keys.size !== previous.size || [...keys].some((k) => !previous.has(k));
        for (const s of current)
          if (!previous.has(`${s.topic}/${s.partition}`))
            log('warn', 'partition stalled', {
              topic: s.topic,
              partition: s.partition,
              stalledForMs: s.stalledForMs,
              lastError: s.lastError,
            });
        for (const k of previous) if (!keys.has(k)) log('info', 'partition recovered', { partition: k });
        previous = keys;
        if (
          changed ||
          state !== lastState ||
          assignment !== lastAssignment ||
          deadLettered !== lastDeadLettered ||
          now() - lastReport >= deps.statusIntervalMs
        ) {
          lastReport = now();
          lastState = state;
          lastAssignment = assignment;
          lastDeadLettered = deadLettered;
          // Offsets only once consuming: before, the broker may be the thing we are waiting for.
          if (state === 'consuming') await refreshOffsets();
          await report();
        }
        await sleep(tickMs, signal);
      }
    },
  };
}
