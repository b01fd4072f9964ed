/**
 * Everything that touches kafkajs (2.2.4, in maintenance mode) lives here and in kafka-scan.ts (reading a
 * topic back, for tools) and codecs.ts (its compression codecs), so replacing the client later means
 * replacing these three modules.
 */
import kafkajs, {
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type Message,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import type { IngestRecord } from '../../protocol/ingest.ts';
import { backoffMs, sleep, type BackoffPolicy } from './backoff.ts';
import { createBatchHandler, type PartitionSnapshot } from './batch-handler.ts';
import { registerCodecs } from './codecs.ts';
import type { BridgeConfig, KafkaConnectionConfig } from './config.ts';
import type { DeadLetter } from './dlq.ts';
import { forwardBatch, ingestAnswers, workerIsHealthy } from './forwarder.ts';
import { errorFields, log } from './log.ts';
import type { BridgeMetrics } from './metrics.ts';

// kafkajs is CommonJS: its named exports do not survive Node's ESM loader.
const { CompressionTypes, Kafka: KafkaClient, logLevel: KafkaLogLevel, Partitioners } = kafkajs;

/** kafkajs' codec of each compression a producer here may ask for (`send({ compression })`). */
export const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
} as const;

registerCodecs();

export type KafkaConnection = KafkaConnectionConfig;
/** A record to produce, as kafkajs takes it (re-exported so no module outside this one names kafkajs). */
export type ProducerMessage = Message;
/** kafkajs types the dead-letter reporter and the replays use (kafkajs stays behind this module). */
export type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';

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
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, timestamp: _ts, logger: _logger, ...rest } = entry;
        log(level <= KafkaLogLevel.ERROR ? 'error' : 'warn', `kafkajs: ${message}`, {
          namespace: entry.namespace,
          ...rest,
        });
      },
  });
}

/** A producer with the default (murmur2, Java-compatible) partitioner, never creating topics. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

/** The parts of a fetched record the Worker gets. */
type FetchedRecord = Pick<KafkaMessage, 'offset' | 'key' | 'value' | 'headers' | 'timestamp'>;

/** Record headers as text (lineage for the Worker). */
export function headersOf(m: FetchedRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String).join(',') : v.toString();
  }
  return out;
}

/** A fetched record as the Worker's ingest route takes it (value as UTF-8 text, headers as text). */
export function toIngestRecord(topic: string, partition: number, m: FetchedRecord): IngestRecord {
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

/** Start-up probes of the cluster: 500 ms doubling to 5 s between attempts. */
const BROKER_PROBE_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 5000, jitter: 'none' };

/** Waits until the cluster answers, logging once per attempt; returns false when stopped. */
export async function waitForBroker(
  config: KafkaConnection,
  stopped: () => boolean,
  signal?: AbortSignal,
): Promise<boolean> {
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
      await sleep(backoffMs(attempt, BROKER_PROBE_BACKOFF), signal);
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
  /** The partitions assigned to this member now (empty before the first join and after a stop). */
  assigned(): TopicPartition[];
  /** Per-partition forwarding state (stalled since, last error) of the current generation. */
  partitions(): PartitionSnapshot[];
  /** The group's committed offsets and the high watermarks of the consumed topics, from the broker. */
  readOffsets(): Promise<PartitionOffsets[]>;
};

export type TopicPartition = { topic: string; partition: number };

/** One partition's offsets as the broker has them: the group's committed offset (null: none) and the log's ends. */
export type PartitionOffsets = TopicPartition & { committed: string | null; low: string; high: string };

/**
 * `onGiveUp`: kafkajs crashed and will not restart the consumer (a non-retriable error). The
 * process should exit non-zero so its supervisor (systemd, Docker, Kubernetes) starts it again,
 * rather than stay up idle and healthy-looking.
 */
export type BridgeHooks = { onGiveUp?: (err: unknown) => void; onAssignment?: (assigned: TopicPartition[]) => void };

/**
 * The consumer: `eachBatch` is `batch-handler.ts` (forward from each partition's head, dead-letter
 * what the Worker rejected or a healthy Worker keeps failing, resolve and commit only what is
 * done, pause only a partition that has to wait). Rebalances and restarts reset its state.
 */
