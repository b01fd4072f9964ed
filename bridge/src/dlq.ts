/** Dead letters: the original record, untouched, on `<topic>.dlq` with why and where it came from. */
import { printable, printableBytes } from './printable.ts';

export type DeadLetterSource = {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
};

export type DeadLetter = {
  topic: string;
  message: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | string | (Buffer | string)[]> };
};

export const dlqTopicOf = (topic: string) => `${topic}.dlq`;

/** Builds the dead letter of a record. The original's own headers are kept alongside. */
export function deadLetterOf(source: DeadLetterSource, reason: string): DeadLetter {
  const headers: DeadLetter['message']['headers'] = {};
  for (const [k, v] of Object.entries(source.headers)) if (v !== undefined) headers[k] = v;
  headers['x-error'] = reason.slice(0, 2000);
  headers['x-original-topic'] = source.topic;
  headers['x-original-partition'] = String(source.partition);
  headers['x-original-offset'] = source.offset;
  return { topic: dlqTopicOf(source.topic), message: { key: source.key, value: source.value, headers } };
}

// ---------------------------------------------------------------------------------------------
// Reading dead letters back (the `npm run dlq` CLI). Pure: the CLI does the I/O. A dead letter is
// data from Kafka, like any record: what it says about itself is checked, and printed escaped.

/** The headers a dead letter carries about itself (dropped again when it is replayed). */
export const DEAD_LETTER_HEADERS = [
  'x-error',
  'x-original-topic',
  'x-original-partition',
  'x-original-offset',
] as const;

/** The header a replayed record carries: which dead letter it came from (`<dlq topic>:<partition>:<offset>`). */
export const REPLAY_HEADER = 'x-quaycast-replay-of';

/** A record read from a `.dlq` topic. */
export type StoredDeadLetter = {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
};

/** `port-events` and `port-events.dlq` both name the dead-letter topic `port-events.dlq`. */
export const asDlqTopic = (topic: string) => (topic.endsWith('.dlq') ? topic : dlqTopicOf(topic));

/** The topic whose dead letters `dlqTopic` holds (`port-events.dlq` → `port-events`). */
export const originOfDlq = (dlqTopic: string) => dlqTopic.slice(0, -'.dlq'.length);

/** Most characters of an `x-error` and of a header value shown (a forged header can be megabytes). */
const ERROR_CHARS = 1000;
const HEADER_CHARS = 200;

/**
 * One entry of `dlq list`: where it is, where it came from, why, its own headers and a preview of
 * key and value. Every text is escaped (printable.ts) and cut: keys, values and headers are
 * whatever a producer sent, and must not act on the terminal they are printed to.
 */
export function describeDeadLetter(letter: StoredDeadLetter, previewChars = 80) {
  const header = (name: string, max = HEADER_CHARS) =>
    letter.headers[name] === undefined ? null : printable(letter.headers[name]!, max);
  const partitionText = letter.headers['x-original-partition'];
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if ((DEAD_LETTER_HEADERS as readonly string[]).includes(name) || name === REPLAY_HEADER) continue;
    own[printable(name, HEADER_CHARS)] = printable(value, HEADER_CHARS);
  }
  return {
    id: `${letter.partition}:${letter.offset}`,
    partition: letter.partition,
    offset: letter.offset,
    originalTopic: header('x-original-topic'),
    originalPartition: partitionText !== undefined && /^\d{1,10}$/.test(partitionText) ? Number(partitionText) : null,
    originalOffset: header('x-original-offset'),
    error: header('x-error', ERROR_CHARS),
    replayOf: header(REPLAY_HEADER),
    key: letter.key === null ? null : printableBytes(letter.key, previewChars),
    value: letter.value === null ? null : printableBytes(letter.value, previewChars),
    bytes: letter.value?.length ?? 0,
    headers: own,
  };
}

/** `3,7` (an offset, in whichever partition has it) or `1:3,0:7` (partition:offset). */
export type OffsetSelector = { partition: number | undefined; offset: string };

