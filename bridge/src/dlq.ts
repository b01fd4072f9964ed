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
