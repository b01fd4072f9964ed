/**
 * The room protocol as the browser receives it. Constants are repeated here (and pinned to
 * protocol/room.ts by wire.test.ts) because importing protocol/room.ts at runtime would pull zod
 * into the dashboard's hot path; types come from the shared modules.
 *
 * Every frame is checked before it is trusted (STYLE.md: every boundary validates): a cheap
 * structural check, not a schema library, because it runs up to hundreds of times a second.
 */
import { CATEGORIES, SEVERITIES, STATUSES } from '../../../protocol/enums.ts';
import type { Category } from '../../../protocol/enums.ts';
import type { Change, QuaycastEvent, Tombstone } from '../../../protocol/event.ts';

export const ROOM_SUBPROTOCOL = 'quaycast.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'bearer.';
/** Close codes with a meaning for the client (protocol/room.ts CLOSE): sign in again; over a connection cap. */
export const CLOSE_TOKEN_EXPIRED = 4401;
export const CLOSE_RATE_LIMITED = 4429;

/** What a room may say to a client, after validation. Unknown types are ignored, never fatal. */
export type RoomMessage =
  | { type: 'hello'; room: Category; connections: number; lastSeq: number }
  | { type: 'events'; events: Change[] }
  | { type: 'presence'; connections: number }
  | { type: 'stats'; connections: number; lastSeq: number; eventsLastMinute?: number }
  | { type: 'error'; code: string; message: string; retryAfterSeconds?: number }
  | { type: 'reconnect'; afterMs: number; reason?: string }
  | { type: 'subscribed'; severities: string[] };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const oneOf = (list: readonly string[], v: unknown) => typeof v === 'string' && list.includes(v);

/** A stored event or a tombstone, checked on the fields the dashboard relies on. */
export function toChange(v: unknown): Change | undefined {
  if (!isObj(v) || !isStr(v.id) || !isInt(v.seq)) return undefined;
  if (v.deleted === true) return v as unknown as Tombstone;
  if (!oneOf(CATEGORIES, v.category) || !oneOf(SEVERITIES, v.severity) || !oneOf(STATUSES, v.status)) return undefined;
  if (!isStr(v.title) || !isStr(v.eventTime)) return undefined;
  return v as unknown as QuaycastEvent;
}

/** Parses one text frame; undefined for anything that is not a well-formed room message. */
export function parseRoomMessage(text: string): RoomMessage | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined; // not JSON (e.g. the `pong` auto-response): not a room message
  }
  if (Array.isArray(data)) {
    const events = data.map(toChange).filter((c): c is Change => c !== undefined);
    return { type: 'events', events };
  }
  if (!isObj(data)) return undefined;
  switch (data.type) {
    case 'hello':
      return isInt(data.lastSeq) && oneOf(CATEGORIES, data.room)
        ? { type: 'hello', room: data.room as Category, connections: isInt(data.connections) ? data.connections : 0, lastSeq: data.lastSeq }
        : undefined;
    case 'events': {
      if (!Array.isArray(data.events)) return undefined;
      const events: Change[] = [];
      for (const raw of data.events) {
        const c = toChange(raw);
        if (c) events.push(c);
      }
      return { type: 'events', events };
    }
    case 'presence':
      return isInt(data.connections) ? { type: 'presence', connections: data.connections } : undefined;
    case 'stats':
      return isInt(data.connections) && isInt(data.lastSeq)
        ? { type: 'stats', connections: data.connections, lastSeq: data.lastSeq, ...(isInt(data.eventsLastMinute) ? { eventsLastMinute: data.eventsLastMinute } : {}) }
        : undefined;
    case 'error': {
      const retry = isObj(data.details) && isInt(data.details.retryAfterSeconds) && data.details.retryAfterSeconds > 0 ? data.details.retryAfterSeconds : undefined;
      return { type: 'error', code: isStr(data.code) ? data.code : 'error', message: isStr(data.message) ? data.message : '', ...(retry === undefined ? {} : { retryAfterSeconds: retry }) };
    }
    case 'reconnect':
      return isInt(data.afterMs) && data.afterMs >= 0 ? { type: 'reconnect', afterMs: data.afterMs, ...(isStr(data.reason) ? { reason: data.reason } : {}) } : undefined;
    case 'subscribed':
      return Array.isArray(data.severities) ? { type: 'subscribed', severities: data.severities.filter(isStr) } : undefined;
    default:
      // SSE and long-poll may carry a bare change instead of a typed message.
      if (data.type === undefined) {
        const c = toChange(data);
        return c ? { type: 'events', events: [c] } : undefined;
      }
      return undefined;
  }
}
