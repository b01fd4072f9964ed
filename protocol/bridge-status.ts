/**
 * The bridge → Worker liveness report: `POST /internal/bridge/status` (service token). Each
 * bridge process sends one every `intervalMs` and at once when a partition starts or stops
 * being stalled, so `GET /api/stats` and the dashboard can say "stalled" instead of a calm
 * "Live" when Kafka has records that do not reach D1.
 */
import { z } from 'zod';

/** Most partitions one report carries (a bridge with more reports the worst ones first). */
export const MAX_STATUS_PARTITIONS = 512;

export const PartitionStatusSchema = z.object({
  topic: z.string().min(1).max(249),
  partition: z.number().int().min(0).max(1_000_000),
  /** Next offset to consume as committed in the group (null: nothing committed yet). */
  committedOffset: z.string().regex(/^\d{1,20}$/).nullable(),
  /** The partition's high watermark when last read (null: not known yet). */
  highWatermark: z.string().regex(/^\d{1,20}$/).nullable(),
  /** highWatermark - committedOffset, records not yet stored or dead-lettered (null: unknown). */
  lag: z.number().int().min(0).nullable(),
  /** The head record of this partition has failed to forward since this time (ISO-8601); absent while flowing. */
  stalledSince: z.string().datetime().optional(),
  /** The latest failure of the head record, one line (status, code, request id); absent while flowing. */
  lastError: z.string().max(500).optional(),
});
export type PartitionStatus = z.infer<typeof PartitionStatusSchema>;

export const BridgeStatusSchema = z.object({
  /** Stable for the life of one bridge process (client id + host + pid, or a UUID). */
  bridgeId: z.string().min(1).max(200),
  /** When the report was made (ISO-8601, the bridge's clock). */
  at: z.string().datetime(),
  startedAt: z.string().datetime(),
  /** How often this bridge reports; a report older than 3 intervals means the bridge is gone. */
  intervalMs: z.number().int().min(1000).max(3_600_000),
  /** 'starting' (waiting for Kafka or the Worker), 'consuming', or 'stopping'. */
  state: z.enum(['starting', 'consuming', 'stopping']),
  /** Partitions currently assigned to this bridge. */
  partitions: z.array(PartitionStatusSchema).max(MAX_STATUS_PARTITIONS),
  /** Records this process has dead-lettered since it started. */
  deadLettered: z.number().int().min(0),
});
export type BridgeStatus = z.infer<typeof BridgeStatusSchema>;
