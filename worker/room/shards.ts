/**
 * The part one Room object plays, chosen once when it is bound (docs/rooms.md, "Sharded rooms"):
 *
 *  - **Primary** (named by the category, `Container`): the sequencer and only writer.
 *  - **Sharding primary** (ROOM_SHARDS = N > 1): the same, and after each settle it forwards the
 *    batch to N shards, each through its own ordered queue and pump, so a slow shard never blocks
 *    the writer or the other shards. Its own subscribers are none: they are on the shards.
 *  - **Shard** (`Container#k`): fan-out only. It never writes D1; each delivery runs through the
 *    same settle path as a write on the primary, so its subscribers get the same guarantees. A
 *    delivery that does not continue the shard's lastSeq (a lost delivery, a restarted shard) is
 *    a gap, handled like a write of unknown outcome: live subscribers re-read from their cursor.
 *
 * The room asks its role instead of checking which one it is.
 */
import { isCategory, type Category } from '../../protocol/enums.ts';
import type { Change } from '../../protocol/event.ts';
import { MAX_ROOM_SHARDS } from '../config.ts';
import type { Db } from '../db/client.ts';
import { maxSeq } from '../db/events.ts';
import { errorFields, log } from '../log.ts';
import type { Room } from './room.ts';
import type { DrainOptions, RoomInfo, ShardDelivery } from './rpc.ts';
import { MAX_WRITE_EVENTS, Sequencer } from './sequencer.ts';
import { roomShardStub, roomStub, shardName } from './stubs.ts';

/** Most changes a primary sends a shard in one delivery (a backlog is merged up to this). */
export const MAX_DELIVERY_CHANGES = MAX_WRITE_EVENTS;
/** Changes a primary holds for one slow shard; beyond this it drops them and sends an uncertain delivery. */
export const MAX_SHARD_BACKLOG = 10 * MAX_WRITE_EVENTS;
/** A failed delivery is retried this many times, after these pauses (ms); then the shard's next delivery shows the gap. */
export const SHARD_RETRY_MS = [100, 500, 2_000] as const;

/** What a role may ask of its room. */
export type RoleHost = {
  readonly env: Env;
  readonly db: Db;
  readonly storage: DurableObjectStorage;
  lastSeq(): number;
  /** Open connections here (for logs). */
  connections(): number;
  /** Synchronous: moves lastSeq to `upTo` and pushes the changes (Room.settle). */
  settle(changes: Change[], upTo: number): void;
  /** The next settle must not push directly: live subscribers re-read from D1. */
  markUncertain(): void;
  /** The room's lastSeq moves to at least `seq` without a push (the sequencer found D1 ahead of storage). */
  adoptBase(seq: number): void;
};

export interface RoomRole {
  readonly category: Category;
  /** The shard's 1-based index; undefined for the primary. */
  readonly shard: number | undefined;
  /** `Container`, or `Container#2` for a shard: its name in logs and errors. */
  readonly name: string;
  /** Headers of a connect answer (a shard names itself, for debugging). */
  readonly connectHeaders: Record<string, string>;
  /** Whether an idle room may stop its stats; a shard with subscribers may not: only asking the primary reveals a lost last delivery. */
  readonly mayRest: boolean;
  /** After each settle: a sharding primary forwards it to its shards. */
  forward(delivery: ShardDelivery): void;
  /** Before a subscriber's hello, with its `after`: a shard catches up with the primary first when it must. */
  beforeConnect(after: number | null | undefined): Promise<void>;
  /** Before each stats message: a shard checks its seq against the primary's. */
  beforeStats(): Promise<void>;
  /** A drain of a sharding primary drains every shard too; returns how many they closed. */
  drainShards(options: DrainOptions): Promise<number>;
  /** The room's info; a sharding primary adds up its shards'. */
  info(own: RoomInfo): Promise<RoomInfo>;
}

/** A room's name in logs and errors: `Container`, or `Container#2` for a shard. */
export function roleName(category: Category, shard: number | undefined): string {
  return shard === undefined ? category : shardName(category, shard);
}

export function validShard(shard: number): boolean {
  return Number.isInteger(shard) && shard >= 1 && shard <= MAX_ROOM_SHARDS;
}

/** The role of an object bound to `category` (and `shard`), in a deployment of `shards` shards per room. */
export function chooseRole(category: Category, shard: number | undefined, shards: number, host: RoleHost): RoomRole {
  if (!isCategory(category)) throw new Error(`unknown category ${String(category)}`);
  if (shard !== undefined) {
    if (!validShard(shard)) throw new Error(`bad shard index ${String(shard)}`);
    return new Shard(category, shard, host);
  }
  return shards > 1 ? new ShardingPrimary(category, shards, host) : new Primary(category, host);
}

/** The sequencer's room: the only writer of its category. */
export class Primary implements RoomRole {
  readonly category: Category;
  readonly shard = undefined;
  readonly name: string;
  readonly connectHeaders: Record<string, string> = {};
  readonly mayRest = true;
  readonly sequencer: Sequencer;
  protected readonly host: RoleHost;

