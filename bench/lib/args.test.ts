import { describe, expect, it } from 'vitest';
import { parseArgs, SCENARIOS } from './args.ts';

describe('bench > parseArgs', () => {
  it('runs every scenario on both systems by default', () => {
    const o = parseArgs([]);
    expect(o.scenarios).toEqual([...SCENARIOS]);
    expect(o.systems).toEqual(['quaycast', 'peer']);
    expect(o.rounds).toBe(2);
  });

  it('takes scenarios and size overrides', () => {
    const o = parseArgs([
      'latency',
      'replay,storm',
      '--duration',
      '5',
      '--clients',
      '50',
      '--deflate',
      '--systems',
      'peer',
    ]);
    expect(o.scenarios).toEqual(['latency', 'replay', 'storm']);
    expect(o).toMatchObject({ durationS: 5, clients: 50, deflate: true, systems: ['peer'] });
  });

  it('takes a rule count for Quaycast (none by default)', () => {
    expect(parseArgs([]).rules).toBe(0);
    expect(parseArgs(['latency', '--rules', '50']).rules).toBe(50);
    expect(() => parseArgs(['--rules', '-1'])).toThrow(/--rules/);
  });

  it('refuses unknown scenarios and bad numbers', () => {
    expect(() => parseArgs(['latncy'])).toThrow(/unknown scenario/);
    expect(() => parseArgs(['--rounds', '0'])).toThrow(/--rounds/);
    expect(() => parseArgs(['--clients'])).toThrow(/--clients/);
  });
});
