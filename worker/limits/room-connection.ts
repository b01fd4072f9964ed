/**
 * The Worker's side of a room connection's limits: the lease across rooms (CONNECTIONS_PER_TOKEN)
 * is taken here, before the room sees the request, and the headers that tell the room who the
 * subscriber is (`x-qc-user`, `x-qc-exp`, `x-qc-conn`) are set. The room enforces its own
 * per-room cap and gives the lease back when the connection ends.
 */
import type { Claims } from '../../protocol/jwt.ts';
import { CLOSE, ROOM_SUBPROTOCOL, type ServerMessage } from '../../protocol/room.ts';
import { acquireConnection } from './connections.ts';
import { CONNECTION_RETRY_SECONDS, refuse } from './refusal.ts';

export type TakenConnection = { ok: true } | { ok: false; message: string };

/**
 * Takes a connection lease of `user` for the room `stub` and writes the subscriber headers into
 * `headers`; `{ ok: false }` when the token is at its cap across rooms.
 */
export async function takeConnection(env: Env, user: Pick<Claims, 'sub' | 'exp'>, stub: { id: DurableObjectId }, headers: Headers): Promise<TakenConnection> {
  const lease = await acquireConnection(env, user.sub, stub.id.toString());
  if (!lease.ok) return { ok: false, message: `this token has ${lease.open} room connections open (at most ${lease.max}); close one or retry in ${CONNECTION_RETRY_SECONDS} s` };
  headers.set('x-qc-user', user.sub);
  headers.set('x-qc-conn', lease.id);
  if (typeof user.exp === 'number') headers.set('x-qc-exp', String(user.exp));
  else headers.delete('x-qc-exp');
  return { ok: true };
}

/**
 * The refusal of a connection over the cap across rooms: 429 with `Retry-After`, or for a
 * browser (it cannot read a refused upgrade) an accepted socket that says `error` `rate_limited`
 * with `details` and closes with 4429.
 */
export function refuseConnection(refused: { message: string }, browser: boolean): Response {
  if (!browser) refuse('connections', refused.message, CONNECTION_RETRY_SECONDS);
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.send(JSON.stringify({ type: 'error', code: 'rate_limited', message: refused.message, details: { limit: 'connections', retryAfterSeconds: CONNECTION_RETRY_SECONDS } } satisfies ServerMessage));
  server.close(CLOSE.rateLimited, 'too many connections');
  return new Response(null, { status: 101, webSocket: client, headers: { 'sec-websocket-protocol': ROOM_SUBPROTOCOL } });
}
