/**
 * Both directions of `POST /internal/ingest` (the types and bounds: protocol/ingest.ts): the
 * Worker validates the bridge's batch, and the bridge the Worker's answer before it decides
 * commits and dead letters from it (bridge/src/worker-answer.ts).
 */
import { z } from 'zod';
import {
  MAX_INGEST_RECORDS,
  type IngestBatch,
  type IngestRecord,
  type IngestResponse,
  type IngestResult,
} from '../ingest.ts';
import type { SameType } from '../same-type.ts';

export const IngestRecordSchema = z.object({
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  offset: z.string().regex(/^\d+$/),
  key: z.string().nullable().optional(),
  value: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  timestamp: z.string().optional(),
});
true satisfies SameType<z.infer<typeof IngestRecordSchema>, IngestRecord>;

export const IngestBatchSchema = z.object({
  records: z.array(IngestRecordSchema).max(MAX_INGEST_RECORDS),
});
true satisfies SameType<z.infer<typeof IngestBatchSchema>, IngestBatch>;

export const IngestResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('stored'), id: z.string(), seq: z.number().int().nonnegative(), category: z.string() }),
  z.object({ status: z.literal('duplicate'), id: z.string(), category: z.string() }),
  z.object({ status: z.literal('rejected'), reason: z.string() }),
]);
true satisfies SameType<z.infer<typeof IngestResultSchema>, IngestResult>;

export const IngestResponseSchema = z.object({ results: z.array(IngestResultSchema) });
true satisfies SameType<z.infer<typeof IngestResponseSchema>, IngestResponse>;
