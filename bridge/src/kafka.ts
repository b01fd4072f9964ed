/**
 * Everything that touches kafkajs (2.2.4, in maintenance mode) lives here, so replacing the
 * client later means replacing one module.
 */
import kafkajs, { type Consumer, type EachBatchPayload, type Kafka, type KafkaMessage, type Producer, type SASLOptions } from 'kafkajs';
import type { IngestRecord, IngestResult } from '../../protocol/ingest.ts';
import { backoffMs, sleep } from './backoff.ts';
import { splitBatches } from './batcher.ts';
import { registerCodecs } from './codecs.ts';
import type { BridgeConfig, KafkaConnectionConfig } from './config.ts';
import { deadLetterOf, type DeadLetter } from './dlq.ts';
import { forwardWithRetry } from './forwarder.ts';
import { errorFields, log } from './log.ts';
import type { Metrics } from './metrics.ts';

// kafkajs is CommonJS: its named exports do not survive Node's ESM loader.
const { Kafka: KafkaClient, logLevel: KafkaLogLevel, Partitioners } = kafkajs;

registerCodecs();

export type KafkaConnection = KafkaConnectionConfig;

/**
 * A kafkajs client for the configured cluster, logging through our JSON logger. `retries` is
 * kafkajs' own retry count for connecting and requests; `quiet` silences its logs (for probes
 * whose caller logs the outcome itself).
 */
export function createKafka(config: KafkaConnection, opts: { retries?: number; quiet?: boolean } = {}): Kafka {
  return new KafkaClient({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    ...(config.sasl ? { sasl: config.sasl as SASLOptions } : {}),
    connectionTimeout: 3000,
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: opts.retries ?? 8 },
    logLevel: opts.quiet ? KafkaLogLevel.NOTHING : KafkaLogLevel.WARN,
    logCreator: () => ({ level, log: entry }) => {
      const { message, timestamp: _ts, logger: _logger, ...rest } = entry;
      log(level <= KafkaLogLevel.ERROR ? 'error' : 'warn', `kafkajs: ${message}`, { namespace: entry.namespace, ...rest });
    },
  });
}

/** A producer with the default (murmur2, Java-compatible) partitioner, never creating topics. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

/** Record headers as text (lineage for the Worker). */
function headersOf(m: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
  }
  return out;
}

export function toIngestRecord(topic: string, partition: number, m: KafkaMessage): IngestRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value!.toString('utf8'),
    headers: headersOf(m),
    timestamp: m.timestamp,
  };
}

/** Waits until the cluster answers, logging once per attempt; returns false when stopped. */
export async function waitForBroker(config: KafkaConnection, stopped: () => boolean, signal?: AbortSignal): Promise<boolean> {
  // One quick probe per attempt (kafkajs' own retries would hide the outage for ~25 s): this loop is the retry.
  const kafka = createKafka(config, { retries: 0, quiet: true });
  for (let attempt = 0; !stopped(); attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      return true;
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      log('warn', `waiting for Kafka at ${config.brokers.join(',')}`, { attempt: attempt + 1, ...errorFields(err) });
      await sleep(Math.min(5000, 500 * 2 ** Math.min(attempt, 4)), signal);
    }
  }
  return false;
}

export type Bridge = {
  run(): Promise<void>;
  stop(): Promise<void>;
  producer: Producer;
  /**
   * True while this member holds partition 0 of the first topic: the one member of the group
   * that relays the outbox (so N bridges do not publish every event N times). Moves with rebalances.
   */
  leadsOutbox(): boolean;
};

/**
 * The consumer loop. For each partition batch: split into forwardable batches, forward each
 * (retrying without committing), dead-letter what the Worker rejected, and only then resolve
 * and commit the offset. Stops on `!isRunning() || isStale()`.
 */
/**
 * `onGiveUp`: kafkajs crashed and will not restart the consumer (a non-retriable error). The
 * process should exit non-zero so its supervisor (systemd, Docker, Kubernetes) starts it again,
 * rather than stay up idle and healthy-looking.
 */
export type BridgeHooks = { onGiveUp?: (err: unknown) => void };

