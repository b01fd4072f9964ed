import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconnectMessage } from './drain.ts';

describe('worker > room > drain > reconnectMessage', () => {
  it('draws afterMs from [min, min + spread), so reconnects are spread, never a storm at one instant', () => {
    expect(reconnectMessage('drain', 500, 5000, () => 0)).toEqual({ type: 'reconnect', afterMs: 500, reason: 'drain' });
    expect(reconnectMessage('slow_consumer', 500, 5000, () => 0.999999).afterMs).toBe(5499);
    expect(reconnectMessage('overload', 500, 0, () => 0.7).afterMs).toBe(500);
  });

  it('property: afterMs is an integer in [min, min + spread) for any draw', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 10_000 }),
        fc.nat({ max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (min, spread, r) => {
          const { afterMs } = reconnectMessage('drain', min, spread, () => r);
          expect(Number.isInteger(afterMs)).toBe(true);
          expect(afterMs).toBeGreaterThanOrEqual(min);
          expect(afterMs).toBeLessThanOrEqual(min + Math.max(0, spread - 1));
        },
      ),
    );
  });
});