  constructor(category: Category, host: RoleHost) {
    this.category = category;
    this.name = category;
    this.host = host;
    this.sequencer = new Sequencer(
      {
        db: host.db,
        storage: host.storage,
        category,
        settle: (c, upTo) => host.settle(c, upTo),
        markUncertain: () => host.markUncertain(),
        adoptBase: (seq) => host.adoptBase(seq),
      },
      host.lastSeq(),
    );
  }

  forward(_delivery: ShardDelivery): void {
    // unsharded: nobody to forward to
  }

  async beforeConnect(): Promise<void> {}

  async beforeStats(): Promise<void> {}

  async drainShards(_options: DrainOptions): Promise<number> {
    return 0;
  }

  async info(own: RoomInfo): Promise<RoomInfo> {
    return own;
  }
}

/** A primary's queue of deliveries for one shard, sent in order by one pump. */
export type ShardOutlet = { queue: ShardDelivery[]; queued: number; sending: boolean; failures: number };

/**
 * Queues one delivery for a shard. A shard more than `maxBacklog` changes behind is better
 * served from D1 than from our memory: its queue becomes one uncertain delivery of the whole
 * range (its subscribers re-read it). True when that happened.
 */
export function enqueueDelivery(o: ShardOutlet, delivery: ShardDelivery, maxBacklog = MAX_SHARD_BACKLOG): boolean {
  o.queue.push(delivery);
  o.queued += delivery.changes.length;
  if (o.queued <= maxBacklog) return false;
  const first = o.queue[0]!;
  o.queue = [{ after: first.after, upTo: delivery.upTo, changes: [], uncertain: true }];
  o.queued = 0;
  return true;
}

/**
 * Takes the next delivery off a shard's queue: consecutive deliveries merged (at least one, up to
 * `maxChanges` changes). A merge that is not contiguous is marked uncertain, never papered over.
 */