export function createBridge(config: BridgeConfig, metrics: Metrics, kafka = createKafka(config), hooks: BridgeHooks = {}): Bridge {
  const heartbeatIntervalMs = Math.min(3000, Math.floor(config.sessionTimeoutMs / 3));
  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: heartbeatIntervalMs,
    maxWaitTimeInMs: Math.max(10, config.batchMaxAgeMs),
    maxBytesPerPartition: config.batchMaxBytes,
    allowAutoTopicCreation: false,
  });
  const producer = createProducer(kafka);
  const abort = new AbortController();
  let stopping = false;
  let outboxLeader = false;

  async function sendDeadLetters(letters: DeadLetter[], shouldStop: () => boolean, heartbeat: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (shouldStop()) return false;
      try {
        for (const topic of new Set(letters.map((l) => l.topic))) {
          await producer.send({ topic, acks: -1, messages: letters.filter((l) => l.topic === topic).map((l) => l.message) });
        }
        return true;
      } catch (err) {
        const delay = backoffMs(attempt, config.retryInitialMs, config.retryMaxMs);
        log('warn', 'dead-letter write failed; retrying before the offset moves', { attempt: attempt + 1, delayMs: delay, ...errorFields(err) });
        await sleep(delay, abort.signal);
        await heartbeat().catch(() => undefined); // a failed heartbeat surfaces as isStale()
      }
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const shouldStop = () => stopping || !isRunning() || isStale();
    const labels = { topic, partition: String(partition) };
    const groups = splitBatches(batch.messages, (m) => m.value?.length ?? 0, { maxMessages: config.batchMaxMessages, maxBytes: config.batchMaxBytes });
    for (const group of groups) {
      if (shouldStop()) return;
      metrics.inc('quaycast_bridge_consumed_total', labels, group.length);
      const live = group.filter((m) => m.value !== null);
      if (live.length < group.length) metrics.inc('quaycast_bridge_tombstones_total', labels, group.length - live.length);
      const started = performance.now();
      let results: IngestResult[] = [];
      if (live.length > 0) {
        const answer = await forwardWithRetry(
          live.map((m) => toIngestRecord(topic, partition, m)),
          {
            workerUrl: config.workerUrl,
            ingestToken: config.ingestToken,
            timeoutMs: config.requestTimeoutMs,
            retryInitialMs: config.retryInitialMs,
            retryMaxMs: config.retryMaxMs,
            shouldStop,
            heartbeat,
            heartbeatIntervalMs: heartbeatIntervalMs,
            signal: abort.signal,
            onRetry: (err, attempt, delayMs) => {
              metrics.inc('quaycast_bridge_retried_total', labels);
              log('warn', 'forward failed; retrying', { topic, partition, records: live.length, attempt, delayMs, status: err.status, errorMessage: err.message });
            },
          },
        );
        if (answer === 'stopped') {
          log('info', 'batch abandoned without commit', { topic, partition, fromOffset: live[0]!.offset, records: live.length });
          return;
        }
        results = answer;
      }
      if (live.length > 0) metrics.observe('quaycast_bridge_batch_latency_seconds', (performance.now() - started) / 1000);
      const letters: DeadLetter[] = [];
      results.forEach((r, i) => {
        metrics.inc('quaycast_bridge_forwarded_total', { ...labels, result: r.status });
        if (r.status === 'rejected') {
          const m = live[i]!;
          letters.push(deadLetterOf({ topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {} }, r.reason));
        }
      });
      if (letters.length > 0) {
        if (!(await sendDeadLetters(letters, shouldStop, heartbeat))) return;
        metrics.inc('quaycast_bridge_dead_lettered_total', labels, letters.length);
        log('warn', 'records dead-lettered', { topic, partition, offsets: letters.map((l) => l.message.headers['x-original-offset']), reasons: letters.map((l) => l.message.headers['x-error']) });
      }
      const last = group[group.length - 1]!.offset;
      resolveOffset(last);
      await commitOffsetsIfNecessary();
      metrics.set('quaycast_bridge_committed_offset', labels, Number(last) + 1);
      log('debug', 'batch committed', { topic, partition, records: group.length, nextOffset: Number(last) + 1 });
      await heartbeat();
    }
    metrics.set('quaycast_bridge_lag', labels, Number(batch.offsetLag()));
  }

  return {
    producer,
    leadsOutbox: () => outboxLeader && !stopping,
    async run() {
      consumer.on(consumer.events.CRASH, (e) => {
        outboxLeader = false;
        log('error', 'consumer crashed', { restart: e.payload.restart, ...errorFields(e.payload.error) });
        if (!e.payload.restart) hooks.onGiveUp?.(e.payload.error);
      });
      consumer.on(consumer.events.STOP, () => {
        outboxLeader = false;
      });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        outboxLeader = (e.payload.memberAssignment[config.topics[0]!] ?? []).includes(0);
        log('info', 'joined consumer group', { groupId: e.payload.groupId, memberId: e.payload.memberId, assignment: e.payload.memberAssignment, outboxLeader });
      });
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: config.topics, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        autoCommitThreshold: 1, // commitOffsetsIfNecessary commits every resolved offset
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        eachBatch,
      });
    },
    async stop() {
      stopping = true;
      abort.abort();
      await consumer.disconnect().catch((err) => log('warn', 'consumer disconnect failed', errorFields(err)));
      await producer.disconnect().catch((err) => log('warn', 'producer disconnect failed', errorFields(err)));
    },
  };
}

/** One record read back from a topic (headers as text). */
export type TopicRecord = { partition: number; offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, string>; timestamp: string };

/**
 * Reads a whole topic as it is now: every partition from its low to its high watermark, with a
 * throwaway consumer group that commits nothing and is deleted afterwards (kafkajs has no
 * manual assignment). For tools like the DLQ CLI, not for the consumer loop.
 */
export async function readTopic(kafka: Kafka, topic: string, opts: { timeoutMs?: number } = {}): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const remaining = new Map<number, bigint>();
    for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) remaining.set(o.partition, BigInt(o.high) - 1n);
    if (remaining.size === 0) return [];
    const groupId = `quaycast-read-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
    const records: TopicRecord[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`reading ${topic} took longer than ${opts.timeoutMs ?? 30_000} ms`)), opts.timeoutMs ?? 30_000);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message: m }) => {
              const last = remaining.get(partition);
              if (last === undefined || BigInt(m.offset) > last) return;
              records.push({ partition, offset: m.offset, key: m.key, value: m.value, headers: headersOf(m), timestamp: m.timestamp });
              if (BigInt(m.offset) === last) remaining.delete(partition);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined); // best effort: an empty group expires anyway
    }
    return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  } finally {
    await admin.disconnect();
  }
}
