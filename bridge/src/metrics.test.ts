import { describe, expect, it } from 'vitest';
import { createMetrics, partitionLabels, retainSeries, totalOf, seriesValue } from './metrics.ts';

const lines = async (m: ReturnType<typeof createMetrics>) => (await m.render()).split('\n');
const p0 = partitionLabels('port-events', 0);

/** Every metric the alert rules, the docs and the dashboards know, with its type: none may go. */
const DECLARED = [
  ['quaycast_bridge_consumed_total', 'counter'],
  ['quaycast_bridge_forwarded_total', 'counter'],
  ['quaycast_bridge_retried_total', 'counter'],
  ['quaycast_bridge_dead_lettered_total', 'counter'],
  ['quaycast_bridge_isolated_total', 'counter'],
  ['quaycast_bridge_tombstones_total', 'counter'],
  ['quaycast_bridge_outbox_published_total', 'counter'],
  ['quaycast_bridge_outbox_refused_total', 'counter'],
  ['quaycast_bridge_forward_unexpected_answers_total', 'counter'],
  ['quaycast_bridge_lag', 'gauge'],
  ['quaycast_bridge_partition_stalled_seconds', 'gauge'],
  ['quaycast_bridge_committed_offset', 'gauge'],
  ['quaycast_bridge_batch_latency_seconds', 'histogram'],
] as const;

