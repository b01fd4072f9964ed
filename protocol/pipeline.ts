/**
 * The pipeline's liveness as `GET /api/stats` reports it (`pipeline`), computed by the Worker
 * from the bridges' reports (protocol/bridge-status.ts) and the newest stored event.
 */
import type { BridgeState } from './bridge-status.ts';

/**
 * `flowing`: records wait in Kafka and the bridges move them; `idle`: nothing waits;
 * `stalled`: a partition has not moved for `stallMs`, or records wait and nothing was stored for
 * that long, or a bridge has been starting that long; `unknown`: no bridge reported within three
 * of its intervals (the bridge is gone, or none runs).
 */
export const PIPELINE_STATES = ['flowing', 'idle', 'stalled', 'unknown'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

/** One bridge process, as its latest report describes it. */
export type PipelineBridge = {
  bridgeId: string;
  /** The bridge's own state in its latest report. */
  state: BridgeState;
  /** No report within three of its intervals: the process is gone. */
  gone: boolean;
  /** When the Worker received its latest report (ISO-8601, the Worker's clock). */
  reportedAt: string;
  intervalMs: number;
  partitions: number;
  /** Partitions whose head record has failed to forward for at least `stallMs`. */
  stalledPartitions: number;
  /** Sum of the known lags of its partitions. */
  lag: number;
  deadLettered: number;
};

export type Pipeline = {
  state: PipelineState;
  /** Human-readable lines: why the state is what it is (the first one is the most important). */
  reasons: string[];
  /** The newest stored event's `receivedAt` (ISO-8601), or null when nothing is stored. */
  lastStoredAt: string | null;
  /** Records not yet stored or dead-lettered, summed over the live bridges' partitions (each partition once); null with no live bridge. */
  lag: number | null;
  /** The threshold in force (`PIPELINE_STALL_MS`). */
  stallMs: number;
  /** Every bridge that reported in the last hour, newest report first. */
  bridges: PipelineBridge[];
};

/** True when the dashboard must not call the pipeline calm: it is stalled, or nobody knows. */
export function pipelineNeedsAttention(state: PipelineState): boolean {
  return state === 'stalled' || state === 'unknown';
}
