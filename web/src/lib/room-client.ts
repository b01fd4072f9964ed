/**
 * One category room, kept connected: WebSocket first, Server-Sent Events when sockets keep
 * failing, long-polling as the last resort, and a periodic attempt back to WebSocket. Every
 * (re)connect carries the room cursor (`after=<seq>`), so nothing is missed; overlapping
 * deliveries are harmless because the feed admits a change only when its seq is new for its id.
 *
 * A token that ends is not a network fault: a room's `error` `token_expired` / close 4401 (or a
 * long-poll's 401) moves the client to `expired`, where it stops trying and keeps its cursor;
 * `resume()` after a new sign-in carries on from that cursor, so nothing is missed or doubled.
 * A connection cap (`rate_limited`, close 4429) is waited out for the time the room names.
 *
 * The class holds no DOM globals: sockets, EventSource, fetch, timers, randomness and the
 * online flag come in through `env`, so the whole state machine is unit-tested with fakes.
 */
import type { Category, Severity } from '../../../protocol/enums.ts';
import type { Change } from '../../../protocol/event.ts';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.ts';
import { CLOSE, ROOM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ServerMessage } from '../../../protocol/room.ts';
import { parseServerMessage, toChange } from '../../../protocol/server-message.ts';

export type Transport = 'ws' | 'sse' | 'poll';
export type RoomState = 'connecting' | 'open' | 'waiting' | 'offline' | 'stopped' | 'expired';

export type RoomStatus = {
  state: RoomState;
  transport: Transport;
  /** When the next attempt happens (epoch ms), while `waiting`. */
  retryAt: number | null;
  /** Consecutive failed attempts (drives the backoff). */
  attempt: number;
  lastError: string | null;
};

export type SocketLike = {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
};

export type EventSourceLike = {
  onopen: ((ev: unknown) => void) | null;
  /** Also called with a server's `event: error` message (then `data` is its JSON). */
  onerror: ((ev: unknown) => void) | null;
  addEventListener(type: string, fn: (ev: { data: string; lastEventId?: string }) => void): void;
  close(): void;
};

type TimerHandle = unknown;

/** Shortest spacing of `ack` frames (the room allows a few client frames per second). */
const ACK_INTERVAL_MS = 200;
/** `ping` spacing: keeps proxies from idling the socket out and tells the room we read. */
const PING_INTERVAL_MS = 20_000;

export type RoomClientEnv = {
  openSocket(url: string, protocols: string[]): SocketLike;
  openEventSource(url: string): EventSourceLike;
  fetch: typeof fetch;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  random(): number;
  now(): number;
  isOnline(): boolean;
  /** Sets the cookie EventSource authenticates with (POST /api/session). */
  openSession(): Promise<void>;
};

export type RoomClientOptions = {
  category: Category;
  /** `http(s)://host` of the Worker. */
  origin: string;
  token: () => string | undefined;
  /** Server-side filter; undefined = every severity. */
  severities?: Severity[] | undefined;
  /** Resume point: the highest seq already held for this room. */
  cursor?: number | undefined;
  onChanges(changes: Change[]): void;
  onStatus?(status: RoomStatus): void;
  /** Connections in the room (hello, presence, stats). */
  onPresence?(connections: number): void;
  /** The room said the token expired: sign in again, then `resume()`. */
  onTokenExpired?(): void;
  /** After a failed attempt: is the token past its `exp` by this clock? (A refused upgrade says nothing else.) */
  isTokenExpired?(): boolean;
  env: RoomClientEnv;
  backoff?: BackoffOptions;
  /** Consecutive failures of a transport before the next one is tried. */
  fallbackAfterFailures?: number;
  /** A connection counts as stable (the backoff starts over) after staying up this long. */
  stableAfterMs?: number;
  /** While on a fallback, how often to try WebSocket again. */
  probeWebSocketEveryMs?: number;
  /** An attempt that has not opened (WebSocket: said hello) by then counts as failed. */
  openTimeoutMs?: number;
  pollWaitSeconds?: number;
  /** Shortest spacing between long-poll requests that came back empty (a server ignoring `wait`). */
  minPollIntervalMs?: number;
};

/** Names an SSE server may give its events; all carry the same JSON as the socket frames. */
const SSE_EVENT_NAMES = ['message', 'events', 'event', 'change', 'changes', 'hello', 'presence', 'stats', 'reconnect'];

