import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentLedger } from './ledger.ts';

describe('worker > room > SentLedger', () => {
  it('releases what was sent up to an acked seq, and nothing for an ack beyond what was sent', () => {
    const l = new SentLedger(10);
    l.sent(100, 12);
    l.sent(50); // a presence message: belongs to seq 12
    l.sent(200, 15);
    expect(l.unacked).toBe(350);
    expect(l.ack(16)).toBe(false); // never sent
    expect(l.ack(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(l.unacked).toBe(350);
    expect(l.ack(13)).toBe(true); // frames up to 12 processed
    expect(l.unacked).toBe(200);
    expect(l.ack(15)).toBe(true);
    expect(l.unacked).toBe(0);
  });

  it('a message sent after an ack is outstanding until the next ack (fast-check seed -2039378845, path 6:0:1:1:1:2:2: it was the first oracle that was wrong here)', () => {
    const l = new SentLedger(0);
    expect(l.ack(0)).toBe(true);
    l.sent(1);
    expect(l.unacked).toBe(1);
    expect(l.ack(0)).toBe(true);
    expect(l.unacked).toBe(0);
  });

  it('accepts an ack of the starting cursor (what the client already had) and clears on ping evidence', () => {
    const l = new SentLedger(40);
    l.sent(30); // hello
    expect(l.ack(40)).toBe(true);
    expect(l.unacked).toBe(0);
    l.sent(500, 41);
    l.clear();
    expect(l.unacked).toBe(0);
    expect(l.highestSent).toBe(41);
  });

  it('property: unacked is the bytes of every message no believable ack has covered since it was sent; acks above the highest seq sent never release anything', () => {
    type Op =
      | { kind: 'frame'; bytes: number; step: number }
      | { kind: 'message'; bytes: number }
      | { kind: 'ack'; delta: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('frame' as const),
        bytes: fc.integer({ min: 1, max: 10_000 }),
        step: fc.integer({ min: 1, max: 5 }),
      }),
      fc.record({ kind: fc.constant('message' as const), bytes: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant('ack' as const), delta: fc.integer({ min: -20, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), fc.array(op, { maxLength: 200 }), (start, ops) => {
        const l = new SentLedger(start);
        // the model: every message with the seq it belongs to, released by a believable ack sent after it
        const sent: { seq: number; bytes: number; released: boolean }[] = [];
        let highest = start;
        for (const o of ops) {
          if (o.kind === 'frame') {
            highest += o.step;
            l.sent(o.bytes, highest);
            sent.push({ seq: highest, bytes: o.bytes, released: false });
          } else if (o.kind === 'message') {
            l.sent(o.bytes);
            sent.push({ seq: highest, bytes: o.bytes, released: false });
          } else {
            const seq = highest + o.delta;
            const before = l.unacked;
            const believed = l.ack(seq);
            expect(believed).toBe(seq <= highest);
            if (!believed) expect(l.unacked).toBe(before);
            else for (const m of sent) if (m.seq <= seq) m.released = true;
          }
          expect(l.unacked).toBe(sent.filter((m) => !m.released).reduce((n, m) => n + m.bytes, 0));
          expect(l.highestSent).toBe(highest);
        }
      }),
    );
  });
});
