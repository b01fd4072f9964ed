/**
 * The WebSocket transport: the room's own protocol (DESIGN.md, "Rooms"), authenticated by a
 * subprotocol that carries the token (a browser's socket cannot send headers). Besides moving
 * frames it keeps the room's flow control (docs/rooms.md, "Slow clients"): an `ack` of the
 * highest seq this socket received, at most every ACK_INTERVAL_MS, and a `ping` every
 * PING_INTERVAL_MS, so the room sees that this client reads and never sheds it.
 */
import type { Severity } from '../../../../protocol/enums.ts';
import { CLOSE, ROOM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../../../../protocol/room.ts';
import { parseServerMessage } from '../../../../protocol/server-message.ts';
import type { RoomClientEnv, SocketLike, TimerHandle } from './env.ts';
import {
  roomQuery,
  type Connection,
  type ConnectionEnd,
  type ConnectionListener,
  type RoomTransport,
} from './transport.ts';

/** Shortest spacing of `ack` frames (the room allows a few client frames per second). */
export const ACK_INTERVAL_MS = 200;
/** `ping` spacing: keeps proxies from idling the socket out and tells the room we read. */
export const PING_INTERVAL_MS = 20_000;
/** Our close code for a socket that did not say hello in time. */
const OPEN_TIMEOUT_CLOSE = 4001;

export type WebSocketOptions = {
  /** A socket that has not said hello by then is closed, and counts as a failed attempt. */
  openTimeoutMs: number;
};

/** Opens room sockets: `ws(s)://host/api/rooms/<Category>/ws?severity=&after=`. */
export function webSocketTransport(env: RoomClientEnv, options: WebSocketOptions): RoomTransport {
  return {
    kind: 'ws',
    open(request, listener) {
      const url = `${request.origin.replace(/^http/, 'ws')}/api/rooms/${request.category}/ws${roomQuery(request)}`;
      let ws: SocketLike;
      try {
        ws = env.openSocket(url, [ROOM_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${request.token ?? ''}`]);
      } catch (err) {
        listener.ended({ kind: 'closed', why: `WebSocket: ${(err as Error).message}` });
        return { close() {}, changeFilter: () => false };
      }
      return new RoomSocket(ws, env, options, listener);
    },
  };
}

/** One room socket, from its opening to its close. */
class RoomSocket implements Connection {
  private readonly ws: SocketLike;
  private readonly env: RoomClientEnv;
  private readonly listener: ConnectionListener;
  private greeted = false;
  /** Highest seq received on this socket: the only seq the room believes an ack of. */
  private received: number | undefined;
  private openTimer: TimerHandle | undefined;
  private ackTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;

  constructor(ws: SocketLike, env: RoomClientEnv, options: WebSocketOptions, listener: ConnectionListener) {
    this.ws = ws;
    this.env = env;
    this.listener = listener;
    this.openTimer = env.setTimeout(() => {
      if (!this.greeted) ws.close(OPEN_TIMEOUT_CLOSE, 'open timeout');
    }, options.openTimeoutMs);
    this.schedulePing();
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => this.onClose(ev.code);
  }

  close(): void {
    this.stopTimers();
    this.ws.onmessage = this.ws.onclose = null;
    try {
      this.ws.close(CLOSE.normal, 'client closing');
    } catch {
      // already closed: nothing to release
    }
  }

  /** A `subscribe` frame, once the room has said hello; before that the next socket carries the filter. */
  changeFilter(severities: Severity[] | undefined): boolean {
    if (!this.greeted) return false;
    this.trySend(JSON.stringify({ type: 'subscribe', severities: severities ?? [] }));
    return true;
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    const m = parseServerMessage(data);
    if (!m) return;
    if (m.type === 'hello') {
      this.greeted = true;
      this.env.clearTimeout(this.openTimer);
      this.openTimer = undefined;
      this.listener.opened();
    } else if (m.type === 'events') {
      for (const c of m.events) if (this.received === undefined || c.seq > this.received) this.received = c.seq;
    }
    this.listener.message(m);
    if (m.type === 'events') this.scheduleAck();
  }

  private onClose(code: number | undefined): void {
    this.stopTimers();
    this.listener.ended(this.endOf(code));
  }

  private endOf(code: number | undefined): ConnectionEnd {
    if (code === CLOSE.tokenExpired) return { kind: 'token_expired', why: 'the token expired' };
    const coded = code ? ` (${code})` : '';
    // A cap of this token (4429) frees when one of its connections closes: not a blocked socket.
    if (code === CLOSE.rateLimited) return { kind: 'capped', why: `WebSocket refused${coded}` };
    return { kind: 'closed', why: this.greeted ? `WebSocket closed${coded}` : `WebSocket closed before hello${coded}` };
  }

  private trySend(data: string): void {
    try {
      this.ws.send(data);
    } catch {
      // the socket is closing: its close event decides what happens next
    }
  }

  private scheduleAck(): void {
    if (this.ackTimer !== undefined) return;
    this.ackTimer = this.env.setTimeout(() => {
      this.ackTimer = undefined;
      if (this.received !== undefined) this.trySend(JSON.stringify({ type: 'ack', seq: this.received }));
    }, ACK_INTERVAL_MS);
  }

  private schedulePing(): void {
    this.pingTimer = this.env.setTimeout(() => {
      if (this.greeted) this.trySend('ping');
      this.schedulePing();
    }, PING_INTERVAL_MS);
  }

  private stopTimers(): void {
    for (const t of [this.openTimer, this.ackTimer, this.pingTimer]) if (t !== undefined) this.env.clearTimeout(t);
    this.openTimer = this.ackTimer = this.pingTimer = undefined;
  }
}
