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
 * This is the state machine only; each transport (transport.ts) moves frames and says how a
 * connection ended. Everything outside comes in through `env` (env.ts), so it is unit-tested
 * with fakes.
 */
import type { Category, Severity } from '../../../../protocol/enums.ts';
import type { Change } from '../../../../protocol/event.ts';
import type { ServerMessage } from '../../../../protocol/room.ts';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.ts';
import type { RoomClientEnv, TimerHandle } from './env.ts';
import { longPollTransport } from './long-poll.ts';
import { eventStreamTransport } from './sse.ts';
import type { Connection, ConnectionEnd, RoomTransport, Transport } from './transport.ts';
import { webSocketTransport } from './websocket.ts';

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

/** The options that have defaults, with them. */
const DEFAULTS = {
  backoff: DEFAULT_BACKOFF,
  fallbackAfterFailures: 2,
  probeWebSocketEveryMs: 60_000,
  openTimeoutMs: 10_000,
  pollWaitSeconds: 25,
  minPollIntervalMs: 1_000,
  stableAfterMs: 5_000,
};

/** The next transport to fall back to after repeated failures. */
const FALLBACK: Partial<Record<Transport, Transport>> = { ws: 'sse', sse: 'poll' };

/** One connection attempt and what the room said on it that decides what follows its end. */
type Attempt = {
  transport: Transport;
  connection: Connection | undefined;
  opened: boolean;
  /** The room said when to come back (`reconnect`, or a cap's `retryAfterSeconds`). */
  retryAfterMs: number | undefined;
  /** The room said the token expired (its close follows). */
  tokenExpired: boolean;
};

export class RoomClient {
  private readonly o: typeof DEFAULTS & RoomClientOptions;
  private readonly transports: Record<Transport, RoomTransport>;
  private cursorValue: number | undefined;
  private severitiesValue: Severity[] | undefined;
  private transportValue: Transport = 'ws';
  /** The fallback to return to when a WebSocket probe fails. */
  private probingFrom: Transport | undefined;
  private failures = 0;
  private attempt = 0;
  private stopped = true;
  /** The connection attempt in progress or open; undefined while waiting, stopped or expired. */
  private current: Attempt | undefined;
  private retryTimer: TimerHandle | undefined;
  private probeTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private statusValue: RoomStatus;

