/**
 * The chaos soak, short (test/soak/soak.ts; `npm run soak` runs it at full size): a few thousand
 * records through a private broker with every fault of the schedule and hostile records mixed in;
 * nothing lost, nothing duplicated, nothing misplaced, nothing out of order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSoak } from '../soak/soak.ts';
import { ROOT } from '../support/paths.ts';

describe('soak > short chaos run', () => {
  it('stores every valid event once, dead-letters every hostile record, and every client sees each matching event once in order, through bridge kills, a Worker restart, a broker restart and 5xx bursts', async () => {
    const result = await runSoak({
      events: 2400,
      rate: 80,
      clients: 50,
      hostileShare: 0.01,
      oddShare: 0.02,
      settleTimeoutMs: 90_000,
      log: (l) => console.log(`[soak] ${l}`),
    });
    mkdirSync(path.join(ROOT, 'test/artifacts'), { recursive: true });
    writeFileSync(path.join(ROOT, 'test/artifacts/soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    expect(result.faults.map((f) => f.kind)).toEqual([
      'bridge-sigkill',
      'worker-5xx-burst',
      'worker-restart',
      'broker-stop-start',
      'bridge-sigkill',
      'worker-503-burst',
    ]);
    expect(result.produced.hostile).toBeGreaterThanOrEqual(20);
    expect(result.d1).toMatchObject({ lost: 0, unexpected: 0, wrongContent: 0 });
    expect(result.d1.stored).toBe(result.d1.expected);
    expect(result.dlq).toMatchObject({ missing: 0, validDeadLettered: 0, withoutReason: 0 });
    expect(result.clients).toMatchObject({ missing: 0, duplicated: 0, outOfOrder: 0, errors: 0 });
    expect(result.clients.drops).toBeGreaterThan(0);
    expect(result.ok).toBe(true);
  }, 300_000);
});
