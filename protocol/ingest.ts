/**
 * The bridge → Worker contract: `POST /internal/ingest` takes a batch of raw Kafka records and
 * answers one result per record, in the same order.
 */
import { z } from 'zod';

/** Largest batch the ingest route accepts, in records. */
export const MAX_INGEST_RECORDS = 1000;

export const IngestRecordSchema = z.object({
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  offset: z.string().regex(/^\d+$/),
  key: z.string().nullable().optional(),
  /** The record value as UTF-8 text, untouched; the Worker parses and validates it. */
  value: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Kafka record timestamp (ms since epoch, as a string like kafkajs gives it). */
  timestamp: z.string().optional(),
});
export type IngestRecord = z.infer<typeof IngestRecordSchema>;

export const IngestBatchSchema = z.object({
  records: z.array(IngestRecordSchema).min(1).max(MAX_INGEST_RECORDS),
});
export type IngestBatch = z.infer<typeof IngestBatchSchema>;

export type IngestResult =
  | { status: 'stored'; id: string; seq: number; category: string }
  | { status: 'duplicate'; id: string; category: string }
  | { status: 'rejected'; reason: string };

export type IngestResponse = { results: IngestResult[] };
