/**
 * Properties of PartitionFlow over any sequence of Worker outcomes: a model Worker (up, down,
 * failing everything, one room unavailable) answers windows of records (valid, poison, rejected,
 * refused as a batch, tombstones) from several partitions in an arbitrary interleaving, and the
 * flows' decisions are applied as the batch handler applies them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HealthLedger, PartitionFlow, type FlowRecord, type StepOutcome } from './partition-flow.ts';

/** ok: stored; poison: any window holding it fails (500 or timeout); reject: answered rejected; refuse: any window of 2+ holding it is refused whole (4xx). */
type Kind = 'ok' | 'poison' | 'reject' | 'refuse' | 'tombstone';
type Mode = 'up' | 'down' | 'fail-all' | 'room-unavailable';
type Phase = { mode: Mode; steps: number; rooms: number[] };
type Disposition = 'stored' | 'dead-lettered' | 'isolated' | 'skipped';

const kindArb: fc.Arbitrary<Kind> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('ok' as const) },
  { weight: 1, arbitrary: fc.constant('poison' as const) },
  { weight: 2, arbitrary: fc.constant('reject' as const) },
  { weight: 1, arbitrary: fc.constant('refuse' as const) },
  { weight: 2, arbitrary: fc.constant('tombstone' as const) },
);
const phaseArb = (modes: Mode[]) =>
  fc.record({
    mode: fc.constantFrom(...modes),
    steps: fc.integer({ min: 1, max: 60 }),
    rooms: fc.array(fc.nat(4), { maxLength: 3 }),
  });
const scenarioArb = (modes: Mode[], kinds = kindArb) =>
  fc.record({
    partitions: fc.array(
      fc.array(fc.record({ kind: kinds, bytes: fc.nat(100), timesOut: fc.boolean() }), { maxLength: 25 }),
      { minLength: 1, maxLength: 4 },
    ),
    phases: fc.array(phaseArb(modes), { maxLength: 8 }),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 100 }),
    maxWindow: fc.integer({ min: 1, max: 16 }),
    maxBytes: fc.integer({ min: 1, max: 300 }),
    isolateAfter: fc.integer({ min: 2, max: 4 }),
  });
type Scenario = {
  partitions: { kind: Kind; bytes: number; timesOut: boolean }[][];
  phases: Phase[];
  picks: number[];
  maxWindow: number;
  maxBytes: number;
  isolateAfter: number;
};

/** A failure event of the log: step, partition, window (indices), and whether it counts. */
type Failure = { step: number; p: number; first: number; last: number; counted: boolean };

/**
 * Runs the scenario's phases, then `up` for every partition in turn with a canary partition of
 * valid records beside them (the other traffic a real topic has), until every partition is done
 * or `maxSteps`. Checks the invariants at every step; returns the dispositions.
 */
