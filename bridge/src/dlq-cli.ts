/**
 * The dead-letter CLI (`npm run dlq -- …`):
 *
 *   dlq list <topic> [--limit N] [--json]                       dead letters of <topic>.dlq, oldest first per partition
 *   dlq replay <topic> (--offsets 3,7 | --all) [--dry-run]       puts them back on their original topic
 *
 * <topic> is the original topic or its `.dlq`. Offsets are the dead letters' own offsets, as
 * listed (`3`, or `partition:offset` when an offset exists in several partitions). A replayed
 * record keeps its key, value and headers and gains `x-quaycast-replay-of`. Brokers come from
 * KAFKA_BROKERS (and the other KAFKA_* variables), like the bridge.
 *
 * Safe to run on a DLQ anyone could have written to: records are streamed (one fetch, about
 * 1 MiB, in memory at a time, so `list --limit` works on a DLQ larger than memory); every key,
 * value and header is printed escaped (printable.ts); a dead letter is replayed only to the topic
 * its DLQ belongs to, and only when the bridge consumes that topic (KAFKA_TOPICS) — any other is
 * refused with a line saying why, and the CLI exits 3; `--dry-run` shows what would be replayed
 * and writes nothing.
 */
import { parseArgs } from 'node:util';
import { ConfigError, parseKafkaConfig, parseTopics } from './config.ts';
import {
  asDlqTopic,
  describeDeadLetter,
  originOfDlq,
  parseOffsets,
  planReplay,
  resolveOffsets,
  type LetterAddress,
} from './dlq.ts';
import { createKafka, createProducer } from './kafka.ts';
import { type PartitionRange, type ScanRange, scanTopic, topicRanges } from './kafka-scan.ts';
import { setLogStream } from './log.ts';
import { printable } from './printable.ts';

setLogStream(process.stderr); // kafkajs' warnings must not mix with the listing

const USAGE = `usage:
  dlq list <topic> [--limit N] [--json]
  dlq replay <topic> (--offsets 3,7 | --offsets 0:3,1:7 | --all) [--dry-run]`;

/** Exit codes: 2 usage or configuration, 1 a failure (Kafka), 3 some dead letters refused or not found. */
function fail(message: string, code = 2): never {
  process.stderr.write(`dlq: ${message}\n`);
  process.exit(code);
}

const out = (line: string) => process.stdout.write(`${line}\n`);

// `dlq list … | head`: a closed pipe ends the listing quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

/** Every record of every partition. */
const wholeTopic = (ranges: readonly PartitionRange[]): ScanRange[] =>
  ranges.map((r) => ({ partition: r.partition, from: r.low, last: (BigInt(r.high) - 1n).toString() }));

/** Only the partitions and offsets of `chosen` (the others are not read). */
function rangesOf(chosen: readonly LetterAddress[], ranges: readonly PartitionRange[]): ScanRange[] {
  return ranges.map((r) => {
    const offsets = chosen.filter((c) => c.partition === r.partition).map((c) => BigInt(c.offset));
    if (offsets.length === 0) return { partition: r.partition, from: r.high, last: (BigInt(r.high) - 1n).toString() }; // nothing due
    // biome-ignore lint/complexity/useMathMinMax: offsets are bigints, which Math.min and Math.max refuse
    const min = offsets.reduce((a, b) => (b < a ? b : a));
    // biome-ignore lint/complexity/useMathMinMax: as above
    const max = offsets.reduce((a, b) => (b > a ? b : a));
    return { partition: r.partition, from: min.toString(), last: max.toString() };
  });
}

