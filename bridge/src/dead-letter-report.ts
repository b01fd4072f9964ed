/**
 * What the bridge tells the Worker about a dead letter, and the record a claimed replay produces
 * (docs/bridge.md, "Dead letters on the page"). Pure: the I/O is the caller's.
 *
 * A report names the letter by its DLQ coordinates (the Worker stores it once by them), where it
 * came from and why, and keeps a bounded preview of the value: its first VALUE_PREVIEW_BYTES bytes,
 * as UTF-8 text when the value is valid UTF-8 (cut at a character boundary) and as base64
 * otherwise, with the whole value's size and whether it was cut. Keys likewise, up to 1 KiB.
 */
import { isUtf8 } from 'node:buffer';
import {
  type ClaimedReplay,
  type DeadLetterReport,
  type Encoding,
  KEY_PREVIEW_BYTES,
  MAX_HEADER_NAME,
  MAX_HEADER_VALUE,
  MAX_LETTER_HEADERS,
  MAX_REASON,
  VALUE_PREVIEW_BYTES,
} from '../../protocol/dead-letters.ts';
import { DEAD_LETTER_HEADERS, REPLAY_HEADER, type StoredDeadLetter, originOfDlq } from './dlq.ts';

/** The header a record produced by a replay from the page carries: the replay request's id. */
export const REPLAY_ID_HEADER = 'x-quaycast-replay-id';

export type Preview = { text: string | null; encoding: Encoding; bytes: number; truncated: boolean };

/** The first `max` bytes of `bytes` as text: UTF-8 (never cutting a character) or base64. */
export function previewOf(bytes: Buffer | null, max: number): Preview {
  if (bytes === null) return { text: null, encoding: 'utf8', bytes: 0, truncated: false };
  const truncated = bytes.length > max;
  if (isUtf8(bytes)) {
    let end = Math.min(bytes.length, max);
    // Back off continuation bytes (10xxxxxx) so the cut falls before a whole character.
    while (truncated && end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    return { text: bytes.subarray(0, end).toString('utf8'), encoding: 'utf8', bytes: bytes.length, truncated };
  }
  return { text: bytes.subarray(0, max).toString('base64'), encoding: 'base64', bytes: bytes.length, truncated };
}

/**
 * The report of a record read from `dlqTopic`. The x-original-* headers are data from Kafka: a
 * partition or offset that is not a number is reported as -1 / '0' rather than trusted, and the
 * topic is always the DLQ's own (`port-events.dlq` → `port-events`), whatever the header says.
 */
export function reportOf(dlqTopic: string, letter: StoredDeadLetter & { timestamp: string }): DeadLetterReport {
  const h = letter.headers;
  const partition = /^\d{1,7}$/.test(h['x-original-partition'] ?? '') ? Number(h['x-original-partition']) : 0;
  const offset = /^\d{1,19}$/.test(h['x-original-offset'] ?? '') ? h['x-original-offset']! : '0';
  const key = previewOf(letter.key, KEY_PREVIEW_BYTES);
  const value = previewOf(letter.value, VALUE_PREVIEW_BYTES);
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if ((DEAD_LETTER_HEADERS as readonly string[]).includes(k) || k === REPLAY_ID_HEADER) continue;
    if (Object.keys(own).length >= MAX_LETTER_HEADERS) break;
    own[k.slice(0, MAX_HEADER_NAME)] = v.slice(0, MAX_HEADER_VALUE);
  }
  const at = Number(letter.timestamp);
  return {
    dlqTopic,
    dlqPartition: letter.partition,
    dlqOffset: letter.offset,
    topic: originOfDlq(dlqTopic),
    partition,
    offset,
    key: key.text,
    keyEncoding: key.encoding,
    reason: (h['x-error'] ?? '(no x-error header)').slice(0, MAX_REASON),
    deadAt: Number.isFinite(at) && at >= 0 ? at : 0,
    value: value.text,
    valueEncoding: value.encoding,
    valueBytes: value.bytes,
    valueTruncated: value.truncated,
    headers: own,
  };
}

const bytesOf = (text: string | null, encoding: Encoding) =>
  text === null ? null : Buffer.from(text, encoding === 'base64' ? 'base64' : 'utf8');

/**
 * The record a claimed replay produces, or why it must not be produced. The Worker is not
 * trusted to pick topics (like the outbox): only the DLQ's own topic, and only one the bridge
 * consumes. The record carries the original key and own headers, `x-quaycast-replay-of` (the
 * dead letter) and `x-quaycast-replay-id` (the request: how a second attempt finds the first's copy).
 */
export function replayRecord(
  r: Omit<ClaimedReplay, 'letterId' | 'attempt' | 'scanFrom'>,
  consumed: readonly string[],
  /** The dead letter's own value, read from its DLQ record (for a request with `fromDlq`). */
  fromDlq?: { value: Buffer | null },
):
  | {
      ok: true;
      topic: string;
      partition: number;
      key: Buffer | null;
      value: Buffer | null;
      headers: Record<string, string>;
    }
  | { ok: false; reason: string } {
  if (!r.dlqTopic.endsWith('.dlq') || originOfDlq(r.dlqTopic) !== r.topic)
    return { ok: false, reason: `${r.topic} is not the topic of ${r.dlqTopic}` };
  if (!consumed.includes(r.topic))
    return { ok: false, reason: `${r.topic} is not a topic the bridge consumes (KAFKA_TOPICS)` };
  if (r.fromDlq && !fromDlq) return { ok: false, reason: 'the value must be read from the DLQ record' };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers))
    if (!(DEAD_LETTER_HEADERS as readonly string[]).includes(k) && k !== REPLAY_HEADER && k !== REPLAY_ID_HEADER)
      headers[k] = v;
  headers[REPLAY_HEADER] = `${r.dlqTopic}:${r.dlqPartition}:${r.dlqOffset}`;
  headers[REPLAY_ID_HEADER] = r.id;
  return {
    ok: true,
    topic: r.topic,
    partition: r.partition,
    key: bytesOf(r.key, r.keyEncoding),
    value: r.tombstone ? null : fromDlq && r.fromDlq ? fromDlq.value : bytesOf(r.value, r.valueEncoding),
    headers,
  };
}

/** Whether a record read back from the target partition is this replay's earlier copy. */
export const isCopyOf = (replayId: string, headers: Record<string, string>) => headers[REPLAY_ID_HEADER] === replayId;
