/**
 * The dead-letter CLI (`npm run dlq -- …`):
 *
 *   dlq list <topic> [--limit N] [--json]        dead letters of <topic>.dlq, oldest first
 *   dlq replay <topic> --offsets 3,7 | --all      puts them back on their original topic
 *
 * <topic> is the original topic or its `.dlq`. Offsets are the dead letters' own offsets, as
 * listed (`3`, or `partition:offset` when an offset exists in several partitions). A replayed
 * record keeps its key, value and headers and gains `x-quaycast-replay-of`. Brokers come from
 * KAFKA_BROKERS (and the other KAFKA_* variables), like the bridge.
 */
import { parseArgs } from 'node:util';
import { ConfigError, parseKafkaConfig } from './config.ts';
import { asDlqTopic, describeDeadLetter, parseOffsets, replayOf, selectDeadLetters } from './dlq.ts';
import { createKafka, createProducer, readTopic } from './kafka.ts';
import { setLogStream } from './log.ts';

setLogStream(process.stderr); // kafkajs' warnings must not mix with the listing

const USAGE = `usage:
  dlq list <topic> [--limit N] [--json]
  dlq replay <topic> (--offsets 3,7 | --offsets 0:3,1:7 | --all)`;

function fail(message: string, code = 2): never {
  process.stderr.write(`dlq: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { limit: { type: 'string' }, json: { type: 'boolean' }, offsets: { type: 'string' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, topicArg] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!topicArg) fail(`a topic is required\n${USAGE}`);
  const dlqTopic = asDlqTopic(topicArg);
  let connection;
  try {
    connection = parseKafkaConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const kafka = createKafka({ ...connection, clientId: `${connection.clientId}-dlq` });

  if (command === 'list') {
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) fail(`--limit must be a positive integer, got "${values.limit}"`);
    const letters = await readTopic(kafka, dlqTopic);
    const shown = letters.slice(0, limit).map((l) => describeDeadLetter(l));
    if (values.json) {
      for (const d of shown) process.stdout.write(`${JSON.stringify(d)}\n`);
    } else {
      process.stdout.write(`${dlqTopic}: ${letters.length} dead letter${letters.length === 1 ? '' : 's'}${letters.length > shown.length ? `, showing ${shown.length}` : ''}\n`);
      for (const d of shown) {
        process.stdout.write(`${d.id.padEnd(10)} ← ${d.originalTopic}[${d.originalPartition}]@${d.originalOffset}${d.replayOf ? ` (replay of ${d.replayOf})` : ''}  ${d.error}\n`);
        process.stdout.write(`${''.padEnd(10)}   key=${d.key === null ? '(null)' : JSON.stringify(d.key)} value=${d.value === null ? '(null)' : d.value}\n`);
      }
    }
    return;
  }

  if (command === 'replay') {
    if (!values.all && !values.offsets) fail('replay needs --offsets or --all');
    if (values.all && values.offsets) fail('give --offsets or --all, not both');
    const letters = await readTopic(kafka, dlqTopic);
    let chosen = letters;
    if (values.offsets) {
      try {
        chosen = selectDeadLetters(letters, parseOffsets(values.offsets));
      } catch (err) {
        fail((err as Error).message);
      }
    }
    if (chosen.length === 0) {
      process.stdout.write(`${dlqTopic}: nothing to replay\n`);
      return;
    }
    const replays = chosen.map((l) => replayOf(l, dlqTopic));
    const producer = createProducer(kafka);
    await producer.connect();
    try {
      // One send per record, in dead-letter order: each lands on its original topic with acks=-1.
      for (const r of replays) await producer.send({ topic: r.topic, acks: -1, messages: [r.message] });
    } finally {
      await producer.disconnect();
    }
    for (const [i, l] of chosen.entries()) process.stdout.write(`replayed ${l.partition}:${l.offset} → ${replays[i]!.topic}\n`);
    process.stdout.write(`${dlqTopic}: replayed ${chosen.length}\n`);
    return;
  }

  fail(`unknown command "${command}"\n${USAGE}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => fail(err instanceof Error ? err.message : String(err), 1),
);
