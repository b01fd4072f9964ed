import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';

const lines = (m: Metrics) => m.render().split('\n');

describe('bridge > Metrics', () => {
  it('renders HELP and TYPE for every metric, counters at 0 before anything happened', () => {
    const text = new Metrics().render();
    expect(text.endsWith('\n')).toBe(true);
    for (const [name, type] of [
      ['quaycast_bridge_consumed_total', 'counter'],
      ['quaycast_bridge_forwarded_total', 'counter'],
      ['quaycast_bridge_retried_total', 'counter'],
      ['quaycast_bridge_dead_lettered_total', 'counter'],
      ['quaycast_bridge_isolated_total', 'counter'],
      ['quaycast_bridge_lag', 'gauge'],
      ['quaycast_bridge_partition_stalled_seconds', 'gauge'],
      ['quaycast_bridge_committed_offset', 'gauge'],
      ['quaycast_bridge_batch_latency_seconds', 'histogram'],
    ]) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S.*$`, 'm'));
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(text).toContain('\nquaycast_bridge_consumed_total 0\n');
    expect(text).toContain('\nquaycast_bridge_dead_lettered_total 0\n');
    expect(text).not.toMatch(/^quaycast_bridge_lag[ {]/m); // a gauge without series has no sample
  });

  it('counts with and without labels', () => {
    const m = new Metrics();
    m.inc('quaycast_bridge_consumed_total');
    m.inc('quaycast_bridge_consumed_total', {}, 4);
    m.inc('quaycast_bridge_forwarded_total', { result: 'stored' }, 3);
    m.inc('quaycast_bridge_forwarded_total', { result: 'duplicate' });
    expect(lines(m)).toEqual(
      expect.arrayContaining([
        'quaycast_bridge_consumed_total 5',
        'quaycast_bridge_forwarded_total{result="stored"} 3',
        'quaycast_bridge_forwarded_total{result="duplicate"} 1',
      ]),
    );
    expect(m.get('quaycast_bridge_consumed_total')).toBe(5);
    expect(m.get('quaycast_bridge_forwarded_total', { result: 'stored' })).toBe(3);
    expect(m.get('quaycast_bridge_forwarded_total', { result: 'rejected' })).toBe(0);
    expect(m.total('quaycast_bridge_forwarded_total')).toBe(4);
    expect(m.total('quaycast_bridge_retried_total')).toBe(0);
  });

  it('sorts labels, so their order does not make a new series', () => {
    const m = new Metrics();
    m.set('quaycast_bridge_lag', { topic: 'port-events', partition: '0' }, 10);
    m.set('quaycast_bridge_lag', { partition: '0', topic: 'port-events' }, 7);
    expect(lines(m).filter((l) => l.startsWith('quaycast_bridge_lag'))).toEqual(['quaycast_bridge_lag{partition="0",topic="port-events"} 7']);
    expect(m.get('quaycast_bridge_lag', { topic: 'port-events', partition: '0' })).toBe(7);
  });

  it('sets gauges per partition', () => {
    const m = new Metrics();
    m.set('quaycast_bridge_committed_offset', { topic: 't', partition: '0' }, 100);
    m.set('quaycast_bridge_committed_offset', { topic: 't', partition: '1' }, 0);
    expect(lines(m)).toEqual(
      expect.arrayContaining([
        'quaycast_bridge_committed_offset{partition="0",topic="t"} 100',
        'quaycast_bridge_committed_offset{partition="1",topic="t"} 0',
      ]),
    );
  });

  it('keeps label values from breaking the text format', () => {
    const m = new Metrics();
    m.inc('quaycast_bridge_dead_lettered_total', { topic: 'a"b\\c\nd' });
    expect(lines(m)).toContain('quaycast_bridge_dead_lettered_total{topic="a_b_c_d"} 1');
  });

  it('renders a cumulative histogram with sum and count', () => {
    const m = new Metrics();
    for (const s of [0.003, 0.02, 0.02, 0.7, 45]) m.observe('quaycast_bridge_batch_latency_seconds', s);
    const h = lines(m).filter((l) => l.startsWith('quaycast_bridge_batch_latency_seconds'));
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

  it('renders an empty histogram with zeros', () => {
    const text = new Metrics().render();
    expect(text).toContain('quaycast_bridge_batch_latency_seconds_bucket{le="+Inf"} 0\n');
    expect(text).toContain('quaycast_bridge_batch_latency_seconds_sum 0\n');
    expect(text).toContain('quaycast_bridge_batch_latency_seconds_count 0\n');
  });

  it('renders only well-formed sample lines', () => {
    const m = new Metrics();
    m.inc('quaycast_bridge_forwarded_total', { result: 'stored' });
    m.set('quaycast_bridge_lag', { topic: 'x', partition: '2' }, 3);
    m.observe('quaycast_bridge_batch_latency_seconds', 0.1);
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? -?[0-9.e+-]+$/;
    for (const line of lines(m).filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(sample);
  });

  it('drops series: one by its labels, or all that fail a test of their labels', () => {
    const m = new Metrics();
    for (const p of ['0', '1', '2']) m.set('quaycast_bridge_lag', { topic: 't', partition: p }, Number(p));
    m.delete('quaycast_bridge_lag', { partition: '1', topic: 't' });
    expect(lines(m).filter((l) => l.startsWith('quaycast_bridge_lag'))).toEqual(['quaycast_bridge_lag{partition="0",topic="t"} 0', 'quaycast_bridge_lag{partition="2",topic="t"} 2']);
    m.retain('quaycast_bridge_lag', (labels) => labels.partition === '2');
    expect(lines(m).filter((l) => l.startsWith('quaycast_bridge_lag'))).toEqual(['quaycast_bridge_lag{partition="2",topic="t"} 2']);
  });

  it('runs its collectors before each render', () => {
    const m = new Metrics();
    let seconds = 1;
    m.addCollector(() => m.set('quaycast_bridge_partition_stalled_seconds', { topic: 't', partition: '0' }, seconds++));
    expect(m.render()).toContain('quaycast_bridge_partition_stalled_seconds{partition="0",topic="t"} 1\n');
    expect(m.render()).toContain('quaycast_bridge_partition_stalled_seconds{partition="0",topic="t"} 2\n');
  });
});