export function createBridge(
  config: BridgeConfig,
  metrics: BridgeMetrics,
  kafka = createKafka(config),
  hooks: BridgeHooks = {},
): Bridge {
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
  const admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;
  const abort = new AbortController();
  let stopping = false;
  let outboxLeader = false;
  let assignment: TopicPartition[] = [];

  const handler = createBatchHandler({
    settings: {
      maxWindow: config.batchMaxMessages,
      maxBytes: config.batchMaxBytes,
      isolateAfter: config.isolateAfterAttempts,
      retryInitialMs: config.retryInitialMs,
      retryMaxMs: config.retryMaxMs,
    },
    stepWaitMs: config.forwardWaitMs,
    metrics,
    toRecord: toIngestRecord,
    forward: (records, requestId, timeoutMs) =>
      forwardBatch(records, {
        workerUrl: config.workerUrl,
        ingestToken: config.ingestToken,
        timeoutMs: timeoutMs ?? config.requestTimeoutMs,
        requestId,
        signal: abort.signal,
      }),
    workerIsHealthy: () =>
      workerIsHealthy(config.workerUrl, Math.min(3000, config.requestTimeoutMs), { signal: abort.signal }),
    confirmTimeoutMs: config.isolateConfirmTimeoutMs,
    probeIngest: () =>
      ingestAnswers({
        workerUrl: config.workerUrl,
        ingestToken: config.ingestToken,
        timeoutMs: Math.min(3000, config.requestTimeoutMs),
        signal: abort.signal,
      }),
    sendDeadLetters: async (letters: DeadLetter[]) => {
      for (const topic of new Set(letters.map((l) => l.topic))) {
        await producer.send({
          topic,
          acks: -1,
          messages: letters.filter((l) => l.topic === topic).map((l) => l.message),
        });
      }
    },
    stopping: () => stopping,
  });

  const setAssignment = (next: TopicPartition[]) => {
    assignment = next;
    hooks.onAssignment?.(next);
  };

  return {
    producer,
    leadsOutbox: () => outboxLeader && !stopping,
    assigned: () => assignment,
    partitions: () => handler.snapshot(),
    async readOffsets() {
      adminConnected ??= admin.connect().catch((err: unknown) => {
        adminConnected = undefined; // connect again next time
        throw err;
      });
      await adminConnected;
      const committed = new Map<string, string>();
      for (const t of await admin.fetchOffsets({ groupId: config.groupId, topics: config.topics })) {
        for (const p of t.partitions) committed.set(`${t.topic}/${p.partition}`, p.offset);
      }
      const out: PartitionOffsets[] = [];
      for (const topic of config.topics) {
        for (const o of await admin.fetchTopicOffsets(topic)) {
          const c = committed.get(`${topic}/${o.partition}`);
          out.push({
            topic,
            partition: o.partition,
            committed: c === undefined || BigInt(c) < 0n ? null : c,
            low: o.low,
            high: o.high,
          });
        }
      }
      return out;
    },
    async run() {
      consumer.on(consumer.events.CRASH, (e) => {
        outboxLeader = false;
        handler.reset();
        setAssignment([]);
        log('error', 'consumer crashed', { restart: e.payload.restart, ...errorFields(e.payload.error) });
        if (!e.payload.restart) hooks.onGiveUp?.(e.payload.error);
      });
      consumer.on(consumer.events.STOP, () => {
        outboxLeader = false;
        setAssignment([]);
      });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        // A new generation: the old one's pauses, timers and kept answers must not act on it.
        handler.reset();
        setAssignment(
          Object.entries(e.payload.memberAssignment).flatMap(([topic, ps]) =>
            (ps ?? []).map((partition) => ({ topic, partition })),
          ),
        );
        outboxLeader = (e.payload.memberAssignment[config.topics[0]!] ?? []).includes(0);
        log('info', 'joined consumer group', {
          groupId: e.payload.groupId,
          memberId: e.payload.memberId,
          assignment: e.payload.memberAssignment,
          outboxLeader,
        });
      });
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: config.topics, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        autoCommitThreshold: 1, // commitOffsetsIfNecessary commits every resolved offset
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        eachBatch: (payload: EachBatchPayload) => handler.eachBatch(payload),
      });
    },
    async stop() {
      stopping = true;
      abort.abort();
      handler.reset();
      await consumer.disconnect().catch((err) => log('warn', 'consumer disconnect failed', errorFields(err)));
      await producer.disconnect().catch((err) => log('warn', 'producer disconnect failed', errorFields(err)));
      if (adminConnected) await admin.disconnect().catch(() => undefined);
    },
  };
}
