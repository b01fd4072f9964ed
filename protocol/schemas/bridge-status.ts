/** The Worker's validation of a bridge's liveness report (the types and bounds: protocol/bridge-status.ts). */
import { z } from 'zod';
import { BRIDGE_STATES, MAX_STATUS_PARTITIONS, type BridgeStatus, type PartitionStatus } from '../bridge-status.ts';
import type { SameType } from '../same-type.ts';

export const PartitionStatusSchema = z.object({
  topic: z.string().min(1).max(249),
  partition: z.number().int().min(0).max(1_000_000),
  committedOffset: z
    .string()
    .regex(/^\d{1,20}$/)
    .nullable(),
  highWatermark: z
    .string()
    .regex(/^\d{1,20}$/)
    .nullable(),
  lag: z.number().int().min(0).nullable(),
  stalledSince: z.string().datetime().optional(),
  lastError: z.string().max(500).optional(),
});
true satisfies SameType<z.infer<typeof PartitionStatusSchema>, PartitionStatus>;

export const BridgeStatusSchema = z.object({
  bridgeId: z.string().min(1).max(200),
  at: z.string().datetime(),
  startedAt: z.string().datetime(),
  intervalMs: z.number().int().min(1000).max(3_600_000),
  state: z.enum(BRIDGE_STATES),
  partitions: z.array(PartitionStatusSchema).max(MAX_STATUS_PARTITIONS),
  deadLettered: z.number().int().min(0),
});
true satisfies SameType<z.infer<typeof BridgeStatusSchema>, BridgeStatus>;
