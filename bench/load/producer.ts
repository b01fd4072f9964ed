/**
 * Load generator (child process): produces the run's events into Kafka, either at a steady rate
 * (`rate` events/s for `durationMs`) or as fast as the broker takes them (`count` events, backlog).
 * Each event carries its send time in `eventData.producedAtMs` (same host clock as the clients).
 * IPC in: `{ type: 'produce', ... }`, `{ type: 'stop' }`; out: `{ type: 'produced', produced, ms }`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka, createProducer, type ProducerMessage } from '../../bridge/src/kafka.ts';
import { groupByTopic } from '../../bridge/src/topic-messages.ts';
import type { Category } from '../../protocol/enums.ts';
import { benchEvent, eventId, planOf } from '../lib/plan.ts';

export type ProduceCommand = {
  type: 'produce';
  brokers: string[];
  /** Container events go to `container`, everything else to `port` (as the product's API does). */
  topics: { container: string; port: string };
  runId: string;
  rooms: Category[];
  /** First event index (so that several phases of a run never reuse an id). */
  from: number;
  /** Steady mode: events per second for durationMs. */
  rate?: number;
  durationMs?: number;
  /** Backlog mode: this many events, as fast as possible. */
  count?: number;
  /** Events produced in the first warmupMs are flagged warm: counted for delivery, not for latency. */
  warmupMs?: number;
};

const now = () => performance.timeOrigin + performance.now();
let stopRequested = false;

function record(
  cmd: ProduceCommand,
  n: number,
  stamp: number,
  warm: boolean,
): { topic: string; message: ProducerMessage } {
  const room = planOf(n, cmd.rooms).room;
  return {
    topic: room === 'Container' ? cmd.topics.container : cmd.topics.port,
    message: { key: eventId(cmd.runId, n), value: JSON.stringify(benchEvent(cmd.runId, n, cmd.rooms, stamp, warm)) },
  };
}

async function send(
  producer: ReturnType<typeof createProducer>,
  items: { topic: string; message: ProducerMessage }[],
): Promise<void> {
  await producer.sendBatch({
    acks: -1,
    topicMessages: groupByTopic(
      items,
      (i) => i.topic,
      (i) => i.message,
    ),
  });
}

async function produce(cmd: ProduceCommand): Promise<{ produced: number; ms: number }> {
  const kafka = createKafka({ brokers: cmd.brokers, clientId: 'quaycast-bench-producer', ssl: false, sasl: undefined });
  const producer = createProducer(kafka);
  await producer.connect();
  const started = now();
  let n = cmd.from;
  try {
    if (cmd.count !== undefined) {
      const end = cmd.from + cmd.count;
      const CHUNK = 500;
      const IN_FLIGHT = 4;
      while (n < end && !stopRequested) {
        const sends: Promise<void>[] = [];
        for (let k = 0; k < IN_FLIGHT && n < end; k++) {
          const items: { topic: string; message: ProducerMessage }[] = [];
          const stamp = now();
          for (; items.length < CHUNK && n < end; n++) items.push(record(cmd, n, stamp, true));
          sends.push(send(producer, items));
        }
        await Promise.all(sends);
      }
    } else {
      const rate = cmd.rate ?? 100;
      const durationMs = cmd.durationMs ?? 10_000;
      const warmupMs = cmd.warmupMs ?? 0;
      for (;;) {
        const elapsed = now() - started;
        if (elapsed >= durationMs || stopRequested) break;
        const due = cmd.from + Math.floor((elapsed * rate) / 1000);
        if (due > n) {
          const stamp = now();
          const items: { topic: string; message: ProducerMessage }[] = [];
          for (; n < due; n++) items.push(record(cmd, n, stamp, elapsed < warmupMs));
          await send(producer, items);
        } else {
          await sleep(2);
        }
      }
    }
  } finally {
    await producer.disconnect();
  }
  return { produced: n - cmd.from, ms: Math.round(now() - started) };
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stopRequested = true;
  if (m.type === 'produce') {
    stopRequested = false;
    produce(m as ProduceCommand).then(
      (r) => process.send!({ type: 'produced', ...r }),
      (err: Error) => process.send!({ type: 'fatal', message: err.stack ?? String(err) }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
