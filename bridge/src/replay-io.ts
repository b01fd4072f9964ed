/**
 * The I/O of a replay pass (`replays.ts`): watermarks and the scan for an earlier copy from
 * Kafka, the produce with acks=-1, the claim and the settle over HTTP with the service token.
 */
import { MAX_CLAIMED, MAX_EDITED_VALUE } from '../../protocol/dead-letters.ts';
import type { Kafka, Producer } from './kafka.ts';
import { scanTopic, topicRanges } from './kafka-scan.ts';
import type { ReplayDeps, Settlement } from './replays.ts';
import { parseClaimAnswer, readBoundedText } from './worker-answer.ts';

/** The largest claim answer read: MAX_CLAIMED requests at their largest (an edited value of MAX_EDITED_VALUE characters, each at most 6 bytes as a JSON escape). */
const MAX_CLAIM_ANSWER_BYTES = MAX_CLAIMED * (MAX_EDITED_VALUE * 6 + 64 * 1024);

export function replayDeps(opts: {
  kafka: Kafka;
  producer: Producer;
  topics: readonly string[];
  bridgeId: string;
  workerUrl: string;
  ingestToken: string;
  timeoutMs: number;
  signal: AbortSignal;
  fetch?: typeof fetch;
}): ReplayDeps {
  const post = async (path: string, body: unknown) => {
    const res = await (opts.fetch ?? fetch)(`${opts.workerUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.ingestToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal]),
    });
    if (!res.ok) {
      const text = await readBoundedText(res, 4096).catch(() => '');
      throw new Error(`worker answered ${res.status} to POST ${path}: ${text.slice(0, 200)}`);
    }
    return readBoundedText(res, MAX_CLAIM_ANSWER_BYTES);
  };
  return {
    consumed: opts.topics,
    async watermarks() {
      const marks: { topic: string; partition: number; high: string }[] = [];
      for (const topic of opts.topics)
        for (const r of await topicRanges(opts.kafka, topic))
          marks.push({ topic, partition: r.partition, high: r.high });
      return marks;
    },
    async claim(watermarks) {
      return parseClaimAnswer(
        await post('/internal/dead-letters/replays/claim', { bridgeId: opts.bridgeId, watermarks }),
      );
    },
    async findCopy(topic, partition, from, match) {
      const range = (await topicRanges(opts.kafka, topic)).find((r) => r.partition === partition);
      if (!range || BigInt(range.high) <= BigInt(from)) return undefined;
      let found: string | undefined;
      await scanTopic(opts.kafka, topic, [{ partition, from, last: (BigInt(range.high) - 1n).toString() }], (rec) => {
        if (!match(rec.headers)) return;
        found = rec.offset;
        return false;
      });
      return found;
    },
    async readDeadLetter(dlqTopic, dlqPartition, dlqOffset) {
      if (!opts.topics.some((t) => `${t}.dlq` === dlqTopic)) return undefined; // only a DLQ of a consumed topic
      const range = (await topicRanges(opts.kafka, dlqTopic)).find((r) => r.partition === dlqPartition);
      if (!range || BigInt(dlqOffset) < BigInt(range.low) || BigInt(dlqOffset) >= BigInt(range.high)) return undefined;
      let found: { value: Buffer | null } | undefined;
      await scanTopic(opts.kafka, dlqTopic, [{ partition: dlqPartition, from: dlqOffset, last: dlqOffset }], (rec) => {
        if (rec.offset === dlqOffset) found = { value: rec.value };
        return false;
      });
      return found;
    },
    async produce(record) {
      const [meta] = await opts.producer.send({
        topic: record.topic,
        acks: -1,
        messages: [{ partition: record.partition, key: record.key, value: record.value, headers: record.headers }],
      });
      if (meta?.baseOffset === undefined) throw new Error('the broker answered no offset');
      return meta.baseOffset;
    },
    async settle(results: Settlement[]) {
      await post('/internal/dead-letters/replays/settle', { results });
    },
  };
}