export class RoomClient {
  private readonly o: Required<Omit<RoomClientOptions, 'severities' | 'cursor' | 'onStatus' | 'onPresence' | 'onTokenExpired' | 'isTokenExpired'>> & RoomClientOptions;
  private cursorValue: number | undefined;
  private severitiesValue: Severity[] | undefined;
  private transportValue: Transport = 'ws';
  /** The fallback to return to when a WebSocket probe fails. */
  private probingFrom: Transport | undefined;
  private failures = 0;
  private attempt = 0;
  private generation = 0;
  private stopped = true;
  private teardown: (() => void) | undefined;
  private socket: SocketLike | undefined;
  private retryTimer: TimerHandle | undefined;
  private probeTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private statusValue: RoomStatus;
  private sessionFor: string | undefined;

  constructor(options: RoomClientOptions) {
    this.o = {
      backoff: DEFAULT_BACKOFF,
      fallbackAfterFailures: 2,
      probeWebSocketEveryMs: 60_000,
      openTimeoutMs: 10_000,
      pollWaitSeconds: 25,
      minPollIntervalMs: 1_000,
      stableAfterMs: 5_000,
      ...options,
    };
    this.cursorValue = options.cursor;
    this.severitiesValue = options.severities;
    this.statusValue = { state: 'stopped', transport: 'ws', retryAt: null, attempt: 0, lastError: null };
  }

  get category(): Category {
    return this.o.category;
  }
  get cursor(): number | undefined {
    return this.cursorValue;
  }
  get transport(): Transport {
    return this.transportValue;
  }
  get status(): RoomStatus {
    return this.statusValue;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    this.closeCurrent();
    this.setStatus({ state: 'stopped', retryAt: null });
  }

  /** Changes the server-side severity filter: a `subscribe` frame on a socket, a new request otherwise. */
  setSeverities(severities: Severity[] | undefined): void {
    this.severitiesValue = severities;
    if (this.stopped) return;
    if (this.transportValue === 'ws' && this.socket && this.statusValue.state === 'open') {
      this.socket.send(JSON.stringify({ type: 'subscribe', severities: severities ?? [] }));
    } else {
      this.reconnectNow();
    }
  }

  /** The browser is back online: retry at once instead of waiting out the backoff. */
  wentOnline(): void {
    if (this.stopped || this.statusValue.state === 'open' || this.statusValue.state === 'connecting') return;
    this.attempt = 0;
    this.reconnectNow();
  }

  wentOffline(): void {
    if (this.stopped || this.statusValue.state === 'open') return;
    this.setStatus({ state: 'offline' });
  }

  /**
   * After a new sign-in: reconnects a client that stopped because its token expired, from its
   * cursor, on WebSocket again. Does nothing in any other state.
   */
  resume(): void {
    if (this.stopped || this.statusValue.state !== 'expired') return;
    this.attempt = 0;
    this.failures = 0;
    this.probingFrom = undefined;
    this.transportValue = 'ws';
    this.reconnectNow();
  }

  /** Drops the current connection as a network cut would (tests, diagnostics). */
  dropConnection(): void {
    if (this.socket) this.socket.close(4000, 'dropped by client');
    else this.reconnectNow();
  }

  private reconnectNow(): void {
    this.generation++;
    this.clearTimers();
    this.closeCurrent();
    this.connect();
  }

