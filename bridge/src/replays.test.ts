/** replayPass against an in-memory partition log and claim table (pure logic; the I/O is faked). */
import { describe, expect, it } from 'vitest';
import { REPLAY_ID_HEADER } from './dead-letter-report.ts';
import type { ClaimedReplay } from '../../protocol/dead-letters.ts';
import { type ReplayDeps, type Settlement, replayPass } from './replays.ts';

type Rec = { key: Buffer | null; value: Buffer | null; headers: Record<string, string> };

function world(over: Partial<ClaimedReplay> = {}) {
  const log: Rec[] = [{ key: null, value: Buffer.from('old'), headers: {} }];
  const request: ClaimedReplay = {
    id: 'r-1',
    letterId: 1,
    attempt: 0,
    scanFrom: null,
    dlqTopic: 'port-events.dlq',
    dlqPartition: 0,
    dlqOffset: '3',
    topic: 'port-events',
    partition: 0,
    key: 'k',
    keyEncoding: 'utf8',
    value: '{"fixed":true}',
    valueEncoding: 'utf8',
    fromDlq: false,
    tombstone: false,
    headers: {},
    ...over,
  };
  const dlq = new Map<string, { value: Buffer | null }>([
    ['port-events.dlq/0/3', { value: Buffer.from('x'.repeat(20_000)) }],
  ]);
  let settled: Settlement[] | undefined;
  let crashAfterProduce = false;
  const deps: ReplayDeps = {
    consumed: ['port-events'],
    watermarks: async () => [{ topic: 'port-events', partition: 0, high: String(log.length) }],
    claim: async (marks) => {
      if (settled) return { claimed: [], malformed: [] };
      request.attempt++;
      request.scanFrom ??= marks[0]!.high; // the Worker keeps the first claim's
      return { claimed: [{ ...request }], malformed: [] };
    },
    findCopy: async (_t, _p, from, match) => {
      for (let i = Number(from); i < log.length; i++) if (match(log[i]!.headers)) return String(i);
      return undefined;
    },
    readDeadLetter: async (topic, partition, offset) => dlq.get(`${topic}/${partition}/${offset}`),
    produce: async (r) => {
      log.push({ key: r.key, value: r.value, headers: r.headers });
      if (crashAfterProduce) throw new Error('bridge killed');
      return String(log.length - 1);
    },
    settle: async (results) => {
      settled = results;
    },
  };
  return {
    log,
    deps,
    settled: () => settled,
    crashNext: () => {
      crashAfterProduce = true;
    },
    heal: () => {
      crashAfterProduce = false;
    },
  };
}

describe('replayPass', () => {
  it('produces a claimed replay with its replay id and settles it at its offset', async () => {
    const w = world();
    expect(await replayPass(w.deps)).toEqual([{ id: 'r-1', outcome: 'produced', partition: 0, offset: '1' }]);
    expect(w.log[1]!.headers[REPLAY_ID_HEADER]).toBe('r-1');
  });

  it('a crash between produce and settle: the second attempt finds the copy and does not produce again', async () => {
    const w = world();
    w.crashNext();
    // The "crash": produce landed, then the pass died before settle (here: the produce call threw after writing).
    const first = await replayPass(w.deps);
    expect(first).toEqual([]); // nothing settled: the request stays claimed until its lease runs out
    expect(w.settled()).toBeUndefined();
    w.heal();
    const second = await replayPass(w.deps);
    expect(second).toEqual([{ id: 'r-1', outcome: 'produced', partition: 0, offset: '1' }]);
    expect(w.log.filter((r) => r.headers[REPLAY_ID_HEADER] === 'r-1')).toHaveLength(1);
  });

  it('a produce that keeps failing is settled failed on the last attempt', async () => {
    const w = world();
    const failing = { ...w.deps, produce: async () => Promise.reject(new Error('no leader')) };
    expect(await replayPass(failing)).toEqual([]);
    expect(await replayPass(failing)).toEqual([]);
    expect(await replayPass(failing)).toEqual([{ id: 'r-1', outcome: 'failed', reason: 'no leader' }]);
  });

  it('refuses a request naming a topic the bridge does not consume', async () => {
    const w = world();
    const results = await replayPass({ ...w.deps, consumed: ['container-events'] });
    expect(results[0]).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/not a topic the bridge consumes/),
    });
    expect(w.log).toHaveLength(1);
  });

  it('produces a value longer than the preview from its DLQ record, whole', async () => {
    const w = world({ fromDlq: true, value: null });
    expect(await replayPass(w.deps)).toEqual([{ id: 'r-1', outcome: 'produced', partition: 0, offset: '1' }]);
    expect(w.log[1]!.value!.toString()).toBe('x'.repeat(20_000));
    expect(w.log[1]!.key!.toString()).toBe('k');
  });

  it('settles failed, producing nothing, a long value whose DLQ record is gone', async () => {
    const w = world({ fromDlq: true, value: null, dlqOffset: '9' });
    expect(await replayPass(w.deps)).toEqual([
      {
        id: 'r-1',
        outcome: 'failed',
        reason: 'the dead letter is no longer on port-events.dlq at 0:9 (retention deleted it?)',
      },
    ]);
    expect(w.log).toHaveLength(1);
  });
});
