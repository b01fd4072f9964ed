/** parseClaimAnswer: the bridge checks each replay request a claim answers before it produces anything (pure). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClaimedReplay } from '../../protocol/dead-letters.ts';
import { ClaimedReplaySchema } from '../../protocol/schemas/dead-letters.ts';
import { UnexpectedAnswerError, parseClaimAnswer } from './worker-answer.ts';

/** The claim answer as the Worker would send it. */
const judge = (answer: unknown) => parseClaimAnswer(JSON.stringify(answer));

const valid: ClaimedReplay = {
  id: '6f1c2b7e-0000-4000-8000-000000000001',
  letterId: 7,
  attempt: 1,
  dlqTopic: 'port-events.dlq',
  dlqPartition: 0,
  dlqOffset: '12',
  topic: 'port-events',
  partition: 2,
  key: 'k-1',
  keyEncoding: 'utf8',
  value: '{"fixed":true}',
  valueEncoding: 'utf8',
  fromDlq: false,
  tombstone: false,
  headers: { trace: 't-1' },
  scanFrom: null,
};

describe('bridge > replay claim answer', () => {
  it('passes a valid request through as it is', () => {
    expect(judge({ replays: [valid] })).toEqual({ claimed: [valid], malformed: [] });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a partition that is not a number', { partition: '2' }, 'partition'],
    ['a negative partition', { partition: -1 }, 'partition'],
    ['an offset that is not digits', { dlqOffset: '12; DROP' }, 'dlqOffset'],
    ['a topic too long for Kafka', { topic: 'x'.repeat(250) }, 'topic'],
    ['an unknown encoding', { valueEncoding: 'hex' }, 'valueEncoding'],
    ['a header that is not text', { headers: { trace: 1 } }, 'headers.trace'],
    [
      'too many headers',
      { headers: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i}`, 'v'])) },
      'headers',
    ],
    ['an attempt of 0', { attempt: 0 }, 'attempt'],
    ['a scanFrom that is not an offset', { scanFrom: 'soon' }, 'scanFrom'],
  ])('settles failed, never produces, a request with %s', (_label, change, path) => {
    const { claimed, malformed } = judge({ replays: [{ ...valid, ...change }, valid] });
    expect(claimed).toEqual([valid]); // the others go on
    expect(malformed).toHaveLength(1);
    expect(malformed[0]).toMatchObject({ id: valid.id, outcome: 'failed' });
    expect((malformed[0] as { reason: string }).reason).toContain(`(${path}:`);
  });

  it('drops a request without a usable id (nothing to settle it by)', () => {
    for (const id of [undefined, 42, '', 'x'.repeat(65)])
      expect(judge({ replays: [{ ...valid, id }] })).toEqual({ claimed: [], malformed: [] });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [valid]],
    ['no replays', {}],
    ['replays that is not an array', { replays: valid }],
    ['more requests than one claim takes', { replays: Array(51).fill(valid) }],
  ])('throws for an answer that is %s (the pass is retried later)', (_label, answer) => {
    expect(() => judge(answer)).toThrow(/replay claim answer/);
  });

  it('property: for any text, it throws UnexpectedAnswerError or every claimed request satisfies the contract, and nothing is both claimed and failed', () => {
    const item = fc.oneof(
      fc.constant(valid),
      fc.record({ ...Object.fromEntries(Object.keys(valid).map((k) => [k, fc.jsonValue()])) }, { requiredKeys: [] }),
      fc
        .tuple(fc.constantFrom(...(Object.keys(valid) as (keyof ClaimedReplay)[])), fc.jsonValue())
        .map(([k, v]) => ({ ...valid, id: `id-${String(k)}`, [k]: v })),
      fc.jsonValue(),
    );
    const text = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ replays: fc.array(item, { maxLength: 60 }) }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(text, (t) => {
        let judged: ReturnType<typeof parseClaimAnswer>;
        try {
          judged = parseClaimAnswer(t);
        } catch (err) {
          expect(err).toBeInstanceOf(UnexpectedAnswerError);
          return;
        }
        const items = (JSON.parse(t) as { replays: unknown[] }).replays;
        expect(judged.claimed.length + judged.malformed.length).toBeLessThanOrEqual(items.length);
        for (const c of judged.claimed) expect(ClaimedReplaySchema.safeParse(c).success).toBe(true);
        const claimedIds = new Set(judged.claimed.map((c) => c.id));
        for (const m of judged.malformed) {
          expect(m.outcome).toBe('failed');
          expect(m.id.length).toBeGreaterThan(0);
          expect(m.id.length).toBeLessThanOrEqual(64);
          if (m.outcome === 'failed') expect(m.reason.length).toBeLessThanOrEqual(2000);
          // The same id claimed valid in one item and malformed in another can only come from two items naming one id.
          if (claimedIds.has(m.id))
            expect(items.filter((i) => (i as { id?: unknown })?.id === m.id).length).toBeGreaterThan(1);
        }
      }),
      { numRuns: 500 },
    );
  });
});
