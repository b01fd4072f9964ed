/**
 * The category room: one Durable Object per category, the sequencer and fan-out of its events.
 *
 * Ordering (why a client can never miss an event by resuming from a seq it saw):
 *  - Every write of a room goes through this object's single writer loop (`drain`). The loop
 *    takes everything queued, assigns the next seqs, stores the batch in D1 in one transaction,
 *    and only then — synchronously, with no await in between — advances `lastSeq` and sends
 *    the batch to the live sockets. One batch is in flight at a time, so batches are stored and
 *    pushed in seq order, whatever order the ingest requests arrived in.
 *  - A socket that resumes (`after`) is "catching up": it reads pages of `(cursor, lastSeq]` from
 *    D1 and is switched to live in the same synchronous step that sees `cursor >= lastSeq`.
 *    Every event with seq <= lastSeq was stored before lastSeq moved, so the pages covered it;
 *    every later event is pushed to the socket live. Each socket keeps the highest seq it has
 *    been given (`cursor`) and is never sent a change at or below it: no gap, no duplicate.
 *  - Hibernation only happens while the room is idle, when every live socket's cursor equals
 *    `lastSeq`; so after a wake the cursor is rebuilt as `lastSeq` (catching-up sockets keep
 *    their cursor in the attachment and resume catching up).
 *  - Seqs are reserved in this object's storage before a batch is written, so a restart never
 *    hands out a seq twice (a failed batch leaves a gap, which resume tolerates).
 */
import { DurableObject } from 'cloudflare:workers';
import { SEVERITIES, isCategory, topicForCategory, type Category, type Severity } from '../protocol/enums.ts';
import type { Change, NewEvent } from '../protocol/event.ts';
import {
  CLOSE,
  ClientMessageSchema,
  MAX_CLIENT_FRAME_BYTES,
  ROOM_SUBPROTOCOL,
  parseSeverityList,
  type ServerMessage,
} from '../protocol/room.ts';
import { createDb, type Db } from './db/client.ts';
import { changesAfter, insertNewEvents, maxSeq, replaceEvent, toInsertRow, type HistoryEntry, type OutboxEntry } from './db/events.ts';
import { errorFields, log } from './log.ts';

/** Outcome of one event handed to the room. */
export type CommitResult = { id: string; status: 'stored'; seq: number } | { id: string; status: 'duplicate' };

/** A workflow change (or delete) of a stored event, computed by the API from its current state. */
export type ChangeRequest = {
  id: string;
  /** The seq the caller read the event at; the change applies only if it is still there. */
  expectedSeq: number;
  /** The event's new state; for a delete, its last state (the row becomes a tombstone). */
  next: NewEvent;
  deleted: boolean;
  history: HistoryEntry;
};
export type ChangeResult = { status: 'changed'; seq: number; change: Change } | { status: 'conflict' };

/** Options of a commit: API-made events are also queued for publishing to Kafka. */
export type CommitOptions = { outbox?: boolean };

/** What a socket's attachment holds (survives hibernation). */
type Attachment = { severities: Severity[] | null; live: boolean; cursor: number; user: string; connectedAt: number };

/** Per-socket state in memory, rebuilt from attachments after a wake. */
type Session = Attachment & { frames: number; windowStart: number };

type PendingInsert = { kind: 'insert'; events: NewEvent[]; outbox: boolean; resolve: (r: CommitResult[]) => void; reject: (e: unknown) => void };
type PendingChange = { kind: 'change'; request: ChangeRequest; resolve: (r: ChangeResult) => void; reject: (e: unknown) => void };
type Pending = PendingInsert | PendingChange;

/** Changes per replay page read from D1. */
const REPLAY_PAGE = 500;
/** Most events one writer pass stores in one D1 transaction. */
const MAX_WRITE_EVENTS = 2000;
/** Presence updates are coalesced over this window. */
const PRESENCE_COALESCE_MS = 250;
/** Periodic stats while anyone is connected. */
const STATS_INTERVAL_MS = 30_000;
/** Client frames allowed per window before the socket is closed as abusive. */
const CLIENT_FRAMES_PER_WINDOW = 20;
const CLIENT_WINDOW_MS = 10_000;

