/**
 * The dead-letter exchange between the bridge and the Worker (docs/bridge.md, "Dead letters on
 * the page"): the report of a letter read from a `.dlq` topic, a replay request as a claim answers
 * it, and the outcome the bridge settles it with. Types and bounds; the zod schemas of both
 * directions are in `schemas/dead-letters.ts`.
 */

/** The preview kept of a value (the Worker refuses more): its first 8 KiB. */
export const VALUE_PREVIEW_BYTES = 8192;
/** The preview kept of a key: its first 1 KiB. */
export const KEY_PREVIEW_BYTES = 1024;
/** A preview as text: base64 of the bound, which also has room for text of that many bytes. */
export const MAX_VALUE_CHARS = Math.ceil(VALUE_PREVIEW_BYTES / 3) * 4;
export const MAX_KEY_CHARS = Math.ceil(KEY_PREVIEW_BYTES / 3) * 4;
/** The longest value an admin may put in place of a letter's before its replay (characters of UTF-8 text). */
export const MAX_EDITED_VALUE = 256 * 1024;
/** Most letters one report carries; replays one claim takes (and settlements one settle takes). */
export const MAX_REPORTED = 100;
export const MAX_CLAIMED = 50;
/** A replay request's id (the Worker's: a UUID). */
export const MAX_REPLAY_ID = 64;
/** Headers a report keeps of a letter's own (the dead-letter headers dropped), and their sizes. */
export const MAX_LETTER_HEADERS = 32;
export const MAX_HEADER_NAME = 200;
export const MAX_HEADER_VALUE = 1000;
export const MAX_REASON = 2000;

export type Encoding = 'utf8' | 'base64';

/** What the bridge tells the Worker of one dead letter (POST /internal/dead-letters). */
export type DeadLetterReport = {
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  keyEncoding: Encoding;
  reason: string;
  deadAt: number;
  value: string | null;
  valueEncoding: Encoding;
  valueBytes: number;
  valueTruncated: boolean;
  headers: Record<string, string>;
};

/** A replay request as the Worker's claim answers it (POST /internal/dead-letters/replays/claim). */
export type ClaimedReplay = {
  id: string;
  letterId: number;
  /** 1 on the first claim; a higher one means an earlier claim may have produced it already. */
  attempt: number;
  dlqTopic: string;
  dlqPartition: number;
  dlqOffset: string;
  topic: string;
  partition: number;
  key: string | null;
  keyEncoding: Encoding;
  /** The value to produce: the admin's edit, or the dead letter's when it was kept whole; null with `fromDlq`. */
  value: string | null;
  valueEncoding: Encoding;
  /** The value was cut in the report and not edited: the bridge reads it from the DLQ record itself (`value` is null). */
  fromDlq: boolean;
  tombstone: boolean;
  headers: Record<string, string>;
  /** Where a second claim looks for a copy the first produced (the partition's watermark at the first claim). */
  scanFrom: string | null;
};

/** The outcome the bridge settles a claimed replay with (POST /internal/dead-letters/replays/settle). */
export type Settlement =
  | { id: string; outcome: 'produced'; partition: number; offset: string }
  | { id: string; outcome: 'failed'; reason: string };
