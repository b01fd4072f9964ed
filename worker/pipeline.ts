/**
 * Is the pipeline flowing? The rules behind `GET /api/stats` → `pipeline` (docs/operations.md,
 * "Pipeline liveness"), as a pure function of the bridges' latest reports, the newest stored
 * event and the clock.
 *
 * Durations a bridge reports (how long a partition has been stuck, how long it has been
 * starting, how long its lag has been > 0) are measured on the bridge's own clock — the
 * difference between two of its timestamps — plus the time since the Worker received the
 * report, so a skewed bridge clock does not move them. Whether a bridge is gone is the Worker's
 * clock alone.
 */
import type { BridgeStatus } from '../protocol/bridge-status.ts';
import type { Pipeline, PipelineBridge, PipelineState } from '../protocol/pipeline.ts';
import type { StoredBridgeStatus } from './db/bridge-status.ts';

/** A bridge is gone when it has not reported for this many of its intervals. */
export const GONE_AFTER_INTERVALS = 3;
/** Most stuck partitions named one by one in the reasons; the rest are counted. */
const MAX_NAMED_PARTITIONS = 5;

export type PipelineInput = {
  bridges: readonly StoredBridgeStatus[];
  /** The newest stored event's receivedAt (ms), or null. */
  lastStoredAt: number | null;
  now: number;
  /** PIPELINE_STALL_MS. */
  stallMs: number;
};

/** The pipeline's state, its reasons and a summary per bridge (see the module comment for the clocks). */
export function pipelineState({ bridges, lastStoredAt, now, stallMs }: PipelineInput): Pipeline {
  const newestFirst = [...bridges].sort((a, b) => b.receivedAt - a.receivedAt);
  const isGone = (b: StoredBridgeStatus) => now - b.receivedAt > GONE_AFTER_INTERVALS * b.report.intervalMs;
  const live = newestFirst.filter((b) => !isGone(b));
  const gone = newestFirst.filter(isGone);
  /** How long ago (bridge clock, then ours) a bridge-side timestamp was, as of now. */
  const elapsed = (b: StoredBridgeStatus, since: string) =>
    Math.max(0, Date.parse(b.report.at) - Date.parse(since)) + Math.max(0, now - b.receivedAt);
  const isStuck = (b: StoredBridgeStatus, p: BridgeStatus['partitions'][number]) =>
    p.stalledSince !== undefined && elapsed(b, p.stalledSince) >= stallMs;

  const summary: PipelineBridge[] = newestFirst.map((b) => ({
    bridgeId: b.report.bridgeId,
    state: b.report.state,
    gone: isGone(b),
    reportedAt: new Date(b.receivedAt).toISOString(),
    intervalMs: b.report.intervalMs,
    partitions: b.report.partitions.length,
    stalledPartitions: b.report.partitions.filter((p) => isStuck(b, p)).length,
    lag: b.report.partitions.reduce((n, p) => n + (p.lag ?? 0), 0),
    deadLettered: b.report.deadLettered,
  }));
  const base = {
    lastStoredAt: lastStoredAt === null ? null : new Date(lastStoredAt).toISOString(),
    stallMs,
    bridges: summary,
  };
  const goneLines = gone
    .slice(0, 3)
    .map(
      (b) =>
        `Bridge ${b.report.bridgeId} last reported ${duration(now - b.receivedAt)} ago (it reports every ${duration(b.report.intervalMs)}): it is gone.`,
    );

  if (live.length === 0) {
    const reasons =
      newestFirst.length === 0
        ? [
            'No bridge has reported its status: whether Kafka records reach the Worker is unknown (is the bridge running? bridges older than this Worker do not report).',
          ]
        : [...goneLines, 'No bridge is reporting: whether Kafka records reach the Worker is unknown.'];
    return { state: 'unknown', reasons, lag: null, ...base };
  }

  // Each partition counts once, from the newest report that has it (after a rebalance the old
  // owner may still report it until its next report).
  const seen = new Set<string>();
  let lag = 0;
  const stuck: string[] = [];
  for (const b of live) {
    for (const p of b.report.partitions) {
      const key = `${p.topic}/${p.partition}`;
      if (seen.has(key)) continue;
      seen.add(key);
      lag += p.lag ?? 0;
      if (isStuck(b, p))
        stuck.push(
          `${key} has not moved for ${duration(elapsed(b, p.stalledSince!))} (bridge ${b.report.bridgeId}${p.lastError ? `; last error: ${p.lastError}` : ''}).`,
        );
    }
  }

  const reasons: string[] = [];
  reasons.push(...stuck.slice(0, MAX_NAMED_PARTITIONS));
  if (stuck.length > MAX_NAMED_PARTITIONS)
    reasons.push(`… and ${stuck.length - MAX_NAMED_PARTITIONS} more partitions that have not moved.`);
  for (const b of live) {
    if (b.report.state === 'starting' && elapsed(b, b.report.startedAt) >= stallMs) {
      reasons.push(
        `Bridge ${b.report.bridgeId} has been starting for ${duration(elapsed(b, b.report.startedAt))} (waiting for Kafka or the Worker).`,
      );
    }
  }
  // Records have been waiting (lag > 0 in every report of a bridge for stallMs) and nothing reached D1 meanwhile.
  const waitingLong = live.filter(
    (b) => b.lagSince !== null && summaryOf(summary, b).lag > 0 && elapsed(b, b.lagSince) >= stallMs,
  );
  const quietFor = lastStoredAt === null ? Infinity : now - lastStoredAt;
  if (waitingLong.length > 0 && quietFor >= stallMs) {
    const waiting = Math.min(...waitingLong.map((b) => elapsed(b, b.lagSince!)));
    reasons.push(
      `${lag} record${lag === 1 ? '' : 's'} wait in Kafka (for ${duration(waiting)}) and nothing was stored ${lastStoredAt === null ? 'yet' : `for ${duration(quietFor)}`}.`,
    );
  }

  let state: PipelineState;
  if (reasons.length > 0) state = 'stalled';
  else {
    state = lag > 0 ? 'flowing' : 'idle';
    const parts = seen.size;
    reasons.push(
      `${live.length} bridge${live.length === 1 ? '' : 's'} reporting, ${parts} partition${parts === 1 ? '' : 's'}, ${lag === 0 ? 'nothing waiting in Kafka' : `${lag} record${lag === 1 ? '' : 's'} on the way`}.`,
    );
  }
  reasons.push(...goneLines);
  return { state, reasons, lag, ...base };
}

function summaryOf(summary: PipelineBridge[], b: StoredBridgeStatus): PipelineBridge {
  return summary.find((s) => s.bridgeId === b.report.bridgeId)!;
}

/** `45 s`, `3 min 5 s`, `2 h 10 min`: a duration for a reason line. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}
