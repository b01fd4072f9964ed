/**
 * Reading a topic back, for tools (the DLQ CLI) and tests, not for the consumer loop: a topic's
 * ranges and a bounded scan of chosen offsets. The other kafkajs module beside kafka.ts.
 */
import type { Kafka } from 'kafkajs';
import { headersOf } from './kafka.ts';

/** One record read back from a topic (headers as text). */
export type TopicRecord = {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
};

/** One partition's log as it is now: offsets `low` to `high - 1` hold records. */
export type PartitionRange = { partition: number; low: string; high: string };

/** Every partition's range of `topic` (throws when the topic does not exist). */
export async function topicRanges(kafka: Kafka, topic: string): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic))
      .map((o) => ({ partition: o.partition, low: o.low, high: o.high }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** What to read of one partition: offsets `from` to `last`, both included. */
export type ScanRange = { partition: number; from: string; last: string };

/** Most bytes one fetch of a scan brings into memory (per partition / in all); a larger single record still comes whole. */
const SCAN_MAX_BYTES_PER_PARTITION = 512 * 1024;
const SCAN_MAX_BYTES = 1024 * 1024;

/**
 * Streams the records of `ranges` to `onRecord`, one at a time and in offset order within each
 * partition (partitions interleave), never holding more than one fetch (about 1 MiB) in memory:
 * kafkajs fetches again only after `onRecord` has returned for the fetched records. `onRecord`
 * returning false stops the scan. A throwaway consumer group commits nothing and is deleted
 * afterwards (kafkajs has no manual assignment). Fails when nothing arrives for `idleTimeoutMs`
 * while records are still due, or when `onRecord` throws (the records before it stay handled,
 * once). Name every partition of the topic in `ranges`: one whose `last` is before its `from` is
 * paused, never read. For tools like the DLQ CLI, not for the consumer loop.
 */
export async function scanTopic(
  kafka: Kafka,
  topic: string,
  ranges: readonly ScanRange[],
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback may return nothing (keep going) or false (stop)
  onRecord: (record: TopicRecord) => Promise<boolean | void> | boolean | void,
  opts: { idleTimeoutMs?: number } = {},
): Promise<void> {
  const due = new Map<number, { from: bigint; last: bigint }>();
  for (const r of ranges)
    if (BigInt(r.last) >= BigInt(r.from)) due.set(r.partition, { from: BigInt(r.from), last: BigInt(r.last) });
  if (due.size === 0) return;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
  const groupId = `quaycast-read-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: SCAN_MAX_BYTES_PER_PARTITION,
    maxBytes: SCAN_MAX_BYTES,
  });
  const admin = kafka.admin();
  let stopped = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle: ReturnType<typeof setTimeout> | undefined;
      const finish = (err?: unknown) => {
        stopped = true;
        clearTimeout(idle);
        if (err === undefined) resolve();
        else reject(err);
      };
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () =>
            finish(
              new Error(
                `reading ${topic}: nothing arrived for ${idleTimeoutMs} ms with ${due.size} partition(s) still due`,
              ),
            ),
          idleTimeoutMs,
        );
      };
      armIdle();
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, heartbeat, pause, resolveOffset }) => {
            armIdle();
            const range = due.get(batch.partition);
            if (stopped || !range) return;
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset < range.from) continue;
              if (offset > range.last) break;
              // biome-ignore lint/suspicious/noConfusingVoidType: what onRecord returns, as typed above
              let more: boolean | void;
              try {
                more = await onRecord({
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key,
                  value: m.value,
                  headers: headersOf(m),
                  timestamp: m.timestamp,
                });
              } catch (err) {
                // Ends the scan: thrown into kafkajs, the batch would be retried and the records before it handed on again.
                return finish(err);
              }
              if (stopped) return;
              resolveOffset(m.offset); // the next fetch starts after it (nothing is committed: autoCommit is off)
              if (more === false) return finish();
              await heartbeat();
            }
            if (BigInt(batch.lastOffset()) >= range.last) {
              pause();
              due.delete(batch.partition);
              if (due.size === 0) finish();
            }
          },
        })
        .catch(finish);
      // Start each partition at its first offset due; the others are never fetched.
      try {
        for (const [partition, { from }] of due) consumer.seek({ topic, partition, offset: from.toString() });
        const idlePartitions = ranges.filter((r) => !due.has(r.partition)).map((r) => r.partition);
        if (idlePartitions.length > 0) consumer.pause([{ topic, partitions: idlePartitions }]);
      } catch (err) {
        finish(err);
      }
    });
  } finally {
    stopped = true;
    await consumer.disconnect().catch(() => undefined);
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined); // best effort: an empty group expires anyway
    await admin.disconnect().catch(() => undefined);
  }
}
