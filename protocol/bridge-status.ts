/**
 * The bridge → Worker liveness report: `POST /internal/bridge/status` (service token). Each
 * bridge process sends one every `intervalMs` and at once when a partition starts or stops
 * being stalled, so `GET /api/stats` and the dashboard can say "stalled" instead of a calm
 * "Live" when Kafka has records that do not reach D1. The Worker validates a report with
 * protocol/schemas/bridge-status.ts.
 */

/** Most partitions one report carries (a bridge with more reports the worst ones first). */
export const MAX_STATUS_PARTITIONS = 512;

/** 'starting' (waiting for Kafka or the Worker), 'consuming', or 'stopping'. */
export const BRIDGE_STATES = ['starting', 'consuming', 'stopping'] as const;
export type BridgeState = (typeof BRIDGE_STATES)[number];

export type PartitionStatus = {
  topic: string;
  partition: number;
  /** Next offset to consume as committed in the group (null: nothing committed yet). */
  committedOffset: string | null;
  /** The partition's high watermark when last read (null: not known yet). */
  highWatermark: string | null;
  /** highWatermark - committedOffset, records not yet stored or dead-lettered (null: unknown). */
  lag: number | null;
  /** The head record of this partition has failed to forward since this time (ISO-8601); absent while flowing. */
  stalledSince?: string;
  /** The latest failure of the head record, one line (status, code, request id); absent while flowing. */
  lastError?: string;
};

export type BridgeStatus = {
  /** Stable for the life of one bridge process (client id + host + pid, or a UUID). */
  bridgeId: string;
  /** When the report was made (ISO-8601, the bridge's clock). */
  at: string;
  startedAt: string;
  /** How often this bridge reports; a report older than 3 intervals means the bridge is gone. */
  intervalMs: number;
  state: BridgeState;
  /** Partitions currently assigned to this bridge (at most MAX_STATUS_PARTITIONS). */
  partitions: PartitionStatus[];
  /** Records this process has dead-lettered since it started. */
  deadLettered: number;
};