  constructor(options: RoomClientOptions) {
    this.o = { ...DEFAULTS, ...options };
    const { env, openTimeoutMs } = this.o;
    this.transports = {
      ws: webSocketTransport(env, { openTimeoutMs }),
      sse: eventStreamTransport(env, { openTimeoutMs }),
      poll: longPollTransport(env, { waitSeconds: this.o.pollWaitSeconds, minIntervalMs: this.o.minPollIntervalMs }),
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
    this.clearTimers();
    this.closeCurrent();
    this.setStatus({ state: 'stopped', retryAt: null });
  }

  /** Changes the server-side severity filter: a `subscribe` frame on a socket, a new request otherwise. */
  setSeverities(severities: Severity[] | undefined): void {
    this.severitiesValue = severities;
    if (this.stopped) return;
    if (this.current?.connection?.changeFilter(severities)) return;
    this.reconnectNow();
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

  private reconnectNow(): void {
    this.clearTimers();
    this.closeCurrent();
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.retryTimer = undefined;
    // Still try when the browser says offline (navigator.onLine can be wrong), but say so.
    this.setStatus({ state: this.o.env.isOnline() ? 'connecting' : 'offline', retryAt: null });
    const attempt: Attempt = {
      transport: this.transportValue,
      connection: undefined,
      opened: false,
      retryAfterMs: undefined,
      tokenExpired: false,
    };
    this.current = attempt;
    const live = () => this.current === attempt;
    const connection = this.transports[attempt.transport].open(
      {
        category: this.o.category,
        origin: this.o.origin,
        token: this.o.token(),
        severities: this.severitiesValue,
        cursor: () => this.cursorValue,
      },
      {
        opened: () => live() && this.opened(attempt),
        message: (m) => live() && this.message(attempt, m),
        joinedAt: (seq) => live() && this.joinedAt(seq),
        ended: (end) => live() && this.ended(attempt, end),
      },
    );
    // An attempt can end before `open` returns (a socket that cannot even be created).
    if (live()) attempt.connection = connection;
  }

  /**
   * A transport works: on a fallback, plan the next try of WebSocket. The backoff starts over
   * only once the connection has stayed up a while, so a server that accepts and drops at once
   * is not hammered.
   */
  private opened(attempt: Attempt): void {
    attempt.opened = true;
    this.transportValue = attempt.transport;
    this.failures = 0;
    this.probingFrom = undefined;
    this.setStatus({ state: 'open', transport: attempt.transport, retryAt: null, lastError: null });
    if (this.stableTimer !== undefined) this.o.env.clearTimeout(this.stableTimer);
    this.stableTimer = this.o.env.setTimeout(() => {
      if (this.current === attempt) this.attempt = 0;
    }, this.o.stableAfterMs);
    if (this.probeTimer !== undefined) this.o.env.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (attempt.transport !== 'ws') {
      this.probeTimer = this.o.env.setTimeout(() => this.probeWebSocket(), this.o.probeWebSocketEveryMs);
    }
  }

  private message(attempt: Attempt, m: ServerMessage): void {
    // What decides the next step once this connection ends, on every transport: the end follows
    // the message (a socket's close, the end of a stream shed with `retry:` and `reconnect`).
    if (m.type === 'error' && m.code === 'token_expired') attempt.tokenExpired = true;
    else if (m.type === 'reconnect') attempt.retryAfterMs = m.afterMs;
    else if (m.type === 'error' && m.code === 'rate_limited' && m.details && m.details.retryAfterSeconds > 0) {
      attempt.retryAfterMs = m.details.retryAfterSeconds * 1000;
    }
    switch (m.type) {
      case 'hello':
        this.joinedAt(m.lastSeq);
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

  /** A live join (no cursor yet) starts at the room's newest seq. */
  private joinedAt(seq: number): void {
    if (this.cursorValue === undefined) this.cursorValue = seq;
  }

  private ended(attempt: Attempt, end: ConnectionEnd): void {
    this.current = undefined;
    if (attempt.tokenExpired || end.kind === 'token_expired') {
      this.expired(end.kind === 'token_expired' ? end.why : 'the token expired');
      return;
    }
    if (attempt.retryAfterMs !== undefined || end.kind === 'capped') {
      // The room asked to come back later (deploy, overload, a cap of this token that frees when one
      // of its connections closes): honour it, with a little jitter, cursor kept. Not a failure.
      const ms = attempt.retryAfterMs ?? backoffDelay(this.attempt++, this.o.env.random, this.o.backoff);
      this.scheduleIn(ms + Math.round(this.o.env.random() * Math.min(1000, ms / 4 + 100)));
      return;
    }
    if (attempt.opened) this.lost(end.why);
    else this.failed(end.why);
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
    this.clearTimers();
    this.setStatus({ state: 'expired', retryAt: null, lastError: why });
    this.o.onTokenExpired?.();
  }

  /** An attempt that never got going. */
  private failed(why: string): void {
    if (this.stopped) return;
    // A refused upgrade or EventSource says nothing about why: the token's own exp can.
    if (this.o.isTokenExpired?.()) {
      this.expired(why);
      return;
    }
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
    const next = FALLBACK[this.transportValue];
    if (this.failures >= this.o.fallbackAfterFailures && next) {
      this.transportValue = next;
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
    this.setStatus({
      state: this.o.env.isOnline() ? 'waiting' : 'offline',
      retryAt: this.o.env.now() + ms,
      attempt: this.attempt,
    });
    this.retryTimer = this.o.env.setTimeout(() => this.connect(), ms);
  }

  private clearTimers(): void {
    if (this.retryTimer !== undefined) this.o.env.clearTimeout(this.retryTimer);
    if (this.probeTimer !== undefined) this.o.env.clearTimeout(this.probeTimer);
    if (this.stableTimer !== undefined) this.o.env.clearTimeout(this.stableTimer);
    this.retryTimer = this.probeTimer = this.stableTimer = undefined;
  }

  private closeCurrent(): void {
    const connection = this.current?.connection;
    this.current = undefined;
    connection?.close();
  }

  private setStatus(patch: Partial<RoomStatus>): void {
    this.statusValue = { ...this.statusValue, ...patch };
    this.o.onStatus?.(this.statusValue);
  }
}
