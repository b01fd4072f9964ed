/**
 * One subscriber of a room, whatever carries it: ONE interface with two implementations, a
 * hibernating WebSocket (socket-subscriber.ts) and a Server-Sent Events stream
 * (stream-subscriber.ts), in the manner of partyserver's `connection.ts`. The room's broadcast,
 * catch-up, slow-consumer, expiry and drain paths speak to this interface only; what differs
 * between the transports (how a message is framed, how "read" is measured, what survives a
 * hibernation, how it closes) stays inside the two classes.
 */
import { SEVERITIES, type Severity } from '../../protocol/enums.ts';
import type { ErrorMessage, ReconnectMessage } from '../../protocol/room.ts';

/** The saved part of a subscriber: a socket's attachment. */
export type SubscriberState = Pick<
  BaseSubscriber,
  'severities' | 'live' | 'cursor' | 'user' | 'connectedAt' | 'exp' | 'conn'
>;

export type Transport = 'ws' | 'sse';

export interface Subscriber extends SubscriberState {
  readonly transport: Transport;
  /** A catch-up loop is running for it (catch-up.ts). */
  catchingUp: boolean;
  /** What comes before its `hello`: a socket saves its attachment, a stream says how long to wait before reconnecting (SSE `retry:`). */
  begin(): void;
  /**
   * Sends one server message (its JSON); `lastSeq` for an `events` frame: the seq of its last
   * change. Guarded: a send that fails closes this subscriber (never the broadcast) and answers
   * false, as does a send to one that is closed.
   */
  send(json: string, lastSeq?: number): boolean;
  /** `reconnect`, the last message before a close on purpose; a stream is also told to wait `afterMs` (SSE `retry:`). */
  sendReconnect(message: ReconnectMessage): void;
  /** `token_expired`, the last message before close 4401; a stream gets it as `event: error`, which EventSource reports as one. */
  sendExpired(message: ErrorMessage): void;
  /** Bytes it has not shown it has read; `limit`: the bound the caller compares with (below it, costly evidence is not looked for). */
  outstanding(limit?: number): number;
  /** Still in the room and open. */
  isOpen(): boolean;
  /** Saves the state that must survive hibernation (a socket's attachment; a stream has none). */
  persist(): void;
  /** Closes the transport; false when it was closed already (so the room's bookkeeping runs once). */
  close(code: number, reason: string): boolean;
}

/** What a subscriber may ask of its room: to be dropped (its send failed, its reader left). */
export type SubscriberHost = {
  /** The room's name for logs. */
  readonly room: string | undefined;
  drop(s: Subscriber, code: number, reason: string): void;
};

/**
 * What the room keeps of every subscriber, whatever its transport, and what a socket's
 * attachment holds (so it survives hibernation).
 */
export abstract class BaseSubscriber {
  severities: Severity[] | null;
  /** Pushed to directly; else catching up. */
  live: boolean;
  /** The highest seq it has been given (or skipped because its filter rejected it). */
  cursor: number;
  /** Its token's `sub`. */
  user: string;
  connectedAt: number;
  /** Its token's expiry (seconds since epoch), if it has one. */
  exp?: number;
  /** The token limiter's lease of this connection, until it is given back. */
  conn?: string;
  catchingUp = false;

  constructor(state: SubscriberState) {
    this.severities = state.severities;
    this.live = state.live;
    this.cursor = state.cursor;
    this.user = state.user;
    this.connectedAt = state.connectedAt;
    if (state.exp !== undefined) this.exp = state.exp;
    if (state.conn !== undefined) this.conn = state.conn;
  }

  /** The state as saved: optional fields only when set. */
  state(): SubscriberState {
    return {
      severities: this.severities,
      live: this.live,
      cursor: this.cursor,
      user: this.user,
      connectedAt: this.connectedAt,
      ...(this.exp === undefined ? {} : { exp: this.exp }),
      ...(this.conn === undefined ? {} : { conn: this.conn }),
    };
  }
}

/** Who a new subscriber is: its token's `sub`, `exp` and connection lease (from the Worker's headers). */
export type Identity = { user: string; exp: number | undefined; conn: string | undefined };

/**
 * A new subscriber's state. Without `after` it is live at the room's `lastSeq`; with one it
 * catches up from there (an `after` above `lastSeq` is taken as `lastSeq`: live). All four
 * severities are "no filter".
 */
export function newSubscriberState(
  who: Identity,
  severities: Severity[] | null,
  after: number | undefined,
  lastSeq: number,
  now: number,
): SubscriberState {
  return {
    severities: severities && severities.length < SEVERITIES.length ? severities : null,
    live: after === undefined || after >= lastSeq,
    cursor: after === undefined ? lastSeq : Math.min(after, lastSeq),
    user: who.user,
    connectedAt: now,
    ...(who.exp === undefined ? {} : { exp: who.exp }),
    ...(who.conn === undefined ? {} : { conn: who.conn }),
  };
}

/**
 * A socket's state after a wake, from its attachment. Hibernation only happens while every live
 * socket's cursor equals `lastSeq`, so a live one's cursor is re-derived as (at least) `lastSeq`;
 * a catching-up one keeps its cursor and resumes. A socket without an attachment is taken as
 * live and anonymous.
 */
export function restoredState(attachment: SubscriberState | null, lastSeq: number, now: number): SubscriberState {
  const a = attachment ?? { severities: null, live: true, cursor: lastSeq, user: 'unknown', connectedAt: now };
  return { ...a, cursor: a.live ? Math.max(a.cursor, lastSeq) : a.cursor };
}
