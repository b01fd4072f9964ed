/**
 * The room protocol (DESIGN.md, "Rooms"): JSON text frames between a category room and its
 * clients, the same over WebSocket and SSE `data:` lines. Messages are discriminated unions on
 * `type`; the server sends them with `satisfies ServerMessage`, a client reads them through
 * protocol/server-message.ts, and the room validates every client message with
 * protocol/schemas/room.ts before trusting it.
 */
import { SEVERITIES, type Category, type Severity } from './enums.ts';
import { isTombstone, type Change } from './event.ts';
import { parseFilterList } from './filter-list.ts';

export type HelloMessage = { type: 'hello'; room: Category; connections: number; lastSeq: number };
/** Changes in seq order (always an array; replayed ones first, then live ones). */
export type EventsMessage = { type: 'events'; events: Change[] };
export type PresenceMessage = { type: 'presence'; connections: number };
/** Sent periodically: cheap figures of the room; `at` is the room's clock (ISO-8601). */
export type StatsMessage = {
  type: 'stats';
  room: Category;
  lastSeq: number;
  connections: number;
  eventsLastMinute: number;
  at: string;
};
/** Which connection cap refused a connection, and when to come back. */
export type RateLimitDetails = { limit: string; retryAfterSeconds: number };
/**
 * Something went wrong for this client. `token_expired` (then close 4401) means sign in again;
 * `rate_limited` (then close 4429) carries the limit's name and when to try again.
 */
export type ErrorMessage = { type: 'error'; code: string; message: string; details?: RateLimitDetails };
/** Why a room asked a client to reconnect: an admin drain (deploy), a slow consumer, an overloaded room. */
export const RECONNECT_REASONS = ['drain', 'slow_consumer', 'overload'] as const;
export type ReconnectReason = (typeof RECONNECT_REASONS)[number];
/** Sent before the room closes sockets on purpose (deploy, overload): come back later with your cursor. */
export type ReconnectMessage = { type: 'reconnect'; afterMs: number; reason: ReconnectReason };
/**
 * Answer to `subscribe`: the filter now in force. It applies to every change above `seq`
 * (the socket's cursor when the filter changed); older changes are not replayed under it.
 */
export type SubscribedMessage = { type: 'subscribed'; severities: Severity[]; seq: number };

/** Everything a room sends a client. */
export type ServerMessage =
  | HelloMessage
  | EventsMessage
  | PresenceMessage
  | StatsMessage
  | ErrorMessage
  | ReconnectMessage
  | SubscribedMessage;

/** Changes the socket's severity filter (an empty list: nothing but tombstones). */
export type SubscribeMessage = { type: 'subscribe'; severities: Severity[] };
/**
 * Flow control: "I have processed everything up to `seq`". Resets the socket's unacknowledged
 * byte count (see docs/rooms.md, slow clients). The dashboard sends one at most every 200 ms;
 * the text `ping` counts as a coarser acknowledgement.
 */
export type AckMessage = { type: 'ack'; seq: number };
/** Everything a client may send a room (besides the text `ping`). */
export type ClientMessage = SubscribeMessage | AckMessage;

/** True when a change passes a severity filter (null = all). Tombstones always pass: a client must learn of a delete. */
export function changeMatches(change: Change, severities: readonly Severity[] | null | undefined): boolean {
  return !severities || isTombstone(change) || severities.includes(change.severity);
}

/** Parses a resume cursor (`after`, `Last-Event-ID`): undefined when absent, null when invalid. */
export function parseCursor(value: string | null | undefined): number | undefined | null {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (!/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}

/** Largest client frame a room accepts; anything bigger is abuse (close 1009). */
export const MAX_CLIENT_FRAME_BYTES = 4096;

/** WebSocket subprotocol of the room protocol, and the prefix carrying a browser's token. */
export const ROOM_SUBPROTOCOL = 'quaycast.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'bearer.';

/** Parses `severity=Critical,High` (case-insensitive, repeats folded); undefined for "all", null when invalid. */
export function parseSeverityList(value: string | null | undefined): Severity[] | undefined | null {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  return parseFilterList(value, (part) => SEVERITIES.find((s) => s.toLowerCase() === part.toLowerCase())) ?? null;
}

/** Close codes the rooms use. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  /** Deploy / admin drain: reconnect (after the `reconnect` message's `afterMs`) with your cursor. */
  serviceRestart: 1012,
  /** Overload or slow consumer: reconnect later with your cursor. */
  tryAgainLater: 1013,
  /** The token's `exp` passed (after an `error` `token_expired`): sign in again, then resume with your cursor. */
  tokenExpired: 4401,
  /** A connection cap of the token (after an `error` `rate_limited` with `details`): come back after `retryAfterSeconds`. */
  rateLimited: 4429,
} as const;
