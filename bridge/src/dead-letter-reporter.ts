/**
 * Reports dead letters to the Worker (docs/bridge.md, "Dead letters on the page"). A consumer
 * group of its own, `<KAFKA_GROUP_ID>.dead-letters`, reads the `.dlq` topics — the source of
 * truth — and POSTs each fetched batch to /internal/dead-letters in chunks of at most 100,
 * resolving and committing offsets only after the Worker answered. A Worker that is down holds
 * only this consumer (retried with backoff, forever); the main consumer never waits on it, and
 * a crash resumes from the last committed offset (a report sent twice is `duplicate`).
 */
import type { Consumer, Kafka, KafkaMessage } from './kafka.ts';
import { backoffMs, sleep } from './backoff.ts';
import type { DeadLetterReport } from '../../protocol/dead-letters.ts';
import { reportOf } from './dead-letter-report.ts';
import { dlqTopicOf } from './dlq.ts';
import { headersOf } from './kafka.ts';
import { errorFields, log } from './log.ts';

/** Most letters one report carries (the Worker's MAX_REPORTED). */
export const REPORT_CHUNK = 100;

export type ReportPost = (letters: DeadLetterReport[]) => Promise<void>;

/** The reports of one fetched DLQ batch, in chunks of at most REPORT_CHUNK, in offset order. */
export function reportChunks(
  dlqTopic: string,
  partition: number,
  messages: readonly Pick<KafkaMessage, 'offset' | 'key' | 'value' | 'headers' | 'timestamp'>[],
): DeadLetterReport[][] {
  const reports = messages.map((m) =>
    reportOf(dlqTopic, {
      partition,
      offset: m.offset,
      key: m.key ?? null,
      value: m.value ?? null,
      headers: headersOf(m),
      timestamp: m.timestamp,
    }),
  );
  const chunks: DeadLetterReport[][] = [];
  for (let i = 0; i < reports.length; i += REPORT_CHUNK) chunks.push(reports.slice(i, i + REPORT_CHUNK));
  return chunks;
}

/** Posts one chunk until the Worker takes it or the signal aborts (then it throws, committing nothing). */
export async function postUntilTaken(
  post: ReportPost,
  chunk: DeadLetterReport[],
  opts: { retryInitialMs: number; retryMaxMs: number; signal: AbortSignal },
  /** Keeps the group membership while the Worker is down (kafkajs heartbeats only when asked inside a batch). */
  beat: () => Promise<void> = async () => {},
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await post(chunk);
      return;
    } catch (err) {
      if (opts.signal.aborted) throw err;
      const delayMs = backoffMs(attempt, { initialMs: opts.retryInitialMs, maxMs: opts.retryMaxMs, jitter: 'full' });
      log('warn', 'dead-letter report failed; retrying', { attempt: attempt + 1, delayMs, ...errorFields(err) });
      await beat().catch(() => {});
      await sleep(delayMs, opts.signal);
    }
  }
}

/** POST /internal/dead-letters with the service token. */
export function httpReportPost(opts: {
  workerUrl: string;
  ingestToken: string;
  timeoutMs: number;
  signal: AbortSignal;
  fetch?: typeof fetch;
}): ReportPost {
  return async (letters) => {
    const res = await (opts.fetch ?? fetch)(`${opts.workerUrl}/internal/dead-letters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.ingestToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ letters }),
      signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.signal]),
    });
    const text = (await res.text()).slice(0, 300);
    if (!res.ok) throw new Error(`worker answered ${res.status} to POST /internal/dead-letters: ${text}`);
  };
}

export type DeadLetterReporter = { run(): Promise<void>; stop(): Promise<void> };

export function createDeadLetterReporter(opts: {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  post: ReportPost;
  retryInitialMs: number;
  retryMaxMs: number;
  signal: AbortSignal;
  onReported?: (count: number) => void;
  /** How often the set of existing DLQ topics is checked (default 60 s). */
  topicCheckMs?: number;
}): DeadLetterReporter {
  const dlqTopics = opts.topics.map(dlqTopicOf);
  let consumer: Consumer | undefined;
  let watch: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  /** A consumer runs on `topics` (false before the first start, after a failed one, and after kafkajs gave it up). */
  let running = false;
  let topics: string[] = [];
  let checking: Promise<void> | undefined;

  /** The DLQ topics that exist now. The reporter never creates one: a missing DLQ topic is the operator's to create (the main consumer holds its partition meanwhile, docs/bridge.md). */
  async function existing(): Promise<string[]> {
    const admin = opts.kafka.admin();
    await admin.connect();
    try {
      const all = new Set(await admin.listTopics());
      return dlqTopics.filter((t) => all.has(t));
    } finally {
      await admin.disconnect();
    }
  }

  async function consume(topics: string[]): Promise<void> {
    const c = opts.kafka.consumer({
      groupId: `${opts.groupId}.dead-letters`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1000,
    });
    consumer = c;
    // kafkajs restarts a consumer after a retriable crash; after any other it is given up: the
    // next check starts a new one.
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart && consumer === c) running = false;
    });
    await c.connect();
    await c.subscribe({ topics, fromBeginning: true });
    await c.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        for (const chunk of reportChunks(batch.topic, batch.partition, batch.messages)) {
          if (!isRunning() || isStale()) return;
          await postUntilTaken(opts.post, chunk, opts, heartbeat);
          resolveOffset(chunk[chunk.length - 1]!.dlqOffset);
          opts.onReported?.(chunk.length);
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      },
    });
    running = true;
  }

  /**
   * Starts the consumer on the DLQ topics that exist, or again on a changed set (a DLQ topic the
   * operator created later), or again after a failed start or a consumer kafkajs gave up.
   */
  function check(): Promise<void> {
    checking ??= (async () => {
      if (stopped) return;
      const now = await existing();
      if (stopped || (running && now.length === topics.length) || (now.length === 0 && topics.length === 0)) return;
      const first = topics.length === 0 && !running;
      running = false;
      await consumer?.disconnect().catch(() => undefined);
      topics = now;
      if (topics.length === 0 || stopped) return;
      await consume(topics);
      if (!first) log('info', 'dead-letter reporter follows the DLQ topics', { topics });
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  }

  return {
    async run() {
      // A failed start (or check) is tried again at the next check, within a minute.
      watch = setInterval(() => {
        void check().catch((err) =>
          log(
            'warn',
            'dead-letter reporter: start or topic check failed; trying again within a minute',
            errorFields(err),
          ),
        );
      }, opts.topicCheckMs ?? 60_000);
      watch.unref?.();
      await check();
    },
    async stop() {
      stopped = true;
      if (watch) clearInterval(watch);
      await consumer?.disconnect();
    },
  };
}
