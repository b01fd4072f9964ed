/**
 * The bridge → Worker contract: `POST /internal/ingest` takes a batch of raw Kafka records and
 * answers one result per record, in the same order. The Worker validates the batch with
 * protocol/schemas/ingest.ts.
 */

/** Largest batch the ingest route accepts, in records. */
export const MAX_INGEST_RECORDS = 1000;

/** One Kafka record, as the bridge forwards it. */
export type IngestRecord = {
  topic: string;
  partition: number;
  /** The record's offset, decimal digits (a 64-bit number does not fit a JSON number). */
  offset: string;
  key?: string | null;
  /** The record value as UTF-8 text, untouched; the Worker parses and validates it. */
  value: string;
  headers?: Record<string, string>;
  /** Kafka record timestamp (ms since epoch, as a string like kafkajs gives it). */
  timestamp?: string;
};

/**
 * At most MAX_INGEST_RECORDS records. An empty batch is the bridge's probe of the ingest path
 * (evidence the Worker answers ingest now, docs/bridge.md): answered `{ results: [] }`, nothing done.
 */
export type IngestBatch = { records: IngestRecord[] };

export type IngestResult =
  | { status: 'stored'; id: string; seq: number; category: string }
  | { status: 'duplicate'; id: string; category: string }
  | { status: 'rejected'; reason: string };

export type IngestResponse = { results: IngestResult[] };
