/**
 * What a room tells its subscribers about itself: `presence` when the count changes (coalesced),
 * and `stats` every STATS_INTERVAL_MS while the room is active (docs/rooms.md). An idle room —
 * nothing changed since the last stats — stops its stats, so it can hibernate for free; the next
 * event or connection re-arms them.
 */
import type { Category } from '../../protocol/enums.ts';
import type { ServerMessage } from '../../protocol/room.ts';
import type { Subscribers } from './subscribers.ts';

/** Stats go out this often while the room is active; an idle room sends none and may sleep. */
export const STATS_INTERVAL_MS = 30_000;
/** Presence updates are coalesced over this window. */
export const PRESENCE_COALESCE_MS = 250;
/** The window of `eventsLastMinute`. */
const RATE_WINDOW_MS = 60_000;
/** Most settles remembered for the rate (a bound on memory at any event rate). */
const MAX_RATE_ENTRIES = 10_000;

/** Changes stored per settle, over the last minute: the stats message's `eventsLastMinute`. */
export class EventRate {
  /** [time, count] per settle that stored something. */
  private entries: [number, number][] = [];

  record(count: number, now: number): void {
    if (count > 0) this.entries.push([now, count]);
    if (this.entries.length > MAX_RATE_ENTRIES) this.entries.splice(0, this.entries.length - MAX_RATE_ENTRIES);
  }

  lastMinute(now: number): number {
    this.entries = this.entries.filter(([t]) => now - t < RATE_WINDOW_MS);
    return this.entries.reduce((n, [, c]) => n + c, 0);
  }
}

export type StatsHost = {
  readonly subscribers: Subscribers;
  category(): Category | undefined;
  lastSeq(): number;
  /** Before the stats: a shard checks its seq against the primary's (shards.ts). */
  beforeStats(): Promise<void>;
  /** Whether an idle room may stop its stats (a shard with subscribers may not). */
  mayRest(): boolean;
};

export class RoomStats {
  readonly rate = new EventRate();
  private readonly host: StatsHost;
  private last = { seq: -1, connections: -1 };

  constructor(host: StatsHost) {
    this.host = host;
  }

  /** The stats message to every subscriber; returns when the next one is due (undefined: the room may rest). */
  async send(now: number): Promise<number | undefined> {
    const { subscribers } = this.host;
    const connections = subscribers.connections;
    const category = this.host.category();
    if (connections === 0 || !category) return undefined; // nobody to tell: let the room rest
    await this.host.beforeStats();
    const lastSeq = this.host.lastSeq();
    const message = {
      type: 'stats',
      room: category,
      lastSeq,
      connections,
      eventsLastMinute: this.rate.lastMinute(now),
      at: new Date(now).toISOString(),
    } satisfies ServerMessage;
    const json = JSON.stringify(message);
    for (const s of subscribers.list()) s.send(json);
    const idle = this.host.mayRest() && this.last.seq === lastSeq && this.last.connections === connections;
    this.last = { seq: lastSeq, connections };
    return idle ? undefined : now + STATS_INTERVAL_MS;
  }
}

/** `presence`, coalesced: one message per PRESENCE_COALESCE_MS however many came and went. */
export class Presence {
  private readonly subscribers: Subscribers;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(subscribers: Subscribers) {
    this.subscribers = subscribers;
  }

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const json = JSON.stringify({
        type: 'presence',
        connections: this.subscribers.connections,
      } satisfies ServerMessage);
      for (const s of this.subscribers.list()) s.send(json);
    }, PRESENCE_COALESCE_MS);
  }
}
