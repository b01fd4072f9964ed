/**
 * The bridge's Prometheus metrics, on prom-client: every `quaycast_bridge_*` metric is declared
 * here once (name, help, labels), and with `processMetrics` prom-client's default process and
 * Node.js metrics (CPU, memory, file descriptors, event-loop lag, GC) come along, under their
 * standard names. docs/operations.md lists them; deploy/prometheus-alerts.yml relies on the names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The labels of a per-partition series: the partition as text and its topic. */
export type PartitionLabels = { partition: string; topic: string };

/**
 * A partition's labels, in name order: prom-client writes labels in the order of the first
 * object it was given for a series, and the exposition has always listed them sorted.
 */
export const partitionLabels = (topic: string, partition: number): PartitionLabels => ({
  partition: String(partition),
  topic,
});

type PartitionLabel = keyof PartitionLabels;
const PARTITION_LABELS: PartitionLabel[] = ['partition', 'topic'];

/** Upper bounds, in seconds, of the forward-latency histogram's buckets. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type BridgeMetrics = {
  registry: Registry;
  consumed: Counter<PartitionLabel>;
  forwarded: Counter<PartitionLabel | 'result'>;
  retried: Counter<PartitionLabel>;
  deadLettered: Counter<PartitionLabel>;
  isolated: Counter<PartitionLabel>;
  tombstones: Counter<PartitionLabel>;
  outboxPublished: Counter<'topic'>;
  outboxRefused: Counter;
  forwardUnexpectedAnswers: Counter<PartitionLabel>;
  lag: Gauge<PartitionLabel>;
  partitionStalledSeconds: Gauge<PartitionLabel>;
  committedOffset: Gauge<PartitionLabel>;
  batchLatency: Histogram;
  /**
   * Runs `update` before every render: for gauges computed from state at scrape time (seconds
   * since a partition started failing; dropping the series of partitions no longer assigned).
   */
  beforeRender(update: () => void | Promise<void>): void;
  /** The exposition text (Prometheus text format 0.0.4), after the `beforeRender` updates. */
  render(): Promise<string>;
};

/**
 * A fresh registry with the bridge's metrics. `processMetrics`: also prom-client's default
 * metrics (the process does this once; tests leave them out to keep their registries small).
 */
export function createMetrics(opts: { processMetrics?: boolean } = {}): BridgeMetrics {
  const registry = new Registry();
  const registers = [registry];
  const perPartition = (name: string, help: string) =>
    new Counter({ name, help, labelNames: PARTITION_LABELS, registers });
  const updates: (() => void | Promise<void>)[] = [];
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    consumed: perPartition('quaycast_bridge_consumed_total', 'Kafka records consumed'),
    forwarded: new Counter({
      name: 'quaycast_bridge_forwarded_total',
      help: 'Records the Worker answered for, by result (stored, duplicate, rejected)',
      labelNames: ['partition', 'result', 'topic'],
      registers,
    }),
    retried: perPartition('quaycast_bridge_retried_total', 'Forward attempts that failed and were retried'),
    deadLettered: perPartition(
      'quaycast_bridge_dead_lettered_total',
      'Records written to a .dlq topic (rejected by the Worker, or isolated)',
    ),
    isolated: perPartition(
      'quaycast_bridge_isolated_total',
      'Records isolated to a .dlq topic: a healthy Worker kept failing them alone',
    ),
    tombstones: perPartition('quaycast_bridge_tombstones_total', 'Records with a null value, skipped'),
    outboxPublished: new Counter({
      name: 'quaycast_bridge_outbox_published_total',
      help: 'API-made events published to Kafka',
      labelNames: ['topic'],
      registers,
    }),
    outboxRefused: new Counter({
      name: 'quaycast_bridge_outbox_refused_total',
      help: 'Outbox rows refused and never published: a topic the outbox does not publish to, or not of the outbox row shape',
      registers,
    }),
    forwardUnexpectedAnswers: perPartition(
      'quaycast_bridge_forward_unexpected_answers_total',
      'Worker answers to a forward that were too large, not JSON, or not one valid result per record (retried)',
    ),
    lag: new Gauge({
      name: 'quaycast_bridge_lag',
      help: "Records between the group's committed offset and the high watermark, per assigned partition",
      labelNames: PARTITION_LABELS,
      registers,
    }),
    partitionStalledSeconds: new Gauge({
      name: 'quaycast_bridge_partition_stalled_seconds',
      help: 'How long the head record of a partition has been failing to forward (0 while flowing)',
      labelNames: PARTITION_LABELS,
      registers,
    }),
    committedOffset: new Gauge({
      name: 'quaycast_bridge_committed_offset',
      help: 'Last committed offset, per partition',
      labelNames: PARTITION_LABELS,
      registers,
    }),
    batchLatency: new Histogram({
      name: 'quaycast_bridge_batch_latency_seconds',
      help: 'Time for one forward to the Worker to be answered (one attempt)',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    beforeRender: (update) => void updates.push(update),
    async render() {
      for (const update of updates) await update();
      return registry.metrics();
    },
  };
}

type AnyMetric = Counter<string> | Gauge<string>;

/** The value of one series (0 when it has none yet). */
export async function seriesValue(metric: AnyMetric, labels: Record<string, string> = {}): Promise<number> {
  const want = Object.entries(labels);
  const values = (await metric.get()).values;
  const series = values.find(
    (v) => Object.keys(v.labels).length === want.length && want.every(([k, x]) => String(v.labels[k]) === x),
  );
  return series?.value ?? 0;
}

/** A counter's sum over all its series. */
export async function totalOf(metric: AnyMetric): Promise<number> {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** Drops the series of `gauge` whose labels fail `keep` (e.g. partitions no longer assigned). */
export async function retainSeries(
  gauge: Gauge<PartitionLabel>,
  keep: (labels: PartitionLabels) => boolean,
): Promise<void> {
  for (const v of (await gauge.get()).values) {
    const labels = { partition: String(v.labels.partition), topic: String(v.labels.topic) };
    if (!keep(labels)) gauge.remove(labels);
  }
}
