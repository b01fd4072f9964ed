/**
 * The category room: one Durable Object per category, the sequencer and fan-out of its events
 * (docs/rooms.md). This class is the composition root and the runtime's entry points (RPC,
 * `fetch`, the WebSocket handlers, the alarm); each concept is a module beside it:
 *
 *  - sequencer.ts — seq reservation and the single writer loop; the ordering argument.
 *  - shards.ts — the role this object plays (primary, sharding primary, shard), chosen once.
 *  - subscriber.ts, socket-subscriber.ts, stream-subscriber.ts, subscribers.ts — one subscriber
 *    interface, its WebSocket and SSE implementations, and the collection.
 *  - handshake.ts — joining (the connect request, the per-token cap, the one set-up).
 *  - fanout.ts, send-window.ts, catch-up.ts, frames.ts — live pushes and their pacing, resumes, framing.
 *  - client-frames.ts, ledger.ts, replay-slots.ts, limits.ts — what clients send, what they read,
 *    the shared replay reads, the bounds.
 *  - expiry.ts, stats.ts, drain.ts, long-poll.ts — token expiry and the alarm, stats and
 *    presence, closing on purpose, long-poll waiters.
 *
 * `settle` is where they meet: the one synchronous step that moves `lastSeq` and pushes.
 * Hibernation: the constructor rebuilds everything from storage and the sockets' attachments.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Category } from '../../protocol/enums.ts';
import type { Change, NewEvent } from '../../protocol/event.ts';
import { CLOSE } from '../../protocol/room.ts';
import { getConfig } from '../config.ts';
import { createDb, type Db } from '../db/client.ts';
import { releaseConnection } from '../limiter/connections.ts';
import { log } from '../log.ts';
import { nudgeRules } from '../rules/stub.ts';
import { CatchUp } from './catch-up.ts';
import { answerClientFrame } from './client-frames.ts';
import { drainAll } from './drain.ts';
import { RoomAlarm } from './expiry.ts';
import { Fanout } from './fanout.ts';
import { connect, type RoomTarget } from './handshake.ts';
import { DEFAULT_ROOM_LIMITS, type RoomLimits } from './limits.ts';
import { ChangeWaiters } from './long-poll.ts';
import { RecentChanges } from './recent-changes.ts';
import { ReplaySlots } from './replay-slots.ts';
import type {
  ChangeRequest,
  ChangeResult,
  CommitOptions,
  CommitResult,
  DrainOptions,
  RoomInfo,
  ShardDelivery,
} from './rpc.ts';
import { Primary, Shard, chooseRole, roleName, type RoleHost, type RoomRole } from './shards.ts';
import { SocketSubscriber, type SocketHost } from './socket-subscriber.ts';
import { Presence, RoomStats } from './stats.ts';
import { restoredState, type SubscriberState } from './subscriber.ts';
import { Subscribers } from './subscribers.ts';

export class Room extends DurableObject<Env> {
  /** The room's bounds; public so that tests can tighten them (runInDurableObject). Reset on every wake. */
  readonly limits: RoomLimits = { ...DEFAULT_ROOM_LIMITS };
  /** Replay reads from D1, shared per token (public for tests, like `limits`). */
  readonly replay = new ReplaySlots(() => ({
    total: this.limits.maxConcurrentReplays,
    perHolder: this.limits.replaySlotsPerToken,
  }));
  /** Long-polls waiting for the next settle. */
  readonly waiters = new ChangeWaiters();
  private readonly db: Db;
  /** The part this object plays, chosen once: by its first call, or from storage after a wake. */
  private role: RoomRole | undefined;
  /** Highest seq settled: stored and pushed (or known never to be stored). */
  private lastSeq = 0;
  /** A write failed after D1 may have committed it (or a shard saw a gap): the next settle must not push directly. */
  private uncertain = false;
  private readonly recent: RecentChanges;
  private readonly subscribers: Subscribers;
  private readonly presence: Presence;
  private readonly fanout: Fanout;
  private readonly catchUp: CatchUp;
  private readonly stats: RoomStats;
  private readonly alarms: RoomAlarm;
  private readonly socketHost: SocketHost;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const send = getConfig(env).roomSend;
    this.limits.sendBudgetPerSecond = send.budgetPerSecond;
    this.limits.maxSendDelayMs = send.maxDelayMs;
    this.limits.fixedSendWindowMs = send.fixedWindowMs;
    this.db = createDb(env.DB);
    this.recent = new RecentChanges(this.limits.recentChanges, 0);
    const room = () => this.role?.category;
    this.subscribers = new Subscribers({
      release: (who) => this.release(who),
      changed: () => this.presence.schedule(),
    });
    this.presence = new Presence(this.subscribers);
    this.fanout = new Fanout(this.subscribers, this.limits, room);
    this.catchUp = new CatchUp({
      db: this.db,
      archive: env.ARCHIVE,
      limits: this.limits,
      recent: this.recent,
      replay: this.replay,
      subscribers: this.subscribers,
      fanout: this.fanout,
      category: () => this.role!.category,
      lastSeq: () => this.lastSeq,
    });
    this.stats = new RoomStats({
      subscribers: this.subscribers,
      category: room,
      lastSeq: () => this.lastSeq,
      beforeStats: async () => this.role?.beforeStats(),
      mayRest: () => this.role?.mayRest ?? true,
    });
    this.alarms = new RoomAlarm({
      storage: ctx.storage,
      subscribers: this.subscribers,
      room,
      sendStats: (now) => this.stats.send(now),
    });
    this.socketHost = {
      get room() {
        return room();
      },
      drop: (s, code, reason) => this.subscribers.drop(s, code, reason),
      pingedAt: (ws) => ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0,
    };
    // Rebuild everything from storage and the sockets' attachments: this runs after every wake.
    ctx.blockConcurrencyWhile(async () => {
      const [category, shard, lastSeq, reserved] = await Promise.all([
        ctx.storage.get<Category>('category'),
        ctx.storage.get<number>('shard'),
        ctx.storage.get<number>('lastSeq'),
        ctx.storage.get<number>('reserved'),
      ]);
      // Seqs reserved by an instance that died mid-write are settled now: stored or never will be.
      // Catch-ups read them from D1; live subscribers of that instance were disconnected with it.
      this.lastSeq = Math.max(lastSeq ?? 0, reserved ?? 0);
      this.recent.reset(this.lastSeq);
      if (category) this.role = chooseRole(category, shard, getConfig(env).roomShards, this.roleHost());
      for (const ws of ctx.getWebSockets()) if (ws.readyState === WebSocket.OPEN) this.socketOf(ws);
    });
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  // ---------------------------------------------------------------------------------------------
  // RPC

  /** Stores the events that are new by id, gives them seqs and pushes them. One call per batch. */
  async commit(category: Category, events: NewEvent[], options: CommitOptions = {}): Promise<CommitResult[]> {
    const { sequencer } = await this.bindPrimary(category);
    if (events.length === 0) return [];
    return sequencer.commit(events, options.outbox ?? false);
  }

  /** Applies a workflow change or delete: the event takes the next seq and is pushed again. */
  async change(category: Category, request: ChangeRequest): Promise<ChangeResult> {
    const { sequencer } = await this.bindPrimary(category);
    return sequencer.change(request);
  }

  /** Long-poll support: resolves with the room's last seq as soon as it is above `after`, or after `timeoutMs`. */
  async waitForChange(category: Category, after: number, timeoutMs: number): Promise<number> {
    await this.bindPrimary(category);
    return this.waiters.wait(after, timeoutMs, () => this.lastSeq);
  }

  /** Primary: the highest settled seq (a shard's baseline). */
  async settledSeq(category: Category): Promise<number> {
    await this.bindPrimary(category);
    return this.lastSeq;
  }

  /** Shard: one settle of the primary (shards.ts, Shard.receive). */
  async deliver(category: Category, shard: number, delivery: ShardDelivery): Promise<{ lastSeq: number }> {
    const role = await this.bind(category, shard);
    if (!(role instanceof Shard)) throw new Error(`room ${role.name} is not a shard`);
    return role.receive(delivery);
  }

  /**
   * Deploy-aware reconnect: every subscriber is sent `reconnect` with a jittered delay, then
   * closed with 1012; clients come back after that delay with their cursor. Returns how many.
   */
  async drain(category: Category, options: DrainOptions = {}, shard?: number): Promise<{ closed: number }> {
    const role = await this.bind(category, shard);
    const reason = options.reason ?? 'drain';
    let closed = drainAll(this.subscribers, reason, options.spreadMs, this.limits);
    log('info', 'room drained', { room: role.name, closed, reason });
    closed += await role.drainShards(options);
    return { closed };
  }

  /** Live connection count and last seq, for /api/stats. The primary of a sharded room adds up its shards. */
  async info(): Promise<RoomInfo> {
    const connections = this.subscribers.connections;
    const streams = this.subscribers.streamCount;
    const own: RoomInfo = { connections, lastSeq: this.lastSeq, sockets: connections - streams, streams };
    return this.role ? this.role.info(own) : own;
  }

  /**
   * The token limiter asks which of these connection leases are still held here (a release lost
   * with a crashed instance is found out this way; see worker/limiter/rate-limiter.ts).
   */
  async openConnections(ids: string[]): Promise<string[]> {
    return this.subscribers.openLeases(ids);
  }

  // ---------------------------------------------------------------------------------------------
  // The runtime's entry points

  override async fetch(request: Request): Promise<Response> {
    return connect(request, {
      subscribers: this.subscribers,
      socketHost: this.socketHost,
      streamHost: this.socketHost,
      roomConnectionsPerToken: () => getConfig(this.env).limits.roomConnectionsPerToken,
      bind: (target: RoomTarget) => this.bind(target.category, target.shard),
      lastSeq: () => this.lastSeq,
      release: (who) => this.release(who),
      accept: (ws) => this.ctx.acceptWebSocket(ws),
      welcomed: (s) => {
        if (!s.live) void this.catchUp.run(s);
        if (s.transport === 'sse')
          this.subscribers.keepHeartbeat(this.limits.sseHeartbeatMs, () => this.fanout.beat(this.lastSeq));
        this.presence.schedule();
        this.alarms.armStats();
        this.alarms.scheduleExpiry(s);
      },
    });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (ws.readyState !== WebSocket.OPEN) return;
    answerClientFrame(this.socketOf(ws), message, Date.now(), {
      limits: this.limits,
      subscribers: this.subscribers,
      room: this.role?.category,
    });
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.subscribers.forget(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? CLOSE.normal : code, 'closing');
    } catch {
      // the runtime may already have completed the close handshake
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.subscribers.forget(ws);
  }

  override async alarm(): Promise<void> {
    await this.alarms.fire();
  }

  // ---------------------------------------------------------------------------------------------
  // Where the parts meet

  /**
   * Synchronous (docs/rooms.md, rule 1): moves lastSeq, forwards the settle to the shards,
   * pushes the changes to live subscribers (or, after a write of unknown outcome, makes them
   * re-read), and wakes long-polls.
   */
  private settle(changes: Change[], upTo: number): void {
    const delivery: ShardDelivery = { after: this.lastSeq, upTo, changes, uncertain: this.uncertain };
    // In memory only: after a restart the room resumes from its reserved block's end (constructor).
    this.lastSeq = upTo;
    this.role?.forward(delivery);
    if (this.uncertain) {
      // Seqs between the old lastSeq and this batch may be in D1 without having been pushed:
      // nobody is pushed to directly; every live subscriber re-reads from its cursor.
      this.uncertain = false;
      this.recent.reset(upTo);
      for (const s of this.subscribers) {
        if (!s.live) continue;
        s.live = false;
        s.persist();
        void this.catchUp.run(s);
      }
    } else {
      this.recent.append(changes, upTo);
      this.fanout.queue(changes, upTo);
    }
    this.stats.rate.record(changes.length, Date.now());
    this.waiters.wake(upTo);
    this.alarms.armStats();
    // The category's rule runner reads the committed batch from D1 (docs/rules.md): one RPC per
    // batch, never awaited here. Only the primary: shards see the same changes again.
    if (changes.length > 0 && this.role instanceof Primary)
      this.ctx.waitUntil(nudgeRules(this.env, this.role.category));
  }

  private roleHost(): RoleHost {
    return {
      env: this.env,
      db: this.db,
      storage: this.ctx.storage,
      lastSeq: () => this.lastSeq,
      connections: () => this.subscribers.connections,
      settle: (changes, upTo) => this.settle(changes, upTo),
      markUncertain: () => {
        this.uncertain = true;
      },
      adoptBase: (seq) => {
        this.lastSeq = Math.max(this.lastSeq, seq);
        this.recent.reset(this.lastSeq);
      },
    };
  }

  /** Binds this object to its category and role on first use, and refuses any other role afterwards. */
  private async bind(category: Category, shard?: number): Promise<RoomRole> {
    if (this.role && (this.role.category !== category || this.role.shard !== shard)) {
      throw new Error(`room ${this.role.name} was asked to act as ${roleName(category, shard)}`);
    }
    if (!this.role) {
      this.role = chooseRole(category, shard, getConfig(this.env).roomShards, this.roleHost());
      await this.ctx.storage.put(shard === undefined ? { category } : { category, shard });
    }
    if (this.role instanceof Primary) await this.role.sequencer.ensureBase();
    return this.role;
  }

  private async bindPrimary(category: Category): Promise<Primary> {
    const role = await this.bind(category);
    if (!(role instanceof Primary)) throw new Error(`room ${role.name} is not a primary`);
    return role;
  }

  /** The subscriber of a socket, rebuilt from its attachment when missing (after a wake). */
  private socketOf(ws: WebSocket): SocketSubscriber {
    let s = this.subscribers.socketOf(ws);
    if (!s) {
      const now = Date.now();
      s = new SocketSubscriber(
        ws,
        restoredState(ws.deserializeAttachment() as SubscriberState | null, this.lastSeq, now),
        this.socketHost,
        now,
      );
      this.subscribers.addSocket(s);
      if (!s.live) void this.catchUp.run(s);
    }
    return s;
  }

  /** Gives a connection's lease back to its token's limiter (once: the lease id is cleared). */
  private release(who: { user: string; conn?: string | undefined }): void {
    if (who.conn === undefined) return;
    const id = who.conn;
    who.conn = undefined;
    this.ctx.waitUntil(releaseConnection(this.env, who.user, id));
  }
}
