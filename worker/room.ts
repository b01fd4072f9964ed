/**
 * The category room: one Durable Object per category, the sequencer and fan-out of its events.
 *
 * Ordering (why a client can never miss an event by resuming from a seq it saw; docs/rooms.md
 * has the long form):
 *  - Every write of a room goes through this object's single writer loop (`writeLoop`). The loop
 *    takes everything queued, assigns the next seqs, stores the batch in D1 in one transaction,
 *    and only then — synchronously, with no await in between — advances `lastSeq` and sends
 *    the batch to the live subscribers. One batch is in flight at a time, so batches are stored
 *    and pushed in seq order, whatever order the ingest requests arrived in.
 *  - A subscriber that resumes (`after`) is "catching up": it reads pages of `(cursor, lastSeq]`
 *    from D1 (or from the in-memory `RecentChanges` once its cursor is inside it) and is switched
 *    to live in the same synchronous step that sees it has caught up. Every change with
 *    seq <= lastSeq was stored before lastSeq moved, so the pages covered it; every later one is
 *    pushed live. Each subscriber keeps the highest seq it has been given (`cursor`) and is never
 *    sent a change at or below it: no gap, no duplicate.
 *  - A write whose outcome is unknown (D1 threw) may have committed rows that were never pushed.
 *    The next advance then does not push at all: it turns every live subscriber back into a
 *    catching-up one, which reads the uncertain range from D1.
 *  - Hibernation only happens while the room is idle, when every live socket's cursor equals
 *    `lastSeq`; so after a wake a live socket's cursor is rebuilt as `lastSeq` (catching-up
 *    sockets keep their cursor in the attachment and resume catching up).
 *  - Seqs are reserved in this object's storage a block at a time, before any seq of the block
 *    is written, so a restart never hands out a seq twice: a new instance settles the whole
 *    reserved block and continues after it (gaps, which resume tolerates). `lastSeq` itself lives
 *    in memory: no storage write per batch, so no output gate holds a batch's pushes.
 *
 * Transports: hibernating WebSockets (state in attachments) and Server-Sent Events (in-memory
 * stream writers; an open SSE stream keeps the room awake). Both are `Subscriber`s and share
 * the broadcast, catch-up and slow-consumer paths.
 *
 * Tokens end (docs/rooms.md, "Token expiry"): each subscriber keeps its token's `exp` (in the
 * attachment, so it survives hibernation). The object's one alarm is the durable timer of both
 * the stats and the expiries: it is set to the earliest of the stats time (`statsAt` in storage)
 * and the earliest `exp`, and each firing does what is due and sets the next. A subscriber whose
 * `exp` passed gets `error` `token_expired` and close 4401 (SSE: `event: error`, then the end).
 *
 * One client cannot tie a room up: connections per token are capped here (per room) and by the
 * token's limiter (across rooms; the room gives the lease back when a connection ends), replay
 * reads are shared per token (`ReplaySlots`), and an `ack` counts only for seqs the socket was
 * sent (`SentLedger`).
 *
 * Sharding (ROOM_SHARDS = N > 1; docs/rooms.md, "Sharded rooms"): the object named by the
 * category stays the only sequencer and writer (the *primary*); after each settle it forwards the
 * batch to N *shards* (`<Category>#1`…`#N`, this same class, bound as a shard through the call
 * that first reaches them). A shard never writes D1: it runs each delivery through the same
 * advance/broadcast path, so its subscribers get the same guarantees. A delivery that does not
 * continue the shard's `lastSeq` (a lost delivery, a restarted shard) is handled like a write of
 * unknown outcome: live subscribers re-read from their cursor in D1.
 */
import { DurableObject } from 'cloudflare:workers';
import { SEVERITIES, isCategory, topicForCategory, type Category, type Severity } from '../protocol/enums.ts';
import type { Change, NewEvent } from '../protocol/event.ts';
import {
  CLOSE,
  MAX_CLIENT_FRAME_BYTES,
  ROOM_SUBPROTOCOL,
  changeMatches,
  parseCursor,
  parseSeverityList,
  type ReconnectReason,
  type ServerMessage,
} from '../protocol/room.ts';
import { ClientMessageSchema } from '../protocol/schemas/room.ts';
import { createDb, type Db } from './db/client.ts';
import { getConfig, MAX_ROOM_SHARDS } from './config.ts';
import { changesAfter, insertNewEvents, maxSeq, replaceEvent, toInsertRow, type OutboxEntry } from './db/events.ts';
import { errorFields, log } from './log.ts';
import { releaseConnection } from './limits/connections.ts';
import { CONNECTION_RETRY_SECONDS, refusalResponse } from './limits/refusal.ts';
import { RecentChanges } from './recent-changes.ts';
import { framesOf, takeDelivery, type Frame } from './room-frames.ts';
import { SentLedger } from './room-ledger.ts';
import { ReplaySlots } from './room-replay-slots.ts';
import { DEFAULT_ROOM_LIMITS, type RoomLimits } from './room-limits.ts';
import type { ChangeRequest, ChangeResult, CommitOptions, CommitResult, DrainOptions, RoomInfo, ShardDelivery } from './room-rpc.ts';

export { DEFAULT_ROOM_LIMITS, type RoomLimits } from './room-limits.ts';
export type { ChangeRequest, ChangeResult, CommitOptions, CommitResult, DrainOptions, RoomInfo, ShardDelivery } from './room-rpc.ts';

/** Seqs reserved in storage at a time (see Room.reservedEnd). */
const SEQ_RESERVE_BLOCK = 10_000;
/** Most events one writer pass stores in one D1 transaction. */
const MAX_WRITE_EVENTS = 2000;
/** Presence updates are coalesced over this window. */
const PRESENCE_COALESCE_MS = 250;
/** Stats go out this often while the room is active; an idle room sends none and may sleep. */
const STATS_INTERVAL_MS = 30_000;
/** What an SSE client waits before reconnecting on its own (the `retry:` field). */
const SSE_RETRY_MS = 2_000;
/** Most changes a primary sends a shard in one delivery (a backlog is merged up to this). */
const MAX_DELIVERY_CHANGES = MAX_WRITE_EVENTS;
/** Changes a primary holds for one slow shard; beyond this it drops them and sends an uncertain delivery. */
const MAX_SHARD_BACKLOG = 10 * MAX_WRITE_EVENTS;
/** A failed delivery is retried this many times, after these pauses (ms); then the shard's next delivery shows the gap. */
const SHARD_RETRY_MS = [100, 500, 2_000] as const;
/**
 * The alarm is never set further ahead than this for an expiry: a token signed with an `exp` far
 * in the future (year 275760, 1e300) must not reach setAlarm as an impossible date. A firing
 * with nothing due simply sets the next one.
 */