export function takeDelivery(queue: ShardDelivery[], maxChanges: number): ShardDelivery {
  const first = queue.shift()!;
  const merged: ShardDelivery = {
    after: first.after,
    upTo: first.upTo,
    changes: [...first.changes],
    uncertain: first.uncertain,
  };
  while (queue.length > 0 && merged.changes.length + queue[0]!.changes.length <= maxChanges) {
    const next = queue.shift()!;
    merged.uncertain ||= next.uncertain || next.after !== merged.upTo;
    merged.changes.push(...next.changes);
    merged.upTo = next.upTo;
  }
  return merged;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** The primary of a sharded category: writes, then forwards every settle to its shards. */
export class ShardingPrimary extends Primary {
  readonly shards: number;
  private readonly outlets = new Map<number, ShardOutlet>();

  constructor(category: Category, shards: number, host: RoleHost) {
    super(category, host);
    this.shards = shards;
  }

  /** The stub of shard `k` (a method, so that a test can stand in for one shard). */
  shardStub(k: number): DurableObjectStub<Room> {
    return roomShardStub(this.host.env, this.category, k);
  }

  /** Queues one settle for every shard; never blocks the writer (each shard has its own pump). */
  override forward(delivery: ShardDelivery): void {
    for (let k = 1; k <= this.shards; k++) {
      let o = this.outlets.get(k);
      if (!o) {
        o = { queue: [], queued: 0, sending: false, failures: 0 };
        this.outlets.set(k, o);
      }
      if (enqueueDelivery(o, delivery))
        log('warn', 'room shard backlog dropped; its subscribers re-read from D1', {
          room: this.category,
          shard: k,
          upTo: delivery.upTo,
        });
      if (!o.sending) void this.pump(k, o);
    }
  }

  /** Sends a shard its queued deliveries in order, merging a backlog into fewer, larger calls. */
  private async pump(shard: number, o: ShardOutlet): Promise<void> {
    o.sending = true;
    try {
      while (o.queue.length > 0) {
        const delivery = takeDelivery(o.queue, MAX_DELIVERY_CHANGES);
        o.queued -= delivery.changes.length;
        try {
          await this.shardStub(shard).deliver(this.category, shard, delivery);
          o.failures = 0;
        } catch (err) {
          const pause = SHARD_RETRY_MS[o.failures++];
          log('warn', 'room shard delivery failed', {
            room: this.category,
            shard,
            upTo: delivery.upTo,
            retry: pause !== undefined,
            ...errorFields(err),
          });
          if (pause === undefined) {
            // Given up: the shard's next delivery does not continue its lastSeq, so it re-reads from D1.
            o.failures = 0;
            continue;
          }
          o.queue.unshift(delivery);
          o.queued += delivery.changes.length;
          await new Promise((r) => setTimeout(r, pause));
        }
      }
    } finally {
      o.sending = false;
    }
  }

  /** The subscribers of a sharded room are on its shards. */
  override async drainShards(options: DrainOptions): Promise<number> {
    const counts = await Promise.all(range(this.shards).map((k) => this.shardStub(k).drain(this.category, options, k)));
    return counts.reduce((n, c) => n + c.closed, 0);
  }

  override async info(own: RoomInfo): Promise<RoomInfo> {
    const parts = await Promise.all(
      range(this.shards).map((k) =>
        this.shardStub(k)
          .info()
          .catch((err: unknown): RoomInfo => {
            // stats are best effort: an unreachable shard counts as empty this time
            log('warn', 'room shard info failed', { room: this.category, shard: k, ...errorFields(err) });
            return { connections: 0, lastSeq: 0, sockets: 0, streams: 0 };
          }),
      ),
    );
    for (const p of parts) {
      own.connections += p.connections;
      own.sockets += p.sockets;
      own.streams += p.streams;
    }
    return own;
  }
}

/** What a shard does with a delivery: nothing new (`stale`), push what is new (`continue`), or re-read from D1 (`gap`). */
export function deliveryStep(lastSeq: number, delivery: ShardDelivery): 'stale' | 'continue' | 'gap' {
  if (delivery.upTo <= lastSeq) return 'stale';
  return delivery.uncertain || delivery.after > lastSeq ? 'gap' : 'continue';
}

/** A fan-out shard: receives the primary's settles and serves subscribers. */
export class Shard implements RoomRole {
  readonly category: Category;
  readonly shard: number;
  readonly name: string;
  readonly connectHeaders: Record<string, string>;
  readonly mayRest = false;
  private readonly host: RoleHost;
  /**
   * True once this instance heard from the primary (a delivery, or a baseline it asked for):
   * deliveries may have been lost while it was gone, so its stored lastSeq is not taken for current.
   */
  private baselineKnown = false;
  /** The baseline request to the primary in flight (shared by concurrent connects). */
  private baseline: Promise<void> | undefined;

  constructor(category: Category, shard: number, host: RoleHost) {
    this.category = category;
    this.shard = shard;
    this.name = shardName(category, shard);
    this.connectHeaders = { 'x-quaycast-shard': String(shard) };
    this.host = host;
  }

  forward(_delivery: ShardDelivery): void {
    // a shard forwards nothing
  }

  /**
   * One settle of the primary. Idempotent (a retried or stale delivery is ignored, an
   * overlapping one pushes only what is new); a delivery that does not continue `lastSeq` is a
   * gap: nothing is pushed directly and live subscribers re-read from their cursor in D1.
   */
  receive(delivery: ShardDelivery): { lastSeq: number } {
    const lastSeq = this.host.lastSeq();
    const step = deliveryStep(lastSeq, delivery);
    if (step === 'gap') {
      const subscribers = this.host.connections();
      log(
        this.baselineKnown && subscribers > 0 ? 'warn' : 'debug',
        'room shard gap; live subscribers re-read from D1',
        {
          room: this.name,
          lastSeq,
          after: delivery.after,
          upTo: delivery.upTo,
          uncertain: delivery.uncertain,
          subscribers,
        },
      );
      this.host.markUncertain();
      this.host.settle(delivery.changes, delivery.upTo);
    } else if (step === 'continue') {
      this.host.settle(
        delivery.changes.filter((c) => c.seq > lastSeq),
        delivery.upTo,
      );
    }
    this.baselineKnown = true;
    return { lastSeq: this.host.lastSeq() };
  }

  /** A shard that has not heard from the primary in this instance, or that is behind the client's cursor (it saw more on another shard), asks the primary first. */
  async beforeConnect(after: number | null | undefined): Promise<void> {
    if (!this.baselineKnown || (after != null && after > this.host.lastSeq())) await this.syncBaseline();
  }

  /** A delivery lost after every retry, with no later delivery to reveal the gap, is healed within one stats interval. */
  async beforeStats(): Promise<void> {
    await this.syncBaseline();
  }

  async drainShards(): Promise<number> {
    return 0;
  }

  async info(own: RoomInfo): Promise<RoomInfo> {
    return own;
  }

  /** Catches up with the primary's settled seq. A jump is a gap: live subscribers re-read from D1. */
  private syncBaseline(): Promise<void> {
    this.baseline ??= (async () => {
      try {
        let settled: number;
        try {
          settled = await roomStub(this.host.env, this.category).settledSeq(this.category);
        } catch (err) {
          // The primary is unreachable: D1's highest stored seq is settled too (one writer, atomic batches).
          log('warn', 'room shard baseline from D1; primary unreachable', { room: this.name, ...errorFields(err) });
          settled = await maxSeq(this.host.db, this.category);
        }
        this.baselineKnown = true;
        if (settled > this.host.lastSeq()) {
          this.host.markUncertain();
          this.host.settle([], settled);
        }
      } finally {
        this.baseline = undefined;
      }
    })();
    return this.baseline;
  }
}
