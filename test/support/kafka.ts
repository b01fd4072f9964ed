/** Test helpers over the real local broker: fresh topics per test, producing, the log's ends. */
import type { Kafka } from 'kafkajs';
import { createKafka, createProducer } from '../../bridge/src/kafka.ts';
import { LOCAL_BROKER } from '../../scripts/lib/local-broker.ts';

/** The test broker: scripts/kafka.sh's (KAFKA_PORT, default 9092), so two checkouts can each run their own. */
export const BROKER = LOCAL_BROKER;
export const BROKERS = [BROKER];

export function kafka(brokers: string[] = BROKERS): Kafka {
  return createKafka({ brokers, clientId: 'quaycast-tests', ssl: false, sasl: undefined });
}

/** A name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function createTopics(names: string[], partitions = 3, brokers?: string[]): Promise<void> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: names
        .flatMap((topic) => [topic, `${topic}.dlq`])
        .map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

export type Produced = {
  key?: string | null;
  value: string | null;
  headers?: Record<string, string>;
  partition?: number;
};

export async function produce(topic: string, messages: Produced[]): Promise<void> {
  const producer = createProducer(kafka());
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Each partition's high watermark as `partition:high`, sorted: what changes when anything is written. */
export async function highWatermarks(topic: string): Promise<string[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((o) => `${o.partition}:${o.high}`).sort();
  } finally {
    await admin.disconnect();
  }
}