const MAX_ALARM_AHEAD_MS = 24 * 60 * 60 * 1000;

/** A primary's queue of deliveries for one shard, sent in order by one pump. */
type ShardOutlet = { queue: ShardDelivery[]; queued: number; sending: boolean; failures: number };

/**
 * What a socket's attachment holds (survives hibernation). `exp`: the token's expiry (seconds
 * since epoch), if it has one; `conn`: the token limiter's lease of this connection.
 */
type Attachment = { severities: Severity[] | null; live: boolean; cursor: number; user: string; connectedAt: number; exp?: number; conn?: string };

/** Who a new subscriber is: its token's `sub`, `exp` and connection lease (from the Worker's headers). */
type Identity = { user: string; exp: number | undefined; conn: string | undefined };

type Transport =
  | { kind: 'ws'; ws: WebSocket }
  | { kind: 'sse'; writer: WritableStreamDefaultWriter<Uint8Array>; closed: boolean };

/** One subscriber of the room, in memory. WebSocket ones are rebuilt from attachments after a wake. */
type Subscriber = Attachment & {
  transport: Transport;
  /** SSE: bytes written and not yet read by the runtime. (WebSockets count in `ledger`.) */
  unacked: number;
  /** WebSocket: what was sent and not acknowledged, by seq. */
  ledger: SentLedger;
  /** WebSocket: when the latest ack/ping was seen (ms). */
  evidenceAt: number;
  /** A catch-up loop is running for this subscriber. */
  catchingUp: boolean;
  /** Client frames in the current rate window. */
  frames: number;
  windowStart: number;
};

type PendingInsert = { kind: 'insert'; events: NewEvent[]; outbox: boolean; resolve: (r: CommitResult[]) => void; reject: (e: unknown) => void };
type PendingChange = { kind: 'change'; request: ChangeRequest; resolve: (r: ChangeResult) => void; reject: (e: unknown) => void };
type Pending = PendingInsert | PendingChange;

const utf8 = new TextEncoder();

