/** The ingest route's validation of a bridge batch (the types and bounds: protocol/ingest.ts). */
import { z } from 'zod';
import { MAX_INGEST_RECORDS, type IngestBatch, type IngestRecord } from '../ingest.ts';
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
  records: z.array(IngestRecordSchema).min(1).max(MAX_INGEST_RECORDS),
});
true satisfies SameType<z.infer<typeof IngestBatchSchema>, IngestBatch>;
