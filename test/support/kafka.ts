/** Test helpers over the real local broker: fresh topics per test, producing, reading back. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { createKafka, createProducer } from '../../bridge/src/kafka.ts';

/** The test broker: scripts/kafka.sh's port (KAFKA_PORT, default 9092), so two checkouts can each run their own. */
export const BROKER = `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
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
    await admin.createTopics({ waitForLeaders: true, topics: names.flatMap((topic) => [topic, `${topic}.dlq`]).map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
}

export type Produced = { key?: string | null; value: string | null; headers?: Record<string, string>; partition?: number };

export async function produce(topic: string, messages: Produced[]): Promise<void> {
  const producer = createProducer(kafka());
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

const exec = promisify(execFile);

/** Reads a topic from the beginning with kcat, an independent client (librdkafka). */
export async function readWithKcat(topic: string, opts: { timeoutMs?: number } = {}): Promise<{ key: string; value: string; headers: string; partition: number; offset: number }[]> {
  const { stdout } = await exec('kcat', ['-b', BROKERS[0]!, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { key: string; payload: string; headers?: string[]; partition: number; offset: number })
    .map((m) => ({ key: m.key, value: m.payload, headers: (m.headers ?? []).join(','), partition: m.partition, offset: m.offset }));
}