export class Room extends DurableObject<Env> {
  private readonly db: Db;
  private category: Category | undefined;
  /** Highest seq stored and pushed. */
  private lastSeq = 0;
  /** Highest seq reserved in storage (>= lastSeq). */
  private reserved = 0;
  private readonly sessions = new Map<WebSocket, Session>();
  private queue: Pending[] = [];
  private writing = false;
  private presenceTimer: ReturnType<typeof setTimeout> | undefined;
  private recent: number[] = [];
  private readonly waiters = new Set<{ after: number; resolve: (seq: number) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = createDb(env.DB);
    // Rebuild everything from storage and the sockets' attachments: this runs after every wake.
    ctx.blockConcurrencyWhile(async () => {
      const [category, lastSeq, reserved] = await Promise.all([
        ctx.storage.get<Category>('category'),
        ctx.storage.get<number>('lastSeq'),
        ctx.storage.get<number>('reserved'),
      ]);
      this.category = category;
      this.lastSeq = lastSeq ?? 0;
      this.reserved = Math.max(reserved ?? 0, this.lastSeq);
      for (const ws of ctx.getWebSockets()) this.session(ws);
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
    if (!this.writing) void this.drain();
  }

  /** The single writer: group-commits consecutive inserts, applies changes one by one, in arrival order. */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'change') {
          this.queue.shift();
          try {
            head.resolve(await this.writeChange(head.request));
          } catch (err) {
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
          log('error', 'room write failed', { room: this.category, events: count, ...errorFields(err) });
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Reserves `count` seqs in storage (never handed out twice, even across restarts); returns the first. */
  private async reserve(count: number): Promise<number> {
    const first = (await this.ensureSeqBase()) + 1;
    this.reserved = first + count - 1;
    await this.ctx.storage.put('reserved', this.reserved);
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

  /** Synchronous: moves lastSeq, pushes the changes, wakes long-polls. */
  private advance(changes: Change[], upTo: number): void {
    this.lastSeq = upTo;
    this.broadcast(changes, upTo);
    void this.ctx.storage.put('lastSeq', upTo);
    const now = Date.now();
    for (let i = 0; i < changes.length; i++) this.recent.push(now);
    if (this.recent.length > 100_000) this.recent.splice(0, this.recent.length - 100_000);
    for (const w of [...this.waiters]) if (upTo > w.after) w.resolve(upTo);
  }

  /** First use of a room since it was created: learn its highest seq from D1 (e.g. after a storage reset). */
  private async ensureSeqBase(): Promise<number> {
    if (this.reserved === 0 && this.category) {
      this.reserved = await maxSeq(this.db, this.category);
      this.lastSeq = Math.max(this.lastSeq, this.reserved);
    }
    return this.reserved;
  }

  private async bind(category: Category): Promise<void> {
    if (this.category === category) return;
    if (this.category && this.category !== category) throw new Error(`room ${this.category} was asked to act as ${category}`);
    if (!isCategory(category)) throw new Error(`unknown category ${String(category)}`);
    this.category = category;
    await this.ctx.storage.put('category', category);
  }

  // ---------------------------------------------------------------------------------------------
  // Fan-out

  /** Pushes stored changes (seq order) to every live socket whose filter matches. Never throws. */
  private broadcast(changes: Change[], upTo: number): void {
    const first = changes[0]?.seq ?? upTo + 1;
    const frames = new Map<string, string | null>();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const s = this.session(ws);
      if (!s.live) continue;
      let frame: string | null;
      if (s.cursor < first) {
        const key = s.severities ? s.severities.join(',') : '*';
        if (!frames.has(key)) frames.set(key, frameFor(changes, s.severities, -1));
        frame = frames.get(key)!;
      } else {
        frame = frameFor(changes, s.severities, s.cursor);
      }
      s.cursor = Math.max(s.cursor, upTo);
      if (frame) this.send(ws, frame);
    }
  }

  /** A guarded send: a failing socket is closed, never the broadcast. */
  private send(ws: WebSocket, frame: string): boolean {
    try {
      ws.send(frame);
      return true;
    } catch (err) {
      log('warn', 'room send failed; closing socket', { room: this.category, ...errorFields(err) });
      this.drop(ws, CLOSE.internal, 'send failed; reconnect with your cursor');
      return false;
    }
  }

  private sendMessage(ws: WebSocket, message: ServerMessage): boolean {
    return this.send(ws, JSON.stringify(message));
  }

  private drop(ws: WebSocket, code: number, reason: string): void {
    this.sessions.delete(ws);
    try {
      ws.close(code, reason);
    } catch {
      // already closing or closed: nothing left to do for this socket
    }
    this.schedulePresence();
  }

  // ---------------------------------------------------------------------------------------------
  // Sockets

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const category = url.searchParams.get('room');
    if (!category || !isCategory(category)) return new Response('unknown room', { status: 404 });
    await this.bind(category);
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const headers = request.headers.get('x-qc-subprotocol') ? { 'sec-websocket-protocol': ROOM_SUBPROTOCOL } : undefined;

    const severities = parseSeverityList(url.searchParams.get('severity'));
    const afterText = url.searchParams.get('after');
    const after = afterText === null || afterText === '' ? undefined : Number(afterText);
    const badRequest =
      severities === null
        ? `severity must be a comma-separated list of ${SEVERITIES.join(', ')}`
        : after !== undefined && (!Number.isSafeInteger(after) || after < 0)
          ? 'after must be a non-negative integer seq'
          : undefined;
    if (badRequest) {
      this.sendMessage(server, { type: 'error', code: 'bad_request', message: badRequest });
      server.close(CLOSE.policy, 'bad request');
      return new Response(null, { status: 101, webSocket: client, headers });
    }

    const attachment: Attachment = {
      severities: severities ?? null,
      live: after === undefined,
      cursor: after === undefined ? this.lastSeq : Math.min(after, this.lastSeq),
      user: request.headers.get('x-qc-user') ?? 'anonymous',
      connectedAt: Date.now(),
    };
    server.serializeAttachment(attachment);
    this.sessions.set(server, { ...attachment, frames: 0, windowStart: Date.now() });
    this.sendMessage(server, { type: 'hello', room: category, connections: this.connectionCount(), lastSeq: this.lastSeq });
    if (!attachment.live) void this.catchUp(server);
    this.schedulePresence();
    await this.ensureStatsAlarm();
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** Replays `(cursor, lastSeq]` page by page from D1, then switches the socket to live. */
  private async catchUp(ws: WebSocket): Promise<void> {
    const s = this.session(ws);
    const category = this.category!;
    try {
      for (;;) {
        const upTo = this.lastSeq;
        if (s.cursor >= upTo) break;
        const page = await changesAfter(this.db, { category, after: s.cursor, upTo, severities: s.severities ?? undefined, limit: REPLAY_PAGE });
        if (!this.sessions.has(ws) || ws.readyState !== WebSocket.OPEN) return;
        if (page.length > 0 && !this.sendMessage(ws, { type: 'events', events: page })) return;
        s.cursor = page.length === REPLAY_PAGE ? page[page.length - 1]!.seq : upTo;
        ws.serializeAttachment(attachmentOf(s));
      }
      // No await since the last check: nothing can be stored and pushed in between.
      s.live = true;
      ws.serializeAttachment(attachmentOf(s));
    } catch (err) {
      log('error', 'room replay failed', { room: category, cursor: s.cursor, ...errorFields(err) });
      this.sendMessage(ws, { type: 'error', code: 'replay_failed', message: 'could not read the room history; reconnect with your cursor' });
      this.drop(ws, CLOSE.tryAgainLater, 'replay failed');
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const s = this.session(ws);
    const now = Date.now();
    if (now - s.windowStart > CLIENT_WINDOW_MS) {
      s.windowStart = now;
      s.frames = 0;
    }
    if (++s.frames > CLIENT_FRAMES_PER_WINDOW) {
      this.sendMessage(ws, { type: 'error', code: 'rate_limited', message: `more than ${CLIENT_FRAMES_PER_WINDOW} frames in ${CLIENT_WINDOW_MS / 1000} s` });
      this.drop(ws, CLOSE.policy, 'too many frames');
      return;
    }
    const size = typeof message === 'string' ? message.length : message.byteLength;
    if (size > MAX_CLIENT_FRAME_BYTES) {
      this.drop(ws, CLOSE.tooBig, `frames are limited to ${MAX_CLIENT_FRAME_BYTES} bytes`);
      return;
    }
    if (typeof message !== 'string') {
      this.sendMessage(ws, { type: 'error', code: 'bad_frame', message: 'binary frames are not part of the protocol' });
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(message);
    } catch {
      this.sendMessage(ws, { type: 'error', code: 'bad_frame', message: 'frames must be JSON' });
      return;
    }
    const parsed = ClientMessageSchema.safeParse(data);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      this.sendMessage(ws, { type: 'error', code: 'bad_frame', message: detail });
      return;
    }
    // subscribe: the new filter applies from the next change on
    s.severities = parsed.data.severities.length === 0 || parsed.data.severities.length === SEVERITIES.length ? null : [...parsed.data.severities];
    ws.serializeAttachment(attachmentOf(s));
    this.send(ws, JSON.stringify({ type: 'subscribed', severities: s.severities ?? [...SEVERITIES] }));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.sessions.delete(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? CLOSE.normal : code, 'closing');
    } catch {
      // the runtime may already have completed the close handshake
    }
    this.schedulePresence();
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.sessions.delete(ws);
    this.schedulePresence();
  }

  /** The in-memory session of a socket, rebuilt from its attachment when missing (after a wake). */
  private session(ws: WebSocket): Session {
    let s = this.sessions.get(ws);
    if (!s) {
      const a = (ws.deserializeAttachment() as Attachment | null) ?? { severities: null, live: true, cursor: this.lastSeq, user: 'unknown', connectedAt: Date.now() };
      s = { ...a, cursor: a.live ? Math.max(a.cursor, this.lastSeq) : a.cursor, frames: 0, windowStart: Date.now() };
      this.sessions.set(ws, s);
      if (!s.live) void this.catchUp(ws);
    }
    return s;
  }

  private connectionCount(): number {
    let n = 0;
    for (const ws of this.ctx.getWebSockets()) if (ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  private schedulePresence(): void {
    if (this.presenceTimer) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = undefined;
      const frame = JSON.stringify({ type: 'presence', connections: this.connectionCount() } satisfies ServerMessage);
      for (const ws of this.ctx.getWebSockets()) if (ws.readyState === WebSocket.OPEN) this.send(ws, frame);
    }, PRESENCE_COALESCE_MS);
  }

  private async ensureStatsAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + STATS_INTERVAL_MS);
  }