function run(s: Scenario, maxSteps = 20_000) {
  const ledger = new HealthLedger();
  const settings = {
    maxWindow: s.maxWindow,
    maxBytes: s.maxBytes,
    isolateAfter: s.isolateAfter,
    retryInitialMs: 10,
    retryMaxMs: 500,
    random: () => 0.5,
  };
  const canary = s.partitions.length; // never runs out of valid records
  const parts = [...s.partitions.map((records) => records), []].map((records, p) => ({
    records,
    head: 0,
    committed: 0,
    flow: new PartitionFlow('t', p, ledger, settings),
    dispositions: [] as Disposition[],
  }));
  const recordOf = (p: number, i: number) =>
    p === canary ? { kind: 'ok' as Kind, bytes: 10, timesOut: false } : parts[p]!.records[i]!;
  const failures: Failure[] = [];
  const successes: number[] = [];
  const isolations: { p: number; index: number; step: number }[] = [];
  const phaseAt = (step: number): Phase => {
    let t = step;
    for (const ph of s.phases) {
      if (t < ph.steps) return ph;
      t -= ph.steps;
    }
    return { mode: 'up', steps: Infinity, rooms: [] };
  };
  const inPhases = s.phases.reduce((n, ph) => n + ph.steps, 0);
  const done = (p: number) => p !== canary && parts[p]!.head >= parts[p]!.records.length;

  for (let step = 0; step < maxSteps; step++) {
    const open = parts.map((_, p) => p).filter((p) => !done(p));
    if (open.length === 1) break; // only the canary left
    const p = step < inPhases ? open[s.picks[step % s.picks.length]! % open.length]! : open[step % open.length]!;
    const part = parts[p]!;
    const { mode, rooms } = phaseAt(step);
    const remaining: FlowRecord[] = [];
    for (let i = part.head; i < (p === canary ? part.head + s.maxWindow : part.records.length); i++) {
      const r = recordOf(p, i);
      remaining.push({ offset: String(i), bytes: r.bytes, tombstone: r.kind === 'tombstone' });
    }
    const w = part.flow.next(remaining);
    const first = Number(w.firstOffset);
    const last = Number(w.lastOffset);
    expect(first).toBe(part.head); // every window starts at the head
    expect(w.count).toBe(last - first + 1);
    expect(w.count).toBeLessThanOrEqual(s.maxWindow);
    const kinds = Array.from({ length: w.count }, (_, k) => recordOf(p, first + k));
    const bytes = kinds.reduce((n, r) => n + r.bytes, 0);
    if (w.count > 1) expect(bytes).toBeLessThanOrEqual(s.maxBytes);

    let outcome: StepOutcome;
    if (kinds.every((r) => r.kind === 'tombstone')) outcome = { kind: 'skipped' };
    else if (mode === 'down')
      outcome = { kind: 'failed', countsTowardIsolation: false, status: undefined, message: 'unreachable' };
    else if (mode === 'fail-all')
      outcome = { kind: 'failed', countsTowardIsolation: true, status: 500, message: '500' };
    else if (mode === 'room-unavailable' && rooms.includes(p))
      outcome = {
        kind: 'failed',
        countsTowardIsolation: false,
        status: 503,
        code: 'room_unavailable',
        retryAfterMs: 1000,
        message: '503',
      };
    else if (kinds.some((r) => r.kind === 'poison')) {
      const timesOut = kinds.find((r) => r.kind === 'poison')!.timesOut;
      outcome = {
        kind: 'failed',
        countsTowardIsolation: true,
        status: timesOut ? 'timeout' : 500,
        message: timesOut ? 'timeout' : '500',
      };
    } else if (w.count > 1 && kinds.some((r) => r.kind === 'refuse')) outcome = { kind: 'refused', message: '422' };
    else outcome = { kind: 'answered' };
    if (outcome.kind === 'failed') failures.push({ step, p, first, last, counted: outcome.countsTowardIsolation });
    if (outcome.kind === 'answered') successes.push(step);

    let d = part.flow.settle(w, outcome, step);
    if (d.action === 'wait') {
      expect(d.delayMs).toBeGreaterThanOrEqual(0);
      expect(d.delayMs).toBeLessThanOrEqual(500);
    }
    if (d.action === 'isolate') {
      expect(w.count).toBe(1);
      checkEvidence(p, first, step, d.attempts);
      expect(d.reason).toBe(
        `isolated: the Worker failed this record ${d.attempts} times while healthy (last: ${d.lastStatus}, request id ${d.requestId})`,
      );
      const healthy = mode !== 'down';
      d = part.flow.settle(
        w,
        healthy ? { kind: 'isolated' } : { kind: 'isolation-deferred', message: '/healthz' },
        step,
      );
      if (healthy) isolations.push({ p, index: first, step });
    }
    if (d.action === 'commit') {
      const isolatedNow = isolations.at(-1)?.step === step;
      // Only a window every record of which was answered, isolated or skipped is committed.
      expect(outcome.kind === 'answered' || outcome.kind === 'skipped' || isolatedNow).toBe(true);
      for (const r of kinds) {
        const disposition: Disposition = isolatedNow
          ? 'isolated'
          : r.kind === 'tombstone'
            ? 'skipped'
            : r.kind === 'ok'
              ? 'stored'
              : 'dead-lettered';
        expect(r.kind === 'poison' && disposition !== 'isolated').toBe(false); // a poison record is never taken as stored
        part.dispositions.push(disposition);
      }
      part.head = last + 1;
      part.committed = part.head;
    }
    expect(part.committed).toBe(part.dispositions.length); // committed offsets = the prefix with a disposition
  }
  return { parts: parts.slice(0, canary), isolations, failures };

  /**
   * Independently of the flow: the record failed (counted) in some window since the last
   * isolation of its partition, and at least `attempts` ≥ isolateAfter of its counted failures
   * alone each had a success between it and the record's previous counted failure (a window
   * holding it), so every counted failure has its own evidence.
   */
  function checkEvidence(p: number, index: number, step: number, attempts: number) {
    const sinceExplained = Math.max(-1, ...isolations.filter((i) => i.p === p).map((i) => i.step));
    const holding = failures.filter(
      (f) => f.p === p && f.counted && f.step > sinceExplained && f.step <= step && f.first <= index && index <= f.last,
    );
    expect(holding.length, 'isolated without ever failing').toBeGreaterThan(0);
    const evidenced = holding.filter(
      (f, i) =>
        i > 0 && f.first === index && f.last === index && successes.some((t) => t > holding[i - 1]!.step && t < f.step),
    );
    expect(attempts).toBeGreaterThanOrEqual(s.isolateAfter);
    expect(evidenced.length, 'counted failures without their own evidence').toBeGreaterThanOrEqual(attempts);
  }
}

