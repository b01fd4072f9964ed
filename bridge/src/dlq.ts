/** Dead letters: the original record, untouched, on `<topic>.dlq` with why and where it came from. */
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
// Reading dead letters back (the `npm run dlq` CLI). Pure: the CLI does the I/O.

/** The headers a dead letter carries about itself (dropped again when it is replayed). */
export const DEAD_LETTER_HEADERS = ['x-error', 'x-original-topic', 'x-original-partition', 'x-original-offset'] as const;

/** The header a replayed record carries: which dead letter it came from (`<dlq topic>:<partition>:<offset>`). */
export const REPLAY_HEADER = 'x-quaycast-replay-of';

/** A record read from a `.dlq` topic. */
export type StoredDeadLetter = { partition: number; offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, string> };

/** `port-events` and `port-events.dlq` both name the dead-letter topic `port-events.dlq`. */
export const asDlqTopic = (topic: string) => (topic.endsWith('.dlq') ? topic : dlqTopicOf(topic));

/** One line of `dlq list`: where it is, where it came from, why, and a preview of key and value. */
export function describeDeadLetter(letter: StoredDeadLetter, previewChars = 80) {
  const preview = (b: Buffer | null) => {
    if (b === null) return null;
    const text = b.toString('utf8').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    return text.length > previewChars ? `${text.slice(0, previewChars)}…` : text;
  };
  return {
    id: `${letter.partition}:${letter.offset}`,
    partition: letter.partition,
    offset: letter.offset,
    originalTopic: letter.headers['x-original-topic'] ?? null,
    originalPartition: letter.headers['x-original-partition'] === undefined ? null : Number(letter.headers['x-original-partition']),
    originalOffset: letter.headers['x-original-offset'] ?? null,
    error: letter.headers['x-error'] ?? null,
    replayOf: letter.headers[REPLAY_HEADER] ?? null,
    key: preview(letter.key),
    value: preview(letter.value),
    bytes: letter.value?.length ?? 0,
  };
}

/** `3,7` (an offset, in whichever partition has it) or `1:3,0:7` (partition:offset). */
export type OffsetSelector = { partition: number | undefined; offset: string };

export function parseOffsets(text: string): OffsetSelector[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new Error('--offsets needs at least one offset, e.g. --offsets 3,7 or --offsets 0:3,1:7');
  return items.map((item) => {
    const m = /^(?:(\d+):)?(\d+)$/.exec(item);
    if (!m) throw new Error(`"${item}" is not an offset or partition:offset`);
    return { partition: m[1] === undefined ? undefined : Number(m[1]), offset: BigInt(m[2]!).toString() };
  });
}

/**
 * The dead letters the selectors name, in topic order. A bare offset present in several
 * partitions is ambiguous and an error (name it as partition:offset); one that matches nothing too.
 */
export function selectDeadLetters<T extends StoredDeadLetter>(letters: readonly T[], selectors: readonly OffsetSelector[]): T[] {
  const chosen = new Set<T>();
  for (const s of selectors) {
    const matches = letters.filter((l) => l.offset === s.offset && (s.partition === undefined || l.partition === s.partition));
    const label = s.partition === undefined ? s.offset : `${s.partition}:${s.offset}`;
    if (matches.length === 0) throw new Error(`no dead letter at offset ${label}`);
    if (matches.length > 1) throw new Error(`offset ${label} exists in partitions ${matches.map((m) => m.partition).join(', ')}; name one as partition:offset`);
    chosen.add(matches[0]!);
  }
  return letters.filter((l) => chosen.has(l));
}

/**
 * The record that puts a dead letter back on its original topic: the original key, value and own
 * headers, without the dead-letter headers, plus `x-quaycast-replay-of`.
 */
export function replayOf(letter: StoredDeadLetter, dlqTopic: string): { topic: string; message: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> } } {
  const topic = letter.headers['x-original-topic'];
  if (!topic) throw new Error(`dead letter ${letter.partition}:${letter.offset} has no x-original-topic header`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(letter.headers)) if (!(DEAD_LETTER_HEADERS as readonly string[]).includes(k) && k !== REPLAY_HEADER) headers[k] = v;
  headers[REPLAY_HEADER] = `${dlqTopic}:${letter.partition}:${letter.offset}`;
  return { topic, message: { key: letter.key, value: letter.value, headers } };
}