async function main(): Promise<void> {
  // biome-ignore lint/suspicious/noImplicitAnyLet: TypeScript types it from the assignment in the try (control flow)
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        limit: { type: 'string' },
        json: { type: 'boolean' },
        offsets: { type: 'string' },
        all: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  const { positionals, values } = parsed;
  const [command, topicArg] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return;
  }
  if (command !== 'list' && command !== 'replay') fail(`unknown command "${printable(command, 40)}"\n${USAGE}`);
  if (!topicArg) fail(`a topic is required\n${USAGE}`);
  const dlqTopic = asDlqTopic(topicArg);
  // biome-ignore lint/suspicious/noImplicitAnyLet: as above
  let connection;
  let consumed: string[];
  try {
    connection = parseKafkaConfig(process.env);
    consumed = parseTopics(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const kafka = createKafka({ ...connection, clientId: `${connection.clientId}-dlq` });

  if (command === 'list') {
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      fail(`--limit must be a positive integer, got "${printable(values.limit ?? '', 40)}"`);
    const ranges = await topicRanges(kafka, dlqTopic);
    const total = ranges.reduce((n, r) => n + (BigInt(r.high) - BigInt(r.low)), 0n);
    if (!values.json)
      out(
        `${dlqTopic}: ${total} dead letter${total === 1n ? '' : 's'}${total > BigInt(limit) ? `, showing ${limit}` : ''}`,
      );
    let shown = 0;
    await scanTopic(kafka, dlqTopic, wholeTopic(ranges), (letter) => {
      const d = describeDeadLetter(letter);
      if (values.json) out(JSON.stringify(d));
      else {
        out(
          `${d.id.padEnd(10)} ← ${d.originalTopic}[${d.originalPartition}]@${d.originalOffset}${d.replayOf ? ` (replay of ${d.replayOf})` : ''}  ${d.error}`,
        );
        out(
          `${''.padEnd(10)}   key=${d.key === null ? '(null)' : JSON.stringify(d.key)} value=${d.value === null ? '(null)' : d.value}`,
        );
        const own = Object.entries(d.headers);
        if (own.length > 0) out(`${''.padEnd(10)}   headers: ${own.map(([k, v]) => `${k}=${v}`).join(', ')}`);
      }
      return ++shown < limit;
    });
    return;
  }

  const dryRun = values['dry-run'] === true;
  if (!values.all && !values.offsets) fail('replay needs --offsets or --all');
  if (values.all && values.offsets) fail('give --offsets or --all, not both');
  const home = originOfDlq(dlqTopic);
  if (!consumed.includes(home))
    fail(`${home} is not a topic the bridge consumes (KAFKA_TOPICS=${consumed.join(',')}): nothing replayed`);
  const ranges = await topicRanges(kafka, dlqTopic);
  let chosen: LetterAddress[] | undefined;
  if (values.offsets) {
    try {
      chosen = resolveOffsets(parseOffsets(values.offsets), ranges);
    } catch (err) {
      fail((err as Error).message);
    }
  }
  const wanted = chosen && new Set(chosen.map((c) => `${c.partition}:${c.offset}`));
  const seen = new Set<string>();
  const producer = dryRun ? undefined : createProducer(kafka);
  await producer?.connect();
  let replayed = 0;
  let refused = 0;
  try {
    await scanTopic(kafka, dlqTopic, chosen ? rangesOf(chosen, ranges) : wholeTopic(ranges), async (letter) => {
      const id = `${letter.partition}:${letter.offset}`;
      if (wanted && !wanted.has(id)) return;
      seen.add(id);
      const plan = planReplay(letter, dlqTopic, consumed);
      if (!plan.ok) {
        refused++;
        process.stderr.write(`dlq: refused ${id}: ${plan.reason}; not replayed\n`);
        return;
      }
      // One send per record, in dead-letter order: each lands on its original topic with acks=-1.
      if (producer) await producer.send({ topic: plan.replay.topic, acks: -1, messages: [plan.replay.message] });
      replayed++;
      out(`${dryRun ? 'would replay' : 'replayed'} ${id} → ${plan.replay.topic}`);
    });
  } finally {
    await producer?.disconnect();
  }
  const missing = wanted ? [...wanted].filter((id) => !seen.has(id)) : [];
  for (const id of missing) process.stderr.write(`dlq: no dead letter at offset ${id} (not in the log)\n`);
  const verb = dryRun ? 'would replay' : 'replayed';
  out(
    `${dlqTopic}: ${replayed === 0 && refused === 0 && missing.length === 0 ? 'nothing to replay' : `${verb} ${replayed}`}${refused > 0 ? `, refused ${refused}` : ''}${dryRun ? ' (dry run: nothing written)' : ''}`,
  );
  if (refused > 0 || missing.length > 0) process.exit(3);
}

main().then(
  () => process.exit(0),
  (err: unknown) => fail(printable(err instanceof Error ? err.message : String(err), 500), 1),
);
