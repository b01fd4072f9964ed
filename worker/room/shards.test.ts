import { describe, expect, it } from 'vitest';
import type { Change } from '../../protocol/event.ts';
import { MAX_ROOM_SHARDS } from '../config.ts';
import type { ShardDelivery } from './rpc.ts';
import {
  Primary,
  Shard,
  ShardingPrimary,
  chooseRole,
  deliveryStep,
  enqueueDelivery,
  roleName,
  takeDelivery,
  validShard,
  type RoleHost,
  type ShardOutlet,
} from './shards.ts';

const change = (seq: number): Change => ({ id: `e${seq}`, seq, category: 'Port', deleted: true });

describe('worker > room > shards > takeDelivery', () => {
  const d = (after: number, upTo: number, uncertain = false): ShardDelivery => ({
    after,
    upTo,
    changes: [change(upTo)],
    uncertain,
  });

  it('merges contiguous deliveries up to the change bound and leaves the rest queued', () => {
    const queue = [d(0, 1), d(1, 2), d(2, 3)];
    const merged = takeDelivery(queue, 2);
    expect(merged).toMatchObject({ after: 0, upTo: 2, uncertain: false });
    expect(merged.changes.map((c) => c.seq)).toEqual([1, 2]);
    expect(queue).toEqual([d(2, 3)]);
  });

  it('marks a merge across a gap, or with an uncertain part, as uncertain', () => {
    expect(takeDelivery([d(0, 1), d(5, 6)], 10).uncertain).toBe(true);
    expect(takeDelivery([d(0, 1), d(1, 2, true)], 10).uncertain).toBe(true);
  });
});

describe('worker > room > shards > enqueueDelivery', () => {
  const outlet = (): ShardOutlet => ({ queue: [], queued: 0, sending: false, failures: 0 });
  const d = (after: number, upTo: number, n: number): ShardDelivery => ({
    after,
    upTo,
    changes: Array.from({ length: n }, (_, i) => change(after + i + 1)),
    uncertain: false,
  });

  it('queues deliveries in order while the backlog is within its bound', () => {
    const o = outlet();
    expect(enqueueDelivery(o, d(0, 3, 3), 10)).toBe(false);
    expect(enqueueDelivery(o, d(3, 5, 2), 10)).toBe(false);
    expect(o.queue.map((x) => x.upTo)).toEqual([3, 5]);
    expect(o.queued).toBe(5);
  });

  it('replaces a backlog over its bound by one uncertain delivery of the whole range (the shard re-reads it from D1)', () => {
    const o = outlet();
    enqueueDelivery(o, d(10, 16, 6), 10);
    expect(enqueueDelivery(o, d(16, 21, 5), 10)).toBe(true);
    expect(o.queue).toEqual([{ after: 10, upTo: 21, changes: [], uncertain: true }]);
    expect(o.queued).toBe(0);
  });
});

describe('worker > room > shards > deliveryStep', () => {
  const d = (after: number, upTo: number, uncertain = false): ShardDelivery => ({
    after,
    upTo,
    changes: [],
    uncertain,
  });

  it('ignores what the shard has, continues from its lastSeq (overlaps too), and calls anything else a gap', () => {
    expect(deliveryStep(10, d(5, 10))).toBe('stale');
    expect(deliveryStep(10, d(10, 12))).toBe('continue');
    expect(deliveryStep(10, d(8, 12))).toBe('continue'); // overlapping: only seqs above 10 are pushed
    expect(deliveryStep(10, d(11, 12))).toBe('gap'); // a lost delivery before it
    expect(deliveryStep(10, d(10, 12, true))).toBe('gap');
    expect(deliveryStep(10, d(12, 10, true))).toBe('stale');
  });
});

describe('worker > room > shards > roles', () => {
  const host: RoleHost = {
    env: {} as Env,
    db: {} as RoleHost['db'],
    storage: {} as DurableObjectStorage,
    lastSeq: () => 0,
    connections: () => 0,
    settle: () => undefined,
    markUncertain: () => undefined,
    adoptBase: () => undefined,
  };

  it('chooses the role once from the binding: primary, sharding primary with ROOM_SHARDS > 1, or shard', () => {
    const primary = chooseRole('Port', undefined, 1, host);
    expect(primary).toBeInstanceOf(Primary);
    expect(primary).not.toBeInstanceOf(ShardingPrimary);
    expect(primary).toMatchObject({ name: 'Port', shard: undefined, connectHeaders: {}, mayRest: true });
    expect(chooseRole('Port', undefined, 3, host)).toBeInstanceOf(ShardingPrimary);
    const shard = chooseRole('Port', 2, 3, host);
    expect(shard).toBeInstanceOf(Shard);
    expect(shard).toMatchObject({
      name: 'Port#2',
      shard: 2,
      connectHeaders: { 'x-quaycast-shard': '2' },
      mayRest: false,
    });
  });

  it('refuses an unknown category or a shard index outside 1..MAX_ROOM_SHARDS', () => {
    expect(() => chooseRole('Harbour' as 'Port', undefined, 1, host)).toThrow('unknown category Harbour');
    expect(() => chooseRole('Port', 0, 1, host)).toThrow('bad shard index 0');
    expect(validShard(MAX_ROOM_SHARDS)).toBe(true);
    expect([0, MAX_ROOM_SHARDS + 1, 1.5, Number.NaN].map(validShard)).toEqual([false, false, false, false]);
    expect(roleName('Ship', undefined)).toBe('Ship');
    expect(roleName('Ship', 4)).toBe('Ship#4');
  });
});
