/**
 * The one interface every way of reaching a room implements (WebSocket, Server-Sent Events,
 * long-polling), in the manner of partyserver's one connection interface with two
 * implementations. A transport only moves frames and says how a connection ended; what to do
 * next (retry, back off, fall back, stop on an ended token) is the supervisor's decision.
 */
import type { Category, Severity } from '../../../../protocol/enums.ts';
import type { ServerMessage } from '../../../../protocol/room.ts';

/** Which transport a room client uses. */
export type Transport = 'ws' | 'sse' | 'poll';

/** What one connection attempt needs to know; read when it opens (the cursor: whenever it is needed). */
export type ConnectionRequest = {
  category: Category;
  /** `http(s)://host` of the Worker. */
  origin: string;
  token: string | undefined;
  /** Server-side filter; undefined = every severity. */
  severities: Severity[] | undefined;
  /** The room cursor now: the highest seq held (long-polling asks again before each request). */
  cursor(): number | undefined;
};

/**
 * How a connection ended by itself. `token_expired`: the room refused the token (close 4401, a
 * long-poll's 401); `capped`: a connection cap of the token (close 4429), not a blocked
 * transport; `closed`: anything else (a network cut, a refused or timed-out open, a server close).
 */
export type ConnectionEnd = { kind: 'token_expired' | 'capped' | 'closed'; why: string };

/** What a connection tells its supervisor; nothing more after `ended`, or after it was closed. */
export type ConnectionListener = {
  /** The connection works (WebSocket: the hello; SSE: the stream opened; long-poll: the first answer). */
  opened(): void;
  /** A server message, validated (protocol/server-message.ts). */
  message(m: ServerMessage): void;
  /** Joined live without a cursor: the room's newest seq, as a hello's `lastSeq` tells a socket. */
  joinedAt(seq: number): void;
  ended(end: ConnectionEnd): void;
};

/** One open (or opening) connection to a room. */
export type Connection = {
  /** Ends it from our side; its listener hears nothing more. */
  close(): void;
  /** Applies a new severity filter in place; false when only a new connection can apply it. */
  changeFilter(severities: Severity[] | undefined): boolean;
};

/** A way of reaching a room: one per transport per client, opening one connection at a time. */
export type RoomTransport = {
  readonly kind: Transport;
  /** Opens a connection; failures are reported to `listener.ended` (possibly before this returns), never thrown. */
  open(request: ConnectionRequest, listener: ConnectionListener): Connection;
};

/** The query string of a connection: the filter, the cursor, then what the transport adds. */
export function roomQuery(request: ConnectionRequest, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (request.severities && request.severities.length > 0) q.set('severity', request.severities.join(','));
  const cursor = request.cursor();
  if (cursor !== undefined) q.set('after', String(cursor));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