export class Room extends DurableObject<Env> {
  readonly limits: RoomLimits = { ...DEFAULT_ROOM_LIMITS };
  private readonly db: Db;
  private category: Category | undefined;
  /** Set when this object is a fan-out shard of `category` (1-based); undefined for the primary. */
  private shard: number | undefined;
  /** Primary of a sharded room: one ordered delivery queue per shard. */
  private readonly outlets = new Map<number, ShardOutlet>();
  /** Shard: the baseline request to the primary in flight (shared by concurrent connects). */
  private baseline: Promise<void> | undefined;
  /** Highest seq settled: stored and pushed (or known never to be stored). */
  private lastSeq = 0;
  /** Highest seq handed out (>= lastSeq). */
  private reserved = 0;
  /**
   * End of the seq block reserved in storage (>= reserved). Seqs are reserved a block at a time so
   * a batch costs no storage write (each write would hold the batch's pushes behind an output
   * gate); a restart continues after the block, leaving a gap that resume tolerates.
   */
  private reservedEnd = 0;
  /** True once `reserved` has been reconciled with D1 (first use, or after a storage reset). */
  private seqBaseKnown = false;
  /** A write failed after D1 may have committed it: the next advance must not push directly. */
  private uncertain = false;
  private readonly sockets = new Map<WebSocket, Subscriber>();
  private readonly streams = new Set<Subscriber>();
  private recent: RecentChanges;
  private queue: Pending[] = [];
  private writing = false;
  private presenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settled changes waiting for the next frame (queueBroadcast). */
  private pendingChanges: Change[] = [];
  private pendingUpTo = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFlushAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private heartbeatMs = 0;
  private statsArmed = false;
  private lastStats = { seq: -1, connections: -1 };
  /** Per-advance [time, count] of stored changes, for `eventsLastMinute`. */
  private rate: [number, number][] = [];
  /** Replay reads from D1, shared per token (public for tests, like `limits`). */
  readonly replay = new ReplaySlots(() => ({ total: this.limits.maxConcurrentReplays, perHolder: this.limits.replaySlotsPerToken }));
  private readonly waiters = new Set<{ after: number; resolve: (seq: number) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = createDb(env.DB);
    this.recent = new RecentChanges(this.limits.recentChanges, 0);
    // Rebuild everything from storage and the sockets' attachments: this runs after every wake.
    ctx.blockConcurrencyWhile(async () => {
      const [category, shard, lastSeq, reserved] = await Promise.all([
        ctx.storage.get<Category>('category'),
        ctx.storage.get<number>('shard'),
        ctx.storage.get<number>('lastSeq'),
        ctx.storage.get<number>('reserved'),
      ]);
      this.category = category;
      this.shard = shard;
      // Seqs reserved by an instance that died mid-write are settled now: stored or never will be.
      // Catch-ups read them from D1; live subscribers of that instance were disconnected with it.
      this.lastSeq = Math.max(lastSeq ?? 0, reserved ?? 0);
      this.reserved = this.lastSeq;
      this.reservedEnd = this.lastSeq;
      // A shard re-learns its baseline once per instance (from its first delivery, or from the
      // primary on its first connect): deliveries may have been lost while it was gone.
      this.seqBaseKnown = shard === undefined && this.reserved > 0;
      this.recent = new RecentChanges(this.limits.recentChanges, this.lastSeq);
      for (const ws of ctx.getWebSockets()) if (ws.readyState === WebSocket.OPEN) this.socket(ws);
    });
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  /** Stores the events that are new by id, gives them seqs and pushes them. One call per batch. */
  async commit(category: Category, events: NewEvent[], options: CommitOptions = {}): Promise<CommitResult[]> {
    await this.bind(category);
    if (events.length === 0) return [];
    return new Promise<CommitResult[]>((resolve, reject) => this.enqueue({ kind: 'insert', events, outbox: options.outbox ?? false, resolve, reject }));
  }

  /** Applies a workflow change or delete: the event takes the next seq and is pushed again. */
  async change(category: Category, request: ChangeRequest): Promise<ChangeResult> {
    await this.bind(category);
    return new Promise<ChangeResult>((resolve, reject) => this.enqueue({ kind: 'change', request, resolve, reject }));
  }

  /**
   * Long-poll support: resolves with the room's last seq as soon as it is above `after`, or
   * after `timeoutMs` (whichever comes first).
   */
  async waitForChange(category: Category, after: number, timeoutMs: number): Promise<number> {
    await this.bind(category);
    if (this.lastSeq > after) return this.lastSeq;
    return new Promise<number>((resolve) => {
      const waiter = { after, resolve, timer: setTimeout(() => finish(), Math.max(0, Math.min(timeoutMs, 30_000))) };
      const finish = () => {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        resolve(this.lastSeq);
      };
      waiter.resolve = finish;
      this.waiters.add(waiter);
    });
  }

  private enqueue(item: Pending): void {
    this.queue.push(item);
    if (!this.writing) void this.writeLoop();
  }

  /**
   * The single writer: group-commits consecutive inserts (everything that queued while the
   * previous write was in flight), applies changes one by one, in arrival order.
   */
  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'change') {
          this.queue.shift();
          try {
            head.resolve(await this.writeChange(head.request));
          } catch (err) {
            this.uncertain = true;
            log('error', 'room change failed', { room: this.category, id: head.request.id, ...errorFields(err) });
            head.reject(err);
          }
          continue;
        }
        const group: PendingInsert[] = [];
        let count = 0;
        while (this.queue.length > 0) {
          const next = this.queue[0]!;
          if (next.kind !== 'insert' || (group.length > 0 && count + next.events.length > MAX_WRITE_EVENTS)) break;
          this.queue.shift();
          group.push(next);
          count += next.events.length;
        }
        try {
          const results = await this.write(group);
          let at = 0;
          for (const p of group) {
            p.resolve(results.slice(at, at + p.events.length));
            at += p.events.length;
          }
        } catch (err) {
          this.uncertain = true;
          log('error', 'room write failed', { room: this.category, events: count, ...errorFields(err) });
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Hands out `count` seqs, never twice even across restarts (see reservedEnd); returns the first. */
  private async reserve(count: number): Promise<number> {
    await this.ensureSeqBase();
    const first = this.reserved + 1;
    this.reserved = first + count - 1;
    if (this.reserved > this.reservedEnd) {
      this.reservedEnd = this.reserved + SEQ_RESERVE_BLOCK;
      await this.ctx.storage.put('reserved', this.reservedEnd);
    }
    return first;
  }

  private async write(group: PendingInsert[]): Promise<CommitResult[]> {
    const events = group.flatMap((p) => p.events);
    const first = await this.reserve(events.length);
    const rows = events.map((e, i) => toInsertRow(e, first + i));
    const outbox: OutboxEntry[] = [];
    let at = 0;
    for (const p of group) {
      if (p.outbox) for (let i = 0; i < p.events.length; i++) outbox.push({ id: rows[at + i]!.id, seq: rows[at + i]!.seq, topic: topicForCategory(p.events[i]!.category) });
      at += p.events.length;
    }
    const last = first + events.length - 1;
    const started = Date.now();
    const inserted = await insertNewEvents(this.db, rows, outbox);
    // From here to the end of this function there is no await: store order = push order.
    const stored: Change[] = [];
    const results: CommitResult[] = rows.map((row, i) => {
      if (inserted.get(row.id) === row.seq) {
        stored.push({ ...events[i]!, seq: row.seq });
        return { id: row.id, status: 'stored', seq: row.seq };
      }
      return { id: row.id, status: 'duplicate' };
    });
    this.advance(stored, last);
    log('info', 'room batch', { room: this.category, events: events.length, stored: stored.length, lastSeq: last, writeMs: Date.now() - started });
    return results;
  }

  private async writeChange(request: ChangeRequest): Promise<ChangeResult> {
    const seq = await this.reserve(1);
    const row = toInsertRow(request.next, seq);
    const ok = await replaceEvent(this.db, { id: request.id, expectedSeq: request.expectedSeq, row, deleted: request.deleted, history: request.history });
    if (!ok) {
      this.advance([], seq); // the reserved seq is skipped, never reused
      return { status: 'conflict' };
    }
    const change: Change = request.deleted ? { id: request.id, seq, category: request.next.category, deleted: true } : { ...request.next, seq };
    this.advance([change], seq);
    log('info', 'room change', { room: this.category, id: request.id, action: request.history.action, seq });
    return { status: 'changed', seq, change };
  }

  /** Synchronous: moves lastSeq, pushes the changes (and forwards them to the shards), wakes long-polls. */
  private advance(changes: Change[], upTo: number): void {
    const delivery: ShardDelivery = { after: this.lastSeq, upTo, changes, uncertain: this.uncertain };
    // In memory only: after a restart the room resumes from its reserved block's end (constructor).
    this.lastSeq = upTo;
    if (this.forwarding()) this.forward(delivery);
    if (this.uncertain) {
      // Seqs between the old lastSeq and this batch may be in D1 without having been pushed:
      // nobody is pushed to directly; every live subscriber re-reads from its cursor.
      this.uncertain = false;
      this.recent.reset(upTo);
      for (const s of this.subscribers()) {
        if (!s.live) continue;
        s.live = false;
        this.persist(s);
        void this.catchUp(s);
      }
    } else {
      this.recent.append(changes, upTo);
      this.queueBroadcast(changes, upTo);
    }
    if (changes.length > 0) this.rate.push([Date.now(), changes.length]);
    if (this.rate.length > 10_000) this.rate.splice(0, this.rate.length - 10_000);
    for (const w of [...this.waiters]) if (upTo > w.after) w.resolve(upTo);
    this.armStats();
  }

  /** Learns the room's highest seq from D1 when storage does not know it (first use, storage reset). */
  private async ensureSeqBase(): Promise<void> {
    if (this.seqBaseKnown || !this.category) return;
    const stored = await maxSeq(this.db, this.category);
    this.seqBaseKnown = true;
    if (stored > this.reserved) {
      this.reserved = stored;
      this.reservedEnd = Math.max(this.reservedEnd, stored);
      this.lastSeq = Math.max(this.lastSeq, stored);
      this.recent.reset(this.lastSeq);
    }
  }

  /**
   * Binds this object to its category and role on first use (the primary: `shard` undefined; a
   * fan-out shard: its 1-based index), and refuses any other role afterwards.
   */
  private async bind(category: Category, shard?: number): Promise<void> {
    if (this.category && (this.category !== category || this.shard !== shard)) {
      throw new Error(`room ${roleName(this.category, this.shard)} was asked to act as ${roleName(category, shard)}`);
    }
    if (!this.category) {
      if (!isCategory(category)) throw new Error(`unknown category ${String(category)}`);
      if (shard !== undefined && !validShard(shard)) throw new Error(`bad shard index ${String(shard)}`);
      this.category = category;
      this.shard = shard;
      await this.ctx.storage.put(shard === undefined ? { category } : { category, shard });
    }
    if (this.shard === undefined && !this.seqBaseKnown) await this.ensureSeqBase();
  }

  // ---------------------------------------------------------------------------------------------
  // Sharding: the primary forwards, the shards receive

  /** True for the primary of a sharded category (ROOM_SHARDS > 1). */
  private forwarding(): boolean {
    return this.shard === undefined && this.category !== undefined && getConfig(this.env).roomShards > 1;
  }

  private shardCount(): number {
    return getConfig(this.env).roomShards;
  }

  private shardStub(shard: number): DurableObjectStub<Room> {
    return roomShardStub(this.env, this.category!, shard);
  }

  /** Queues one settle for every shard; never blocks the writer (each shard has its own pump). */
  private forward(delivery: ShardDelivery): void {
    for (let k = 1; k <= this.shardCount(); k++) {
      let o = this.outlets.get(k);
      if (!o) this.outlets.set(k, (o = { queue: [], queued: 0, sending: false, failures: 0 }));
      o.queue.push(delivery);
      o.queued += delivery.changes.length;
      if (o.queued > MAX_SHARD_BACKLOG) {
        // A shard this far behind is better served from D1 than from our memory.
        const first = o.queue[0]!;
        o.queue = [{ after: first.after, upTo: delivery.upTo, changes: [], uncertain: true }];
        o.queued = 0;
        log('warn', 'room shard backlog dropped; its subscribers re-read from D1', { room: this.category, shard: k, upTo: delivery.upTo });
      }
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
          await this.shardStub(shard).deliver(this.category!, shard, delivery);
          o.failures = 0;
        } catch (err) {
          const pause = SHARD_RETRY_MS[o.failures++];
          log('warn', 'room shard delivery failed', { room: this.category, shard, upTo: delivery.upTo, retry: pause !== undefined, ...errorFields(err) });
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

  /**
   * Shard: one settle of the primary. Idempotent (a retried or stale delivery is ignored, an
   * overlapping one pushes only what is new); a delivery that does not continue `lastSeq` is a
   * gap: nothing is pushed directly and live subscribers re-read from their cursor in D1.
   */
  async deliver(category: Category, shard: number, delivery: ShardDelivery): Promise<{ lastSeq: number }> {
    await this.bind(category, shard);
    if (delivery.upTo > this.lastSeq) {
      const gap = delivery.uncertain || delivery.after > this.lastSeq;
      if (gap) {
        const subscribers = this.connectionCount();
        log(this.seqBaseKnown && subscribers > 0 ? 'warn' : 'debug', 'room shard gap; live subscribers re-read from D1', {
          room: roleName(category, shard),
          lastSeq: this.lastSeq,
          after: delivery.after,
          upTo: delivery.upTo,
          uncertain: delivery.uncertain,
          subscribers,
        });
        this.uncertain = true;
        this.advance(delivery.changes, delivery.upTo);
      } else {
        const from = this.lastSeq;
        this.advance(delivery.changes.filter((c) => c.seq > from), delivery.upTo);
      }
    }
    this.seqBaseKnown = true;
    return { lastSeq: this.lastSeq };
  }

  /** Primary: the highest settled seq (a shard's baseline). */
  async settledSeq(category: Category): Promise<number> {
    await this.bind(category);
    return this.lastSeq;
  }

  /**
   * Shard: catches up with the primary's settled seq (first connect of an instance, or a client
   * whose cursor is ahead of us). A jump is a gap: live subscribers re-read from D1.
   */
  private syncBaseline(category: Category): Promise<void> {
    this.baseline ??= (async () => {
      try {
        let settled: number;
        try {
          settled = await roomStub(this.env, category).settledSeq(category);
        } catch (err) {
          // The primary is unreachable: D1's highest stored seq is settled too (one writer, atomic batches).
          log('warn', 'room shard baseline from D1; primary unreachable', { room: roleName(category, this.shard), ...errorFields(err) });
          settled = await maxSeq(this.db, category);
        }
        this.seqBaseKnown = true;
        if (settled > this.lastSeq) {
          this.uncertain = true;
          this.advance([], settled);
        }
      } finally {
        this.baseline = undefined;
      }
    })();
    return this.baseline;
  }

  // ---------------------------------------------------------------------------------------------
  // Fan-out

  private *subscribers(): Iterable<Subscriber> {
    yield* this.sockets.values();
    yield* this.streams;
  }

  /**
   * Coalesces settled changes into frames (see RoomLimits.frameCoalesceMs). Safe for ordering:
   * every subscriber's cursor filters what it is sent, so a subscriber that went live between a
   * settle and its flush (its catch-up already covered those seqs) gets nothing twice.
   */
  private queueBroadcast(changes: Change[], upTo: number): void {
    for (const c of changes) this.pendingChanges.push(c);
    this.pendingUpTo = upTo;
    if (this.flushTimer !== undefined) return;
    const wait = this.lastFlushAt + this.limits.frameCoalesceMs - Date.now();
    if (wait <= 0) {
      this.flushBroadcast();
      return;
    }
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushBroadcast();
    }, wait);
  }

  private flushBroadcast(): void {
    const changes = this.pendingChanges;
    this.pendingChanges = [];
    this.lastFlushAt = Date.now();
    this.broadcast(changes, this.pendingUpTo);
  }

  /** Pushes stored changes (seq order) to every live subscriber whose filter matches. Never throws. */
  private broadcast(changes: Change[], upTo: number): void {
    const first = changes[0]?.seq ?? upTo + 1;
    const byFilter = new Map<string, Frame[]>();
    for (const s of [...this.subscribers()]) {
      if (!s.live) continue;
      let frames: Frame[];
      if (s.cursor < first) {
        // The common case: one serialization per distinct filter, shared by every subscriber.
        const key = s.severities ? s.severities.join(',') : '*';
        let cached = byFilter.get(key);
        if (!cached) byFilter.set(key, (cached = framesOf(changes.filter((c) => changeMatches(c, s.severities)), this.limits.maxFrameBytes)));
        frames = cached;
      } else {
        frames = framesOf(changes.filter((c) => c.seq > s.cursor && changeMatches(c, s.severities)), this.limits.maxFrameBytes);
      }
      s.cursor = Math.max(s.cursor, upTo);
      this.sendFrames(s, frames);
    }
  }

  /** Sends `events` frames to one subscriber and applies the slow-consumer bound. False when it was dropped. */
  private sendFrames(s: Subscriber, frames: Frame[]): boolean {
    for (const f of frames) {
      if (!this.sendRaw(s, f.json, f.lastSeq)) return false;
    }
    if (frames.length > 0 && this.outstanding(s, this.limits.maxUnackedBytes) > this.limits.maxUnackedBytes) {
      this.shed(s, 'slow_consumer', CLOSE.tryAgainLater);
      return false;
    }
    return true;
  }

  /** A guarded send: a failing subscriber is dropped, never the broadcast. */
  private sendRaw(s: Subscriber, json: string, id?: number): boolean {
    const t = s.transport;
    if (t.kind === 'ws') {
      try {
        t.ws.send(json);
        s.ledger.sent(json.length, id);
        return true;
      } catch (err) {
        log('warn', 'room send failed; closing socket', { room: this.category, ...errorFields(err) });
        this.drop(s, CLOSE.internal, 'send failed; reconnect with your cursor');
        return false;
      }
    }
    if (t.closed) return false;
    const bytes = utf8.encode(`${id === undefined ? '' : `id: ${id}\n`}data: ${json}\n\n`);
    return this.writeSse(s, bytes);
  }

  private send(s: Subscriber, message: ServerMessage): boolean {
    return this.sendRaw(s, JSON.stringify(message));
  }

  private writeSse(s: Subscriber, bytes: Uint8Array): boolean {
    const t = s.transport;
    if (t.kind !== 'sse' || t.closed) return false;
    s.unacked += bytes.byteLength;
    t.writer.write(bytes).then(
      () => {
        s.unacked -= bytes.byteLength;
      },
      () => this.drop(s, CLOSE.goingAway, 'stream closed'),
    );
    return true;
  }

  /** Bytes the subscriber has not shown it has read (see RoomLimits.maxUnackedBytes). */
  private outstanding(s: Subscriber, limit = 0): number {
    if (s.transport.kind !== 'ws') return s.unacked;
    // The auto-response timestamp is a runtime call per socket: only consult it when it could matter.
    if (s.ledger.unacked > limit) {
      // A `ping` answered by the auto-response never wakes us; its timestamp is our evidence.
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(s.transport.ws)?.getTime() ?? 0;
      if (pinged > s.evidenceAt) {
        s.evidenceAt = pinged;
        s.ledger.clear();
      }
    }
    return s.ledger.unacked;
  }

  /** Asks a subscriber to come back later with its cursor, then closes it. */
  private shed(s: Subscriber, reason: ReconnectReason, code: number): void {
    const afterMs = this.limits.reconnectMinMs + Math.floor(Math.random() * this.limits.reconnectSpreadMs);
    const message = { type: 'reconnect', afterMs, reason } satisfies ServerMessage;
    if (s.transport.kind === 'sse') this.writeSse(s, utf8.encode(`retry: ${afterMs}\ndata: ${JSON.stringify(message)}\n\n`));
    else this.send(s, message);
    log('info', 'room shed subscriber', { room: this.category, reason, transport: s.transport.kind, user: s.user, cursor: s.cursor });
    this.drop(s, code, reason);
  }

  private drop(s: Subscriber, code: number, reason: string): void {
    const t = s.transport;
    if (t.kind === 'ws') {
      if (!this.sockets.delete(t.ws)) return;
      this.releaseLease(s);
      try {
        t.ws.close(code, reason);
      } catch {
        // already closing or closed: nothing left to do for this socket
      }
    } else {
      if (t.closed) return;
      t.closed = true;
      this.streams.delete(s);
      this.releaseLease(s);
      t.writer.close().catch(() => {
        // the reader is gone already: the stream is finished either way
      });
      if (this.streams.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
      }
    }
    this.schedulePresence();
  }

  private isOpen(s: Subscriber): boolean {
    return s.transport.kind === 'ws' ? this.sockets.get(s.transport.ws) === s && s.transport.ws.readyState === WebSocket.OPEN : !s.transport.closed;
  }

  private persist(s: Subscriber): void {
    if (s.transport.kind !== 'ws') return;
    try {
      s.transport.ws.serializeAttachment(attachmentOf(s));
    } catch (err) {
      // only fails for a socket that is already closing; its state no longer matters
      log('debug', 'room attachment not saved', { room: this.category, ...errorFields(err) });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Catch-up (resume from a cursor)

  /** Replays `(cursor, lastSeq]` (from memory or D1, page by page), then switches the subscriber to live. */
  private async catchUp(s: Subscriber): Promise<void> {
    if (s.catchingUp) return;
    s.catchingUp = true;
    const category = this.category!;
    try {
      for (;;) {
        if (!this.isOpen(s)) return;
        if (this.recent.covers(s.cursor)) {
          // Synchronous from here: nothing can be stored and pushed between the read and the switch.
          const tail = this.recent.after(s.cursor, s.severities);
          s.cursor = this.lastSeq;
          s.live = true;
          this.persist(s);
          this.sendFrames(s, framesOf(tail, this.limits.maxFrameBytes));
          return;
        }
        if (!(await this.awaitWindow(s))) return;
        const upTo = this.lastSeq;
        const severities = s.severities;
        const from = s.cursor;
        const limit = this.limits.replayPageEvents;
        const page = await this.replay.run(s.user, () => changesAfter(this.db, { category, after: from, upTo, severities: severities ?? undefined, limit }));
        if (!this.isOpen(s)) return;
        if (s.severities !== severities || s.cursor !== from) continue; // the filter changed meanwhile: read again
        s.cursor = page.length === limit ? page[page.length - 1]!.seq : upTo;
        this.persist(s);
        if (page.length > 0 && !this.sendFrames(s, framesOf(page, this.limits.maxFrameBytes))) return;
      }
    } catch (err) {
      log('error', 'room replay failed', { room: category, cursor: s.cursor, ...errorFields(err) });
      this.send(s, { type: 'error', code: 'replay_failed', message: 'could not read the room history; reconnect with your cursor' });
      this.drop(s, CLOSE.tryAgainLater, 'replay failed');
    } finally {
      s.catchingUp = false;
    }
  }

  /** Waits until the subscriber's unread bytes are under the replay window; sheds it if that takes too long. */
  private async awaitWindow(s: Subscriber): Promise<boolean> {
    const deadline = Date.now() + this.limits.replayStallMs;
    while (this.outstanding(s) > this.limits.replayWindowBytes) {
      if (!this.isOpen(s)) return false;
      if (Date.now() >= deadline) {
        this.shed(s, 'slow_consumer', CLOSE.tryAgainLater);
        return false;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.isOpen(s);
  }

  // ---------------------------------------------------------------------------------------------
  // Connections

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const category = url.searchParams.get('room');
    if (!category || !isCategory(category)) return new Response('unknown room', { status: 404 });
    const shardParam = url.searchParams.get('shard');
    const shard = shardParam === null ? undefined : Number(shardParam);
    if (shard !== undefined && !validShard(shard)) return new Response('unknown shard', { status: 404 });
    await this.bind(category, shard);

    const severities = parseSeverityList(url.searchParams.get('severity'));
    const after = parseCursor(url.searchParams.get('after'));
    // A shard that has not heard from the primary in this instance, or that is behind the
    // client's cursor (it saw more on another shard), asks the primary before it says hello.
    if (this.shard !== undefined && (!this.seqBaseKnown || (after != null && after > this.lastSeq))) await this.syncBaseline(category);
    const shardHeader: Record<string, string> = this.shard === undefined ? {} : { 'x-quaycast-shard': String(this.shard) };
    const repeated = ['severity', 'after'].find((name) => url.searchParams.getAll(name).length > 1);
    const badRequest = repeated
      ? `${repeated} may be given once`
      : severities === null
        ? `severity must be a comma-separated list of ${SEVERITIES.join(', ')}`
        : after === null
          ? 'after must be a non-negative integer seq (at most 15 digits)'
          : undefined;
    const who = identityOf(request);
    const browser = request.headers.get('x-qc-subprotocol') !== null;
    const sse = url.pathname.endsWith('/sse');
    if (!sse && request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      this.releaseLease(who);
      return new Response('expected a WebSocket upgrade', { status: 426 });
    }
    // The per-room cap of one token, counted and taken in this one synchronous step.
    const cap = getConfig(this.env).limits.roomConnectionsPerToken;
    const full = !badRequest && this.connectionsOf(who.user) >= cap;
    if (full) {
      this.releaseLease(who);
      log('info', 'room refused a connection over the per-token cap', { room: roleName(category, this.shard), user: who.user, cap });
    }
    const capMessage = `this token has ${cap} connections open in room ${category} (at most ${cap}); close one or retry in ${CONNECTION_RETRY_SECONDS} s`;
    if (sse) {
      if (badRequest) {
        this.releaseLease(who);
        return Response.json({ error: { code: 'invalid_request', message: badRequest } }, { status: 400 });
      }
      if (full) return refusalResponse('room_connections', capMessage, CONNECTION_RETRY_SECONDS);
      return this.openStream(category, severities ?? null, after ?? undefined, who, shardHeader);
    }
    // A program reads a refused upgrade's body; a browser cannot, so it is told inside the socket.
    if (full && !browser) return refusalResponse('room_connections', capMessage, CONNECTION_RETRY_SECONDS);

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const headers = browser ? { 'sec-websocket-protocol': ROOM_SUBPROTOCOL, ...shardHeader } : shardHeader;
    if (badRequest || full) {
      this.releaseLease(who);
      const message: ServerMessage = badRequest
        ? { type: 'error', code: 'bad_request', message: badRequest }
        : { type: 'error', code: 'rate_limited', message: capMessage, details: { limit: 'room_connections', retryAfterSeconds: CONNECTION_RETRY_SECONDS } };
      server.send(JSON.stringify(message));
      server.close(badRequest ? CLOSE.policy : CLOSE.rateLimited, badRequest ? 'bad request' : 'too many connections');
      return new Response(null, { status: 101, webSocket: client, headers });
    }
    // Synchronous from here to the hello: the cursor and the hello's lastSeq are the same instant.
    const s = this.subscriber({ kind: 'ws', ws: server }, severities ?? null, after ?? undefined, who);
    this.sockets.set(server, s);
    this.persist(s);
    this.send(s, { type: 'hello', room: category, connections: this.connectionCount(), lastSeq: this.lastSeq });
    if (!s.live) void this.catchUp(s);
    this.schedulePresence();
    this.armStats();
    this.scheduleExpiry(s);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** Open connections (WebSockets and SSE streams) of one token in this object. */
  private connectionsOf(user: string): number {
    let n = 0;
    for (const s of this.subscribers()) if (s.user === user && this.isOpen(s)) n++;
    return n;
  }

  /**
   * The token limiter asks which of these connection leases are still held here (a release lost
   * with a crashed instance is found out this way; see worker/ratelimit.ts).
   */
  async openConnections(ids: string[]): Promise<string[]> {
    const wanted = new Set(ids);
    const open: string[] = [];
    for (const s of this.subscribers()) if (s.conn !== undefined && wanted.has(s.conn) && this.isOpen(s)) open.push(s.conn);
    return open;
  }

  /** Gives a connection's lease back to its token's limiter (once: the lease id is cleared). */
  private releaseLease(who: { user: string; conn?: string | undefined }): void {
    if (who.conn === undefined) return;
    const id = who.conn;
    who.conn = undefined;
    this.ctx.waitUntil(releaseConnection(this.env, who.user, id));
  }

  /** Server-Sent Events: the same messages as the socket, `id:` = seq of the frame's last change. */
  private openStream(category: Category, severities: Severity[] | null, after: number | undefined, who: Identity, extraHeaders: Record<string, string>): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const s = this.subscriber({ kind: 'sse', writer: writable.getWriter(), closed: false }, severities, after, who);
    this.streams.add(s);
    this.writeSse(s, utf8.encode(`retry: ${SSE_RETRY_MS}\n\n`));
    this.send(s, { type: 'hello', room: category, connections: this.connectionCount(), lastSeq: this.lastSeq });
    if (!s.live) void this.catchUp(s);
    if (this.heartbeat && this.heartbeatMs !== this.limits.sseHeartbeatMs) clearInterval(this.heartbeat);
    if (!this.heartbeat || this.heartbeatMs !== this.limits.sseHeartbeatMs) {
      this.heartbeatMs = this.limits.sseHeartbeatMs;
      this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    }
    this.schedulePresence();
    this.armStats();
    this.scheduleExpiry(s);
    return new Response(readable, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no', ...extraHeaders },
    });
  }

  /** SSE comment heartbeat: keeps proxies from timing out idle streams, and finds dead readers. */
  private beat(): void {
    const comment = utf8.encode(`: hb ${this.lastSeq}\n\n`);
    for (const s of [...this.streams]) {
      if (this.outstanding(s) > this.limits.maxUnackedBytes) this.shed(s, 'slow_consumer', CLOSE.tryAgainLater);
      else this.writeSse(s, comment);
    }
  }

  private subscriber(transport: Transport, severities: Severity[] | null, after: number | undefined, who: Identity): Subscriber {
    const now = Date.now();
    const cursor = after === undefined ? this.lastSeq : Math.min(after, this.lastSeq);
    return {
      transport,
      severities: severities && severities.length < SEVERITIES.length ? severities : null,
      live: after === undefined || after >= this.lastSeq,
      cursor,
      user: who.user,
      connectedAt: now,
      ...(who.exp === undefined ? {} : { exp: who.exp }),
      ...(who.conn === undefined ? {} : { conn: who.conn }),
      unacked: 0,
      ledger: new SentLedger(cursor),
      evidenceAt: now,
      catchingUp: false,
      frames: 0,
      windowStart: now,
    };
  }

  /** The in-memory subscriber of a socket, rebuilt from its attachment when missing (after a wake). */
  private socket(ws: WebSocket): Subscriber {
    let s = this.sockets.get(ws);
    if (!s) {
      const a = (ws.deserializeAttachment() as Attachment | null) ?? { severities: null, live: true, cursor: this.lastSeq, user: 'unknown', connectedAt: Date.now() };
      const now = Date.now();
      const cursor = a.live ? Math.max(a.cursor, this.lastSeq) : a.cursor;
      s = {
        ...a,
        transport: { kind: 'ws', ws },
        cursor,
        unacked: 0,
        ledger: new SentLedger(cursor),
        evidenceAt: now,
        catchingUp: false,
        frames: 0,
        windowStart: now,
      };
      this.sockets.set(ws, s);
      if (!s.live) void this.catchUp(s);
    }
    return s;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (ws.readyState !== WebSocket.OPEN) return;
    const s = this.socket(ws);
    const now = Date.now();
    if (this.expired(s, now)) {
      // the alarm is on its way; a frame arriving first must not find the socket still served
      this.expire(s);
      return;
    }
    if (now - s.windowStart > this.limits.clientWindowMs) {
      s.windowStart = now;
      s.frames = 0;
    }
    if (++s.frames > this.limits.clientFramesPerWindow) {
      this.send(s, { type: 'error', code: 'rate_limited', message: `more than ${this.limits.clientFramesPerWindow} frames in ${this.limits.clientWindowMs / 1000} s` });
      this.drop(s, CLOSE.policy, 'too many frames');
      return;
    }
    const size = typeof message === 'string' ? utf8.encode(message).byteLength : message.byteLength;
    if (size > MAX_CLIENT_FRAME_BYTES) {
      this.send(s, { type: 'error', code: 'frame_too_big', message: `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes` });
      this.drop(s, CLOSE.tooBig, 'frame too big');
      return;
    }
    if (typeof message !== 'string') {
      this.send(s, { type: 'error', code: 'bad_frame', message: 'binary frames are not part of the protocol' });
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(message);
    } catch {
      // not JSON: the client is told, and the socket stays usable
      this.send(s, { type: 'error', code: 'bad_frame', message: 'frames must be JSON (or the text ping)' });
      return;
    }
    const parsed = ClientMessageSchema.safeParse(data);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      this.send(s, { type: 'error', code: 'bad_frame', message: detail });
      return;
    }
    const m = parsed.data;
    if (m.type === 'ack') {
      // Counts only for seqs this socket was sent: an ack of more releases nothing (SentLedger).
      if (s.ledger.ack(m.seq)) s.evidenceAt = now;
      return;
    }
    // subscribe: the new filter applies to every change above the cursor (replay pages included).
    // Duplicates are folded first: four copies of one severity are that severity, not "all four".
    const wanted = [...new Set(m.severities)];
    s.severities = wanted.length === 0 || wanted.length === SEVERITIES.length ? null : wanted;
    this.persist(s);
    this.send(s, { type: 'subscribed', severities: s.severities ?? [...SEVERITIES], seq: s.cursor });
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // In the map unless the room closed it itself (drop released its lease then).
    const s = this.sockets.get(ws);
    this.sockets.delete(ws);
    if (s) this.releaseLease(s);
    try {
      ws.close(code === 1005 || code === 1006 ? CLOSE.normal : code, 'closing');
    } catch {
      // the runtime may already have completed the close handshake
    }
    this.schedulePresence();
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    // In the map unless the room closed it itself (drop released its lease then).
    const s = this.sockets.get(ws);
    this.sockets.delete(ws);
    if (s) this.releaseLease(s);
    this.schedulePresence();
  }

  private connectionCount(): number {
    let n = this.streams.size;
    for (const ws of this.sockets.keys()) if (ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  private schedulePresence(): void {
    if (this.presenceTimer) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = undefined;
      const message = { type: 'presence', connections: this.connectionCount() } satisfies ServerMessage;
      for (const s of [...this.subscribers()]) this.send(s, message);
    }, PRESENCE_COALESCE_MS);
  }

  // ---------------------------------------------------------------------------------------------
  // Stats, drain, info

  /** Arms the stats alarm once per activity burst (an in-memory flag avoids a storage read per batch). */
  private armStats(): void {
    if (this.statsArmed) return;
    this.statsArmed = true;
    void (async () => {
      let at = await this.ctx.storage.get<number>('statsAt');
      if (at === undefined) {
        at = Date.now() + STATS_INTERVAL_MS;
        await this.ctx.storage.put('statsAt', at);
      }
      await this.alarmNoLaterThan(at);
    })().catch((err: unknown) => {
      // stats are best effort; the next activity tries again
      this.statsArmed = false;
      log('warn', 'room stats alarm not set', { room: this.category, ...errorFields(err) });
    });
  }

  /** Makes sure the alarm fires by the time this subscriber's token expires. */
  private scheduleExpiry(s: Subscriber): void {
    if (s.exp === undefined) return;
    const at = Math.min(s.exp * 1000, Date.now() + MAX_ALARM_AHEAD_MS);
    this.alarmNoLaterThan(at).catch((err: unknown) => {
      // the subscriber is still closed at its next frame or the next alarm; say why it was late
      log('warn', 'room expiry alarm not set', { room: this.category, ...errorFields(err) });
    });
  }

  /** The one alarm serves stats and expiries: it only ever moves earlier here; each firing sets the next. */
  private async alarmNoLaterThan(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  /** The earliest token expiry among the subscribers (ms), within MAX_ALARM_AHEAD_MS of `now`. */
  private nextExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const s of this.subscribers()) {
      if (s.exp === undefined || !this.isOpen(s)) continue;
      const at = Math.min(s.exp * 1000, now + MAX_ALARM_AHEAD_MS);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  private expired(s: Subscriber, now: number): boolean {
    return s.exp !== undefined && s.exp * 1000 <= now;
  }

  /** Ends a subscriber whose token expired: `error` `token_expired`, then 4401 (SSE: `event: error`, then the end). */
  private expire(s: Subscriber): void {
    const message = { type: 'error', code: 'token_expired', message: 'the token of this connection has expired; sign in again and resume with your cursor' } satisfies ServerMessage;
    log('info', 'room closed a subscriber whose token expired', { room: this.category, transport: s.transport.kind, user: s.user });
    if (s.transport.kind === 'sse') this.writeSse(s, utf8.encode(`event: error\ndata: ${JSON.stringify(message)}\n\n`));
    else this.send(s, message);
    this.drop(s, CLOSE.tokenExpired, 'token expired');
  }

  override async alarm(): Promise<void> {
    this.statsArmed = false;
    const now = Date.now();
    let expiredAny = false;
    for (const s of [...this.subscribers()]) {
      if (!this.expired(s, now)) continue;
      this.expire(s);
      expiredAny = true;
    }
    const statsAt = await this.ctx.storage.get<number>('statsAt');
    let nextStats = statsAt;
    // Stats are due at their time; a firing that found no expiry due was for them too (an alarm
    // run early, as tests do, or one whose expiring subscriber has left).
    if (statsAt !== undefined && (statsAt <= now || !expiredAny)) {
      await this.ctx.storage.delete('statsAt');
      nextStats = await this.sendStats(now);
      if (nextStats !== undefined) {
        await this.ctx.storage.put('statsAt', nextStats);
        this.statsArmed = true;
      }
    }
    const expiry = this.nextExpiry(now);
    const next = nextStats === undefined ? expiry : expiry === undefined ? nextStats : Math.min(nextStats, expiry);
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }

  /** The stats message to every subscriber; returns when the next one is due (undefined: the room may rest). */
  private async sendStats(now: number): Promise<number | undefined> {
    const connections = this.connectionCount();
    if (connections === 0 || !this.category) return undefined; // nobody to tell: let the room rest
    // A shard checks its seq against the primary's: a delivery lost after every retry, with no
    // later delivery to reveal the gap, is healed within one stats interval.
    if (this.shard !== undefined) await this.syncBaseline(this.category);
    this.rate = this.rate.filter(([t]) => now - t < 60_000);
    const message = {
      type: 'stats',
      room: this.category,
      lastSeq: this.lastSeq,
      connections,
      eventsLastMinute: this.rate.reduce((n, [, c]) => n + c, 0),
      at: new Date(now).toISOString(),
    } satisfies ServerMessage;
    for (const s of [...this.subscribers()]) this.send(s, message);
    // An idle room (nothing changed since the last stats) stops its stats, so it can hibernate
    // for free; the next event or connection re-arms them. A shard with subscribers keeps them: it
    // cannot know that a delivery it never received exists other than by asking.
    const idle = this.shard === undefined && this.lastStats.seq === this.lastSeq && this.lastStats.connections === connections;
    this.lastStats = { seq: this.lastSeq, connections };
    return idle ? undefined : now + STATS_INTERVAL_MS;
  }

  /**
   * Deploy-aware reconnect: every subscriber is sent `reconnect` with a jittered delay, then
   * closed with 1012; clients come back after that delay with their cursor. Returns how many.
   */
  async drain(category: Category, options: DrainOptions = {}, shard?: number): Promise<{ closed: number }> {
    await this.bind(category, shard);
    const reason = options.reason ?? 'drain';
    const spread = Math.max(0, Math.min(options.spreadMs ?? this.limits.reconnectSpreadMs, 60_000));
    let closed = 0;
    for (const s of [...this.subscribers()]) {
      const afterMs = this.limits.reconnectMinMs + Math.floor(Math.random() * spread);
      const message = { type: 'reconnect', afterMs, reason } satisfies ServerMessage;
      if (s.transport.kind === 'sse') this.writeSse(s, utf8.encode(`retry: ${afterMs}\ndata: ${JSON.stringify(message)}\n\n`));
      else this.send(s, message);
      this.drop(s, CLOSE.serviceRestart, reason);
      closed++;
    }
    log('info', 'room drained', { room: roleName(category, shard), closed, reason });
    if (this.forwarding()) {
      // The subscribers of a sharded room are on its shards.
      const counts = await Promise.all(range(this.shardCount()).map((k) => this.shardStub(k).drain(category, options, k)));
      for (const c of counts) closed += c.closed;
    }
    return { closed };
  }

  /** Live connection count and last seq, for /api/stats. The primary of a sharded room adds up its shards. */
  async info(): Promise<RoomInfo> {
    const own: RoomInfo = { connections: this.connectionCount(), lastSeq: this.lastSeq, sockets: this.connectionCount() - this.streams.size, streams: this.streams.size };
    if (!this.forwarding()) return own;
    const parts = await Promise.all(
      range(this.shardCount()).map((k) =>
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

function attachmentOf(s: Subscriber): Attachment {
  return {
    severities: s.severities,
    live: s.live,
    cursor: s.cursor,
    user: s.user,
    connectedAt: s.connectedAt,
    ...(s.exp === undefined ? {} : { exp: s.exp }),
    ...(s.conn === undefined ? {} : { conn: s.conn }),
  };
}

/**
 * Who a connect request is for, from the headers the Worker set after authenticating it
 * (`x-qc-user`: the token's sub; `x-qc-exp`: its `exp` in seconds; `x-qc-conn`: the connection's
 * lease). An `exp` that is not a positive finite number is treated as none.
 */
function identityOf(request: Request): Identity {
  const exp = Number(request.headers.get('x-qc-exp') ?? '');
  return {
    user: request.headers.get('x-qc-user') ?? 'anonymous',
    exp: Number.isFinite(exp) && exp > 0 ? exp : undefined,
    conn: request.headers.get('x-qc-conn') ?? undefined,
  };
}

function validShard(shard: number): boolean {
  return Number.isInteger(shard) && shard >= 1 && shard <= MAX_ROOM_SHARDS;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** A room's name in logs and errors: `Container`, or `Container#2` for a shard. */
function roleName(category: Category, shard: number | undefined): string {
  return shard === undefined ? category : shardName(category, shard);
}

/** The Durable Object name of a category's fan-out shard (1-based). */
export function shardName(category: Category, shard: number): string {
  return `${category}#${shard}`;
}

/** The stub of a category's room: its primary (the sequencer, and the only writer). */
export function roomStub(env: Env, category: Category): DurableObjectStub<Room> {
  return env.ROOMS.get(env.ROOMS.idFromName(category));
}

/** The stub of one fan-out shard of a category's room (ROOM_SHARDS > 1). */
export function roomShardStub(env: Env, category: Category, shard: number): DurableObjectStub<Room> {
  return env.ROOMS.get(env.ROOMS.idFromName(shardName(category, shard)));
}
