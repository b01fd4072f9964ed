/**
 * Creates the product's topics on the local broker when missing: port-events and
 * container-events with 3 partitions each, and their .dlq topics. Idempotent.
 */
import { createKafka } from '../bridge/src/kafka.ts';
import { LOCAL_BROKER } from './lib/local-broker.ts';

const brokers = (process.env.KAFKA_BROKERS ?? LOCAL_BROKER).split(',');
const base = (process.env.KAFKA_TOPICS ?? 'port-events,container-events')
  .split(',')
  .map((t) => t.trim())
  .filter(Boolean);
const topics = base.flatMap((t) => [t, `${t}.dlq`]);

const admin = createKafka({ brokers, clientId: 'quaycast-setup', ssl: false, sasl: undefined }).admin();
await admin.connect();
try {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    });
  }
  console.error(`[kafka] topics: ${topics.join(', ')}${missing.length ? ` (created ${missing.join(', ')})` : ''}`);
} finally {
  await admin.disconnect();
}
