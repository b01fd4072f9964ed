/**
 * Reading what a room sends (protocol/room.ts `ServerMessage`), without a schema library: a
 * cheap structural check, because a dashboard runs it up to hundreds of times a second and its
 * main bundle carries no zod. Every frame is checked before it is trusted (STYLE.md: every
 * boundary validates); what comes out has exactly the fields of its type, nothing else.
 *
 * The Worker's room tests read every frame the real rooms send through `parseServerMessage`
 * and require it to come out unchanged, so the server and this reader cannot drift apart.
 */
import { CATEGORIES, SEVERITIES, STATUSES, type Category, type Severity } from './enums.ts';
import type { Change, QuaycastEvent, Tombstone } from './event.ts';
import { RECONNECT_REASONS, type RateLimitDetails, type ReconnectReason, type ServerMessage } from './room.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isCount = (v: unknown): v is number => isInt(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (list as readonly string[]).includes(v);

/**
 * A stored event or a tombstone, checked on the fields a client relies on (id, seq, category,
 * and for an event severity, status, title and eventTime); undefined for anything else. The
 * value itself is returned, not a copy: events are large and come by the thousand.
 */
export function toChange(v: unknown): Change | undefined {
  if (!isObj(v) || !isStr(v.id) || !isCount(v.seq) || !oneOf(CATEGORIES, v.category)) return undefined;
  if (v.deleted === true) return v as unknown as Tombstone;
  if (!oneOf(SEVERITIES, v.severity) || !oneOf(STATUSES, v.status) || !isStr(v.title) || !isStr(v.eventTime))
    return undefined;
  return v as unknown as QuaycastEvent;
}

function rateLimitDetails(v: unknown): RateLimitDetails | undefined {
  return isObj(v) && isStr(v.limit) && isCount(v.retryAfterSeconds)
    ? { limit: v.limit, retryAfterSeconds: v.retryAfterSeconds }
    : undefined;
}

/**
 * One parsed frame as a server message, or undefined when it is none. Changes that fail
 * `toChange` are left out of an `events` message (the others still count); unknown types are
 * undefined, never an error, so a newer server's additions are ignored by an older client.
 */
export function toServerMessage(data: unknown): ServerMessage | undefined {
  if (!isObj(data)) return undefined;
  switch (data.type) {
    case 'hello':
      return oneOf(CATEGORIES, data.room) && isCount(data.connections) && isCount(data.lastSeq)
        ? { type: 'hello', room: data.room as Category, connections: data.connections, lastSeq: data.lastSeq }
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
      return isCount(data.connections) ? { type: 'presence', connections: data.connections } : undefined;
    case 'stats':
      return oneOf(CATEGORIES, data.room) &&
        isCount(data.lastSeq) &&
        isCount(data.connections) &&
        isCount(data.eventsLastMinute) &&
        isStr(data.at)
        ? {
            type: 'stats',
            room: data.room,
            lastSeq: data.lastSeq,
            connections: data.connections,
            eventsLastMinute: data.eventsLastMinute,
            at: data.at,
          }
        : undefined;
    case 'error': {
      if (!isStr(data.code) || !isStr(data.message)) return undefined;
      const details = rateLimitDetails(data.details);
      return { type: 'error', code: data.code, message: data.message, ...(details ? { details } : {}) };
    }
    case 'reconnect':
      return isCount(data.afterMs) && oneOf(RECONNECT_REASONS, data.reason)
        ? { type: 'reconnect', afterMs: data.afterMs, reason: data.reason as ReconnectReason }
        : undefined;
    case 'subscribed':
      return Array.isArray(data.severities) && data.severities.every((s) => oneOf(SEVERITIES, s)) && isCount(data.seq)
        ? { type: 'subscribed', severities: data.severities as Severity[], seq: data.seq }
        : undefined;
    default:
      return undefined;
  }
}

/** One text frame as a server message; undefined for text that is not one (the `pong` auto-response, bad JSON, …). */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined; // not JSON: not a room message
  }
  return toServerMessage(data);
}