  override async alarm(): Promise<void> {
    const connections = this.connectionCount();
    if (connections === 0 || !this.category) return; // nobody to tell: let the room rest
    const now = Date.now();
    this.recent = this.recent.filter((t) => now - t < 60_000);
    const frame = JSON.stringify({
      type: 'stats',
      room: this.category,
      lastSeq: this.lastSeq,
      connections,
      eventsLastMinute: this.recent.length,
      at: new Date(now).toISOString(),
    } satisfies ServerMessage);
    for (const ws of this.ctx.getWebSockets()) if (ws.readyState === WebSocket.OPEN) this.send(ws, frame);
    await this.ctx.storage.setAlarm(now + STATS_INTERVAL_MS);
  }

  /** Live connection count and last seq, for /api/stats. */
  async info(): Promise<{ connections: number; lastSeq: number }> {
    return { connections: this.connectionCount(), lastSeq: this.lastSeq };
  }
}

function attachmentOf(s: Session): Attachment {
  return { severities: s.severities, live: s.live, cursor: s.cursor, user: s.user, connectedAt: s.connectedAt };
}

/** The `events` frame of the changes a filter lets through, above a cursor; null when none. */
function frameFor(changes: Change[], severities: Severity[] | null, cursor: number): string | null {
  const pass = changes.filter((c) => c.seq > cursor && (!severities || 'deleted' in c || severities.includes(c.severity)));
  return pass.length === 0 ? null : JSON.stringify({ type: 'events', events: pass } satisfies ServerMessage);
}

/** The stub of a category's room. */
export function roomStub(env: Env, category: Category): DurableObjectStub<Room> {
  return env.ROOMS.get(env.ROOMS.idFromName(category));
}