  // ------------------------------------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    this.retryTimer = undefined;
    const gen = ++this.generation;
    if (!this.o.env.isOnline()) {
      // Still try: navigator.onLine can be wrong; but say so while waiting.
      this.setStatus({ state: 'offline', retryAt: null });
    } else {
      this.setStatus({ state: 'connecting', retryAt: null });
    }
    if (this.transportValue === 'ws') this.openWebSocket(gen);
    else if (this.transportValue === 'sse') void this.openSse(gen);
    else void this.poll(gen);
  }

  private query(extra: Record<string, string> = {}): string {
    const q = new URLSearchParams();
    if (this.severitiesValue && this.severitiesValue.length > 0) q.set('severity', this.severitiesValue.join(','));
    if (this.cursorValue !== undefined) q.set('after', String(this.cursorValue));
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  private openWebSocket(gen: number): void {
    const wsOrigin = this.o.origin.replace(/^http/, 'ws');
    const url = `${wsOrigin}/api/rooms/${this.o.category}/ws${this.query()}`;
    let ws: SocketLike;
    try {
      ws = this.o.env.openSocket(url, [ROOM_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${this.o.token() ?? ''}`]);
    } catch (err) {
      this.failed(gen, `WebSocket: ${(err as Error).message}`);
      return;
    }
    this.socket = ws;
    let greeted = false;
    let reconnectAfterMs: number | undefined;
    let tokenExpired = false;
    /** Highest seq received on this socket: the only seq the room believes an ack of. */
    let received: number | undefined;
    const openTimer = this.o.env.setTimeout(() => {
      if (gen === this.generation && !greeted) ws.close(4001, 'open timeout');
    }, this.o.openTimeoutMs);
    // Flow control (docs/rooms.md): the room sheds a socket that has not shown it reads. An `ack`
    // of the cursor (at most every ACK_INTERVAL_MS) and a periodic `ping` (answered by the
    // runtime without waking the room) are that evidence.
    let ackTimer: TimerHandle | undefined;
    const trySend = (data: string) => {
      try {
        ws.send(data);
      } catch {
        // the socket is closing: its close event decides what happens next
      }
    };
    const scheduleAck = () => {
      if (ackTimer !== undefined) return;
      ackTimer = this.o.env.setTimeout(() => {
        ackTimer = undefined;
        if (gen === this.generation && received !== undefined) trySend(JSON.stringify({ type: 'ack', seq: received }));
      }, ACK_INTERVAL_MS);
    };
    let pingTimer: TimerHandle | undefined;
    const schedulePing = () => {
      pingTimer = this.o.env.setTimeout(() => {
        if (gen !== this.generation) return;
        if (greeted) trySend('ping');
        schedulePing();
      }, PING_INTERVAL_MS);
    };
    schedulePing();
    const stopFlowTimers = () => {
      if (ackTimer !== undefined) this.o.env.clearTimeout(ackTimer);
      if (pingTimer !== undefined) this.o.env.clearTimeout(pingTimer);
      ackTimer = pingTimer = undefined;
    };
    this.teardown = () => {
      stopFlowTimers();
      this.o.env.clearTimeout(openTimer);
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
      this.socket = undefined;
      try {
        ws.close(1000, 'client closing');
      } catch {
        // already closed: nothing to release
      }
    };
    ws.onmessage = (ev) => {
      if (gen !== this.generation || typeof ev.data !== 'string') return;
      const m = parseServerMessage(ev.data);
      if (!m) return;
      if (m.type === 'hello') {
        greeted = true;
        this.o.env.clearTimeout(openTimer);
        this.connected('ws');
      } else if (m.type === 'reconnect') {
        reconnectAfterMs = m.afterMs;
      } else if (m.type === 'error' && m.code === 'token_expired') {
        tokenExpired = true;
      } else if (m.type === 'error' && m.code === 'rate_limited' && m.details && m.details.retryAfterSeconds > 0) {
        reconnectAfterMs = m.details.retryAfterSeconds * 1000;
      } else if (m.type === 'events') {
        for (const c of m.events) if (received === undefined || c.seq > received) received = c.seq;
      }
      this.handle(m);
      if (m.type === 'events') scheduleAck();
    };
    ws.onclose = (ev) => {
      if (gen !== this.generation) return;
      stopFlowTimers();
      this.o.env.clearTimeout(openTimer);
      this.socket = undefined;
      this.teardown = undefined;
      if (tokenExpired || ev.code === CLOSE.tokenExpired) {
        this.expired('the token expired');
      } else if (reconnectAfterMs !== undefined || ev.code === CLOSE.rateLimited) {
        // A cap of this token (4429) frees when one of its connections closes: wait what the room said.
        reconnectAfterMs ??= backoffDelay(this.attempt++, this.o.env.random, this.o.backoff);
        // The server asked to come back later (deploy, overload): honour it, with a little jitter, cursor kept.
        this.scheduleIn(reconnectAfterMs + Math.round(this.o.env.random() * Math.min(1000, reconnectAfterMs / 4 + 100)));
      } else if (!greeted) {
        this.failed(gen, `WebSocket closed before hello${ev.code ? ` (${ev.code})` : ''}`);
      } else {
        this.lost(`WebSocket closed${ev.code ? ` (${ev.code})` : ''}`);
      }
    };
    ws.onerror = () => {
      // a close event always follows; the decision is taken there
    };
  }

  private async openSse(gen: number): Promise<void> {
    const token = this.o.token() ?? '';
    if (this.sessionFor !== token) {
      try {
        await this.o.env.openSession();
        this.sessionFor = token;
      } catch {
        // no session cookie: the EventSource will fail and long-polling (which sends the header) takes over
      }
      if (gen !== this.generation) return;
    }
    let es: EventSourceLike;
    try {
      es = this.o.env.openEventSource(`${this.o.origin}/api/rooms/${this.o.category}/sse${this.query()}`);
    } catch (err) {
      this.failed(gen, `EventSource: ${(err as Error).message}`);
      return;
    }
    let opened = false;
    const openTimer = this.o.env.setTimeout(() => {
      if (gen === this.generation && !opened) {
        es.close();
        this.teardown = undefined;
        this.failed(gen, 'EventSource open timeout');
      }
    }, this.o.openTimeoutMs);
    this.teardown = () => {
      this.o.env.clearTimeout(openTimer);
      es.onopen = es.onerror = null;
      es.close();
    };
    es.onopen = () => {
      if (gen !== this.generation) return;
      opened = true;
      this.o.env.clearTimeout(openTimer);
      this.connected('sse');
    };
    const onFrame = (ev: { data: string; lastEventId?: string }) => {
      if (gen !== this.generation) return;
      const m = parseServerMessage(ev.data);
      if (m) this.handle(m);
    };
    for (const name of SSE_EVENT_NAMES) es.addEventListener(name, onFrame);
    es.onerror = (ev) => {
      if (gen !== this.generation) return;
      // The room's own `event: error` (token_expired) arrives here too, with its JSON in `data`.
      const data = typeof ev === 'object' && ev !== null ? (ev as { data?: unknown }).data : undefined;
      const m = typeof data === 'string' ? parseServerMessage(data) : undefined;
      if (m?.type === 'error' && m.code === 'token_expired') {
        this.o.env.clearTimeout(openTimer);
        es.close();
        this.teardown = undefined;
        this.expired('the token expired');
        return;
      }
      // EventSource would retry on its own, without our cursor bookkeeping or fallback: take over.
      this.o.env.clearTimeout(openTimer);
      es.close();
      this.teardown = undefined;
      if (opened) this.lost('EventSource connection lost');
      else this.failed(gen, 'EventSource failed to open');
    };
  }

  private async poll(gen: number): Promise<void> {
    const controller = new AbortController();
    this.teardown = () => controller.abort();
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.o.token();
    if (token) headers.authorization = `Bearer ${token}`;
    const base = `${this.o.origin}/api/events`;
    try {
      if (this.cursorValue === undefined) {
        // Live only, like a socket without `after`: start at the room's newest change.
        const q = new URLSearchParams({ category: this.o.category, limit: '1' });
        const res = await this.o.env.fetch(`${base}?${q}`, { headers, signal: controller.signal, credentials: 'same-origin' });
        if (res.status === 401) throw new TokenRefused();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = (await res.json()) as { data?: unknown[] };
        const newest = toChange(body.data?.[0]);
        this.cursorValue = newest?.seq ?? 0;
      }
      for (let first = true; gen === this.generation; first = false) {
        const started = this.o.env.now();
        const q = this.query({ category: this.o.category, wait: String(this.o.pollWaitSeconds), limit: '500' });
        const res = await this.o.env.fetch(`${base}${q}`, { headers, signal: controller.signal, credentials: 'same-origin' });
        if (gen !== this.generation) return;
        if (res.status === 401) throw new TokenRefused();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = (await res.json()) as { data?: unknown[] };
        if (gen !== this.generation) return;
        if (first) this.connected('poll');
        const changes = (body.data ?? []).map(toChange).filter((c): c is Change => c !== undefined).sort((a, b) => a.seq - b.seq);
        if (changes.length > 0) this.handle({ type: 'events', events: changes });
        else if (this.o.env.now() - started < this.o.minPollIntervalMs) {
          await new Promise<void>((r) => this.o.env.setTimeout(r, this.o.minPollIntervalMs));
        }
      }
    } catch (err) {
      if (gen !== this.generation) return;
      this.teardown = undefined;
      // A long-poll simply fails at its next request once its token has ended.
      if (err instanceof TokenRefused) return this.expired('the token was refused');
      if (this.statusValue.state === 'open') this.lost(`long-poll: ${(err as Error).message}`);
      else this.failed(gen, `long-poll: ${(err as Error).message}`);
    }
  }

  private handle(m: ServerMessage): void {
    switch (m.type) {
      case 'hello':
        if (this.cursorValue === undefined) this.cursorValue = m.lastSeq;
        this.o.onPresence?.(m.connections);
        break;
      case 'events': {
        if (m.events.length === 0) return;
        let max = this.cursorValue ?? 0;
        for (const c of m.events) if (c.seq > max) max = c.seq;
        this.cursorValue = max;
        this.o.onChanges(m.events);
        break;
      }
      case 'presence':
      case 'stats':
        this.o.onPresence?.(m.connections);
        break;
      case 'error':
        this.setStatus({ lastError: `${m.code}: ${m.message}` });
        break;
      default:
        break;
    }
  }

  /**
   * A transport works: on a fallback, plan the next try of WebSocket. The backoff starts over
   * only once the connection has stayed up a while, so a server that accepts and drops at once
   * is not hammered.
   */
  private connected(transport: Transport): void {
    this.failures = 0;
    this.probingFrom = undefined;
    this.transportValue = transport;
    this.setStatus({ state: 'open', transport, retryAt: null, lastError: null });
    if (this.stableTimer !== undefined) this.o.env.clearTimeout(this.stableTimer);
    const gen = this.generation;
    this.stableTimer = this.o.env.setTimeout(() => {
      if (gen === this.generation) this.attempt = 0;
    }, this.o.stableAfterMs);
    if (this.probeTimer !== undefined) this.o.env.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (transport !== 'ws') {
      this.probeTimer = this.o.env.setTimeout(() => this.probeWebSocket(), this.o.probeWebSocketEveryMs);
    }
  }

  private probeWebSocket(): void {
    this.probeTimer = undefined;
    if (this.stopped || this.transportValue === 'ws') return;
    this.probingFrom = this.transportValue;
    this.transportValue = 'ws';
    this.reconnectNow();
  }

  /** The token ended: stop trying (a reconnect loop would only be refused) until `resume()`. */
  private expired(why: string): void {
    if (this.stopped) return;
    this.generation++;
    this.clearTimers();
    this.socket = undefined;
    this.setStatus({ state: 'expired', retryAt: null, lastError: why });
    this.o.onTokenExpired?.();
  }

  /** An attempt that never got going. */
  private failed(gen: number, why: string): void {
    if (gen !== this.generation || this.stopped) return;
    this.socket = undefined;
    // A refused upgrade or EventSource says nothing about why: the token's own exp can.
    if (this.o.isTokenExpired?.()) return this.expired(why);
    this.setStatus({ lastError: why });
    if (this.probingFrom) {
      // WebSocket is still blocked: back to the fallback at once, try again later.
      this.transportValue = this.probingFrom;
      this.probingFrom = undefined;
      this.connect();
      return;
    }
    // Offline, every transport fails: that says nothing about WebSocket being blocked.
    if (this.o.env.isOnline()) this.failures++;
    if (this.failures >= this.o.fallbackAfterFailures && this.transportValue !== 'poll') {
      this.transportValue = this.transportValue === 'ws' ? 'sse' : 'poll';
      this.failures = 0;
      this.attempt = 0;
      this.connect();
      return;
    }
    this.scheduleIn(backoffDelay(this.attempt++, this.o.env.random, this.o.backoff));
  }

  /** A working connection ended: retry the same transport after a backoff step. */
  private lost(why: string): void {
    if (this.stopped) return;
    this.setStatus({ lastError: why });
    this.scheduleIn(backoffDelay(this.attempt++, this.o.env.random, this.o.backoff));
  }

  private scheduleIn(ms: number): void {
    if (this.retryTimer !== undefined) this.o.env.clearTimeout(this.retryTimer);
    this.generation++;
    this.setStatus({ state: this.o.env.isOnline() ? 'waiting' : 'offline', retryAt: this.o.env.now() + ms, attempt: this.attempt });
    this.retryTimer = this.o.env.setTimeout(() => this.connect(), ms);
  }

  private clearTimers(): void {
    if (this.retryTimer !== undefined) this.o.env.clearTimeout(this.retryTimer);
    if (this.probeTimer !== undefined) this.o.env.clearTimeout(this.probeTimer);
    if (this.stableTimer !== undefined) this.o.env.clearTimeout(this.stableTimer);
    this.retryTimer = this.probeTimer = this.stableTimer = undefined;
  }

  private closeCurrent(): void {
    const t = this.teardown;
    this.teardown = undefined;
    this.socket = undefined;
    t?.();
  }

  private setStatus(patch: Partial<RoomStatus>): void {
    this.statusValue = { ...this.statusValue, ...patch };
    this.o.onStatus?.(this.statusValue);
  }
}

/** A 401 from the API: the token is no longer accepted. */
class TokenRefused extends Error {
  constructor() {
    super('HTTP 401');
  }
}

/** The browser's implementations of the client's environment. */
export function browserRoomEnv(openSession: () => Promise<void>): RoomClientEnv {
  return {
    openSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike,
    openEventSource: (url) => new EventSource(url, { withCredentials: true }) as unknown as EventSourceLike,
    fetch: (...a) => fetch(...a),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: Math.random,
    now: Date.now,
    isOnline: () => navigator.onLine !== false,
    openSession,
  };
}