describe('bridge > PartitionFlow (properties)', () => {
  it('commits only a prefix of records stored, dead-lettered, isolated or skipped, and isolates only with healthy evidence, for any outcomes', () => {
    fc.assert(
      fc.property(scenarioArb(['up', 'down', 'fail-all', 'room-unavailable']), (s) => {
        run(s);
      }),
      { numRuns: 300 },
    );
  });

  it('without a Worker failing everything, delivers every valid record, dead-letters every rejected one and isolates exactly the poison ones', () => {
    fc.assert(
      fc.property(scenarioArb(['up', 'down', 'room-unavailable']), (s) => {
        const { parts } = run(s);
        parts.forEach((part, p) => {
          expect(part.head, `partition ${p} did not finish`).toBe(part.records.length);
          part.records.forEach((r, i) => {
            const expected: Disposition = {
              ok: 'stored',
              poison: 'isolated',
              reject: 'dead-lettered',
              refuse: 'dead-lettered',
              tombstone: 'skipped',
            }[r.kind] as Disposition;
            expect(part.dispositions[i], `${p}/${i} (${r.kind})`).toBe(expected);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never isolates anything when every failure is a 503 room_unavailable or the Worker being down, however long', () => {
    fc.assert(
      fc.property(
        scenarioArb(['up', 'down', 'room-unavailable'], fc.constantFrom<Kind>('ok', 'reject', 'refuse', 'tombstone')),
        (s) => {
          expect(run(s).isolations).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('dead-letters nothing while every batch fails, after any history (the Worker is broken, not the records)', () => {
    fc.assert(
      fc.property(
        scenarioArb(['up', 'room-unavailable'], fc.constantFrom<Kind>('ok', 'reject', 'tombstone')),
        fc.integer({ min: 50, max: 400 }),
        (s, outage) => {
          // Any history without poison, then the Worker fails everything (its /healthz still 200) for `outage` steps.
          const { isolations } = run(
            { ...s, phases: [...s.phases, { mode: 'fail-all', steps: outage, rooms: [] }] },
            s.phases.reduce((n, ph) => n + ph.steps, 0) + outage,
          );
          expect(isolations).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