export function parseOffsets(text: string): OffsetSelector[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0)
    throw new Error('--offsets needs at least one offset, e.g. --offsets 3,7 or --offsets 0:3,1:7');
  return items.map((item) => {
    const m = /^(?:(\d+):)?(\d+)$/.exec(item);
    if (!m) throw new Error(`"${printable(item, 40)}" is not an offset or partition:offset`);
    return { partition: m[1] === undefined ? undefined : Number(m[1]), offset: BigInt(m[2]!).toString() };
  });
}

/** One partition's offsets as they are now: `low` to `high - 1` hold dead letters. */
export type OffsetRange = { partition: number; low: string; high: string };

/** A dead letter named by its DLQ partition and offset. */
export type LetterAddress = { partition: number; offset: string };

/**
 * The dead letters the selectors name, from the DLQ's offset ranges alone (nothing is read):
 * in partition and offset order, each once. A bare offset present in several partitions is
 * ambiguous and an error (name it as partition:offset); one in no partition's range too.
 */
export function resolveOffsets(selectors: readonly OffsetSelector[], ranges: readonly OffsetRange[]): LetterAddress[] {
  const chosen = new Map<string, LetterAddress>();
  for (const s of selectors) {
    const o = BigInt(s.offset);
    const matches = ranges.filter(
      (r) => (s.partition === undefined || r.partition === s.partition) && BigInt(r.low) <= o && o < BigInt(r.high),
    );
    const label = s.partition === undefined ? s.offset : `${s.partition}:${s.offset}`;
    if (matches.length === 0) throw new Error(`no dead letter at offset ${label}`);
    if (matches.length > 1)
      throw new Error(
        `offset ${label} exists in partitions ${matches.map((m) => m.partition).join(', ')}; name one as partition:offset`,
      );
    chosen.set(`${matches[0]!.partition}:${s.offset}`, { partition: matches[0]!.partition, offset: s.offset });
  }
  return [...chosen.values()].sort(
    (a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1),
  );
}

/** The record that puts a dead letter back on its original topic. */
export type Replay = {
  topic: string;
  message: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> };
};

/**
 * The record that puts a dead letter back on its original topic: the original key, value and own
 * headers, without the dead-letter headers, plus `x-quaycast-replay-of`. Takes the topic as the
 * letter names it: `planReplay` decides whether that topic may be written.
 */
export function replayOf(letter: StoredDeadLetter, dlqTopic: string): Replay {
  const topic = letter.headers['x-original-topic'];
  if (!topic) throw new Error(`dead letter ${letter.partition}:${letter.offset} has no x-original-topic header`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(letter.headers))
    if (!(DEAD_LETTER_HEADERS as readonly string[]).includes(k) && k !== REPLAY_HEADER) headers[k] = v;
  headers[REPLAY_HEADER] = `${dlqTopic}:${letter.partition}:${letter.offset}`;
  return { topic, message: { key: letter.key, value: letter.value, headers } };
}

/** Whether a dead letter may be replayed, and the replay when it may. */
export type ReplayPlan = { ok: true; replay: Replay } | { ok: false; reason: string };

/**
 * A dead letter is replayed only to the topic its DLQ belongs to (`port-events.dlq` → `port-events`:
 * the bridge never writes another topic's dead letters there) and only when that topic is one the
 * bridge consumes (KAFKA_TOPICS). Anything else — a forged or corrupted `x-original-topic` that
 * would make the CLI write to a topic of the letter's choosing — is refused with the reason.
 */
export function planReplay(letter: StoredDeadLetter, dlqTopic: string, consumedTopics: readonly string[]): ReplayPlan {
  const home = originOfDlq(dlqTopic);
  const named = letter.headers['x-original-topic'];
  if (named === undefined || named === '') return { ok: false, reason: 'it has no x-original-topic header' };
  if (named !== home)
    return {
      ok: false,
      reason: `its x-original-topic "${printable(named, 100)}" is not ${home}, the topic of ${dlqTopic}`,
    };
  if (!consumedTopics.includes(home))
    return { ok: false, reason: `${home} is not a topic the bridge consumes (KAFKA_TOPICS)` };
  return { ok: true, replay: replayOf(letter, dlqTopic) };
}