describe('bridge > metrics', () => {
  it('renders HELP and TYPE for every metric; an unlabelled counter and the histogram at 0 before anything happened', async () => {
    const text = await createMetrics().render();
    expect(text.endsWith('\n')).toBe(true);
    for (const [name, type] of DECLARED) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S.*$`, 'm'));
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(text.match(/^# TYPE /gm)).toHaveLength(DECLARED.length); // no process metrics unless asked
    expect(text).toContain('\nquaycast_bridge_outbox_refused_total 0\n');
    expect(text).not.toMatch(/^quaycast_bridge_lag[ {]/m); // a labelled metric without series has no sample
    expect(text).not.toMatch(/^quaycast_bridge_consumed_total[ {]/m);
  });

  it('counts per partition, with a result label where it has one', async () => {
    const m = createMetrics();
    m.consumed.inc(p0);
    m.consumed.inc(p0, 4);
    m.forwarded.inc({ partition: '0', result: 'stored', topic: 'port-events' }, 3);
    m.forwarded.inc({ partition: '0', result: 'duplicate', topic: 'port-events' });
    m.outboxRefused.inc(2);
    expect(await lines(m)).toEqual(
      expect.arrayContaining([
        'quaycast_bridge_consumed_total{partition="0",topic="port-events"} 5',
        'quaycast_bridge_forwarded_total{partition="0",result="stored",topic="port-events"} 3',
        'quaycast_bridge_forwarded_total{partition="0",result="duplicate",topic="port-events"} 1',
        'quaycast_bridge_outbox_refused_total 2',
      ]),
    );
    expect(await seriesValue(m.consumed, p0)).toBe(5);
    expect(await seriesValue(m.forwarded, { ...p0, result: 'stored' })).toBe(3);
    expect(await seriesValue(m.forwarded, { ...p0, result: 'rejected' })).toBe(0);
    expect(await totalOf(m.forwarded)).toBe(4);
    expect(await totalOf(m.retried)).toBe(0);
  });

  it('writes partition labels in name order, and their order given does not make a new series', async () => {
    const m = createMetrics();
    m.lag.set({ topic: 'port-events', partition: '0' }, 10);
    m.lag.set(p0, 7);
    expect((await lines(m)).filter((l) => l.startsWith('quaycast_bridge_lag'))).toEqual([
      'quaycast_bridge_lag{partition="0",topic="port-events"} 7',
    ]);
    expect(await seriesValue(m.lag, { topic: 'port-events', partition: '0' })).toBe(7);
  });

  it('sets gauges per partition', async () => {
    const m = createMetrics();
    m.committedOffset.set(partitionLabels('t', 0), 100);
    m.committedOffset.set(partitionLabels('t', 1), 0);
    expect(await lines(m)).toEqual(
      expect.arrayContaining([
        'quaycast_bridge_committed_offset{partition="0",topic="t"} 100',
        'quaycast_bridge_committed_offset{partition="1",topic="t"} 0',
      ]),
    );
  });

  it('escapes label values as the text format says, so none breaks a line', async () => {
    const m = createMetrics();
    m.deadLettered.inc(partitionLabels('a"b\\c\nd', 0));
    expect(await lines(m)).toContain('quaycast_bridge_dead_lettered_total{partition="0",topic="a\\"b\\\\c\\nd"} 1');
  });

  it('renders a cumulative histogram of forward latency with sum and count', async () => {
    const m = createMetrics();
    for (const s of [0.003, 0.02, 0.02, 0.7, 45]) m.batchLatency.observe(s);
    const h = (await lines(m)).filter((l) => l.startsWith('quaycast_bridge_batch_latency_seconds'));
    expect(h).toEqual([
      'quaycast_bridge_batch_latency_seconds_bucket{le="0.005"} 1',
      'quaycast_bridge_batch_latency_seconds_bucket{le="0.01"} 1',
      'quaycast_bridge_batch_latency_seconds_bucket{le="0.025"} 3',
      'quaycast_bridge_batch_latency_seconds_bucket{le="0.05"} 3',
      'quaycast_bridge_batch_latency_seconds_bucket{le="0.1"} 3',
      'quaycast_bridge_batch_latency_seconds_bucket{le="0.25"} 3',
      'quaycast_bridge_batch_latency_seconds_bucket{le="0.5"} 3',
      'quaycast_bridge_batch_latency_seconds_bucket{le="1"} 4',
      'quaycast_bridge_batch_latency_seconds_bucket{le="2.5"} 4',
      'quaycast_bridge_batch_latency_seconds_bucket{le="5"} 4',
      'quaycast_bridge_batch_latency_seconds_bucket{le="10"} 4',
      'quaycast_bridge_batch_latency_seconds_bucket{le="30"} 4',
      'quaycast_bridge_batch_latency_seconds_bucket{le="+Inf"} 5',
      `quaycast_bridge_batch_latency_seconds_sum ${0.003 + 0.02 + 0.02 + 0.7 + 45}`,
      'quaycast_bridge_batch_latency_seconds_count 5',
    ]);
  });

  it('renders an empty histogram with zeros', async () => {
    const text = await createMetrics().render();
    expect(text).toContain('quaycast_bridge_batch_latency_seconds_bucket{le="+Inf"} 0\n');
    expect(text).toContain('quaycast_bridge_batch_latency_seconds_sum 0\n');
    expect(text).toContain('quaycast_bridge_batch_latency_seconds_count 0\n');
  });

  it('renders only well-formed sample lines, process metrics included', async () => {
    const m = createMetrics({ processMetrics: true });
    m.forwarded.inc({ ...p0, result: 'stored' });
    m.lag.set(partitionLabels('x', 2), 3);
    m.batchLatency.observe(0.1);
    // Values as Prometheus parses them (Go's ParseFloat): prom-client writes NaN as `Nan` (the event-loop mean before its first sample).
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*")*\})? (-?[0-9.e+-]+|NaN|Nan|[+-]Inf)$/;
    for (const line of (await lines(m)).filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(sample);
  });

  it('adds the process and Node.js metrics ops expect when asked: CPU, memory, file descriptors, event-loop lag, GC', async () => {
    const text = await createMetrics({ processMetrics: true }).render();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    for (const [name] of DECLARED) expect(text).toContain(`# TYPE ${name} `);
  });

  it('drops the series of a gauge whose labels fail a test', async () => {
    const m = createMetrics();
    for (const p of [0, 1, 2]) m.lag.set(partitionLabels('t', p), p);
    await retainSeries(m.lag, (labels) => labels.partition !== '1');
    expect((await lines(m)).filter((l) => l.startsWith('quaycast_bridge_lag'))).toEqual([
      'quaycast_bridge_lag{partition="0",topic="t"} 0',
      'quaycast_bridge_lag{partition="2",topic="t"} 2',
    ]);
  });

  it('runs its beforeRender updates before each render', async () => {
    const m = createMetrics();
    let seconds = 1;
    m.beforeRender(() => m.partitionStalledSeconds.set(partitionLabels('t', 0), seconds++));
    expect(await m.render()).toContain('quaycast_bridge_partition_stalled_seconds{partition="0",topic="t"} 1\n');
    expect(await m.render()).toContain('quaycast_bridge_partition_stalled_seconds{partition="0",topic="t"} 2\n');
  });
});
