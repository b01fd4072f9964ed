/** The bridge's counters and gauges, rendered as Prometheus text. */
type Labels = Record<string, string>;

const HELP: Record<string, [type: 'counter' | 'gauge' | 'histogram', help: string]> = {
  quaycast_bridge_consumed_total: ['counter', 'Kafka records consumed'],
  quaycast_bridge_forwarded_total: ['counter', 'Records the Worker answered for, by result (stored, duplicate, rejected)'],
  quaycast_bridge_retried_total: ['counter', 'Forward attempts that failed and were retried'],
  quaycast_bridge_dead_lettered_total: ['counter', 'Records written to a .dlq topic (rejected by the Worker, or isolated)'],
  quaycast_bridge_isolated_total: ['counter', 'Records isolated to a .dlq topic: a healthy Worker kept failing them alone'],
  quaycast_bridge_tombstones_total: ['counter', 'Records with a null value, skipped'],
  quaycast_bridge_outbox_published_total: ['counter', 'API-made events published to Kafka'],
  quaycast_bridge_outbox_refused_total: ['counter', 'Outbox rows refused and never published: a topic the outbox does not publish to, or not of the outbox row shape'],
  quaycast_bridge_forward_unexpected_answers_total: ['counter', 'Worker answers to a forward that were too large, not JSON, or not one valid result per record (retried)'],
  quaycast_bridge_lag: ['gauge', 'Records between the group\'s committed offset and the high watermark, per assigned partition'],
  quaycast_bridge_partition_stalled_seconds: ['gauge', 'How long the head record of a partition has been failing to forward (0 while flowing)'],
  quaycast_bridge_committed_offset: ['gauge', 'Last committed offset, per partition'],
  quaycast_bridge_batch_latency_seconds: ['histogram', 'Time for one forward to the Worker to be answered (one attempt)'],
};

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const key = (labels: Labels) => Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',');

export class Metrics {
  private readonly values = new Map<string, Map<string, number>>();
  private readonly histograms = new Map<string, { labels: string; counts: number[]; sum: number; count: number }>();
  private readonly collectors: (() => void)[] = [];
  /** The labels behind each rendered label key, for retain(). */
  private readonly labelsOf = new Map<string, Labels>();

  /** Runs `collect` before every render: for gauges computed from state (e.g. seconds since a time). */
  addCollector(collect: () => void): void {
    this.collectors.push(collect);
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    const series = this.series(name);
    const k = key(labels);
    series.set(k, (series.get(k) ?? 0) + by);
  }

  set(name: string, labels: Labels, value: number): void {
    const k = key(labels);
    this.labelsOf.set(k, labels);
    this.series(name).set(k, value);
  }

  /** Drops one series (a gauge of a partition this bridge no longer holds). */
  delete(name: string, labels: Labels): void {
    this.values.get(name)?.delete(key(labels));
  }

  /** Keeps only the series of `name` whose labels pass `keep` (e.g. the partitions still assigned). */
  retain(name: string, keep: (labels: Labels) => boolean): void {
    const series = this.values.get(name);
    if (!series) return;
    for (const k of [...series.keys()]) if (!keep(this.labelsOf.get(k) ?? {})) series.delete(k);
  }

  get(name: string, labels: Labels = {}): number {
    return this.values.get(name)?.get(key(labels)) ?? 0;
  }

  /** Sum of a counter over all label sets. */
  total(name: string): number {
    let sum = 0;
    for (const v of this.values.get(name)?.values() ?? []) sum += v;
    return sum;
  }

  observe(name: string, seconds: number): void {
    let h = this.histograms.get(name);
    if (!h) {
      h = { labels: '', counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.histograms.set(name, h);
    }
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  render(): string {
    for (const collect of this.collectors) collect();
    const lines: string[] = [];
    for (const [name, [type, help]] of Object.entries(HELP)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      if (type === 'histogram') {
        const h = this.histograms.get(name) ?? { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
        BUCKETS.forEach((b, i) => lines.push(`${name}_bucket{le="${b}"} ${h.counts[i]}`));
        lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
        continue;
      }
      const series = this.values.get(name);
      if (!series || series.size === 0) {
        if (type === 'counter') lines.push(`${name} 0`);
        continue;
      }
      for (const [labels, value] of series) lines.push(labels ? `${name}{${labels}} ${value}` : `${name} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private series(name: string): Map<string, number> {
    let s = this.values.get(name);
    if (!s) {
      s = new Map();
      this.values.set(name, s);
    }
    return s;
  }
}
