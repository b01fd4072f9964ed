/**
 * Where a request carries its credential (worker/middleware/auth): the Authorization header; the
 * `bearer.<jwt>` WebSocket subprotocol (browsers' sockets cannot send headers, and a subprotocol
 * keeps the token out of URLs and so out of access logs); the `qc_session` cookie (EventSource and
 * long-polls send it by themselves). Pure: it reads headers and nothing else.
 */
import { parse as parseCookie } from 'hono/utils/cookie';
import { ROOM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../../../protocol/room.ts';
import { SESSION_ID_PATTERN } from '../../db/sessions.ts';

/** The browser session cookie (POST /api/session); its value is an opaque id, never a token. */
export const SESSION_COOKIE = 'qc_session';

/** Longest Cookie header read for the session (a browser's whole jar for this site is far smaller). */
const MAX_COOKIE_HEADER_CHARS = 8192;

/** What a request authenticates with. */
export type Credential =
  | { kind: 'bearer'; token: string }
  | { kind: 'session'; id: string }
  | { kind: 'malformed'; message: string }
  | { kind: 'none' };

/**
 * Where a request carries its credential. The Authorization header first; browsers' WebSockets
 * cannot send headers, so the dashboard offers its token as a `bearer.<jwt>` subprotocol (kept out
 * of URLs and so out of access logs); EventSource and long-polls send the session cookie.
 */
export function credentialOf(req: Request): Credential {
  const header = req.headers.get('authorization');
  if (header !== null) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m
      ? { kind: 'bearer', token: m[1]! }
      : { kind: 'malformed', message: 'the Authorization header is not "Bearer <token>"' };
  }
  const protocols = req.headers.get('sec-websocket-protocol');
  if (protocols) {
    for (const p of protocols.split(',')) {
      const v = p.trim();
      if (v.startsWith(TOKEN_SUBPROTOCOL_PREFIX))
        return { kind: 'bearer', token: v.slice(TOKEN_SUBPROTOCOL_PREFIX.length) };
    }
  }
  return sessionCredentialOf(req.headers.get('cookie'));
}

/** The session cookie of a Cookie header: a well-formed id, malformed (too long, repeated, not an id), or none. */
export function sessionCredentialOf(cookie: string | null | undefined): Credential {
  if (cookie?.includes(SESSION_COOKIE)) {
    if (cookie.length > MAX_COOKIE_HEADER_CHARS)
      return { kind: 'malformed', message: `the Cookie header is longer than ${MAX_COOKIE_HEADER_CHARS} characters` };
    const names = cookie.split(';').filter((pair) => pair.split('=')[0]!.trim() === SESSION_COOKIE).length;
    if (names > 1) return { kind: 'malformed', message: `more than one ${SESSION_COOKIE} cookie` };
    if (names === 1) {
      const id = sessionCookieValue(cookie);
      return id !== undefined && SESSION_ID_PATTERN.test(id)
        ? { kind: 'session', id }
        : { kind: 'malformed', message: `the ${SESSION_COOKIE} cookie is not a session id` };
    }
  }
  return { kind: 'none' };
}

/** The session cookie's value, parsed by hono's cookie parser (tolerant of bad percent-encoding). */
function sessionCookieValue(cookie: string): string | undefined {
  return parseCookie(cookie, SESSION_COOKIE)[SESSION_COOKIE];
}

/** True when the client offered the room subprotocol (so the answer must name it). */
export function offersRoomProtocol(req: Request): boolean {
  return (req.headers.get('sec-websocket-protocol') ?? '').split(',').some((p) => p.trim() === ROOM_SUBPROTOCOL);
}
