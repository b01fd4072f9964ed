/**
 * The Worker's side of a room connection's limits: the lease across rooms (CONNECTIONS_PER_TOKEN)
 * is taken here, before the room sees the request, and the headers that tell the room who the
 * subscriber is (`x-qc-user`, `x-qc-exp`, `x-qc-conn`) are set. The room enforces its own
 * per-room cap and gives the lease back when the connection ends (worker/room/handshake.ts).
 *
 * Called by the room routes once their own checks passed, not mounted as route middleware: a
 * route's middleware runs before its validators, and a lease must never be taken for a request
 * that is then refused.
 */
import type { Context } from 'hono';
import { CLOSE, ROOM_SUBPROTOCOL, type ServerMessage } from '../../../protocol/room.ts';
import { acquireConnection } from '../../limiter/connections.ts';
import { CONNECTION_RETRY_SECONDS, refuse } from '../../limiter/refusal.ts';
import type { AppEnv } from '../../types.ts';

/**
 * Takes a connection lease of the caller's token for the room `stub` and writes the subscriber
 * headers into `headers`. Over the cap across rooms: a 429 with `Retry-After` (thrown), or for a
 * browser (it cannot read a refused upgrade) the answer to return, an accepted socket that says
 * `error` `rate_limited` with `details` and closes with 4429. Undefined when the lease is held.
 */
export async function leaseRoomConnection(
  c: Context<AppEnv>,
  stub: { id: DurableObjectId },
  headers: Headers,
  browser: boolean,
): Promise<Response | undefined> {
  const user = c.get('user');
  const lease = await acquireConnection(c.env, user.sub, stub.id.toString());
  if (!lease.ok) {
    const message = `this token has ${lease.open} room connections open (at most ${lease.max}); close one or retry in ${CONNECTION_RETRY_SECONDS} s`;
    if (!browser) refuse('connections', message, CONNECTION_RETRY_SECONDS);
    return refusedSocket(message);
  }
  headers.set('x-qc-user', user.sub);
  headers.set('x-qc-conn', lease.id);
  if (typeof user.exp === 'number') headers.set('x-qc-exp', String(user.exp));
  else headers.delete('x-qc-exp');
  return undefined;
}

/** A browser's refusal: the socket is accepted so that it can read why, then closed with 4429. */
function refusedSocket(message: string): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.send(
    JSON.stringify({
      type: 'error',
      code: 'rate_limited',
      message,
      details: { limit: 'connections', retryAfterSeconds: CONNECTION_RETRY_SECONDS },
    } satisfies ServerMessage),
  );
  server.close(CLOSE.rateLimited, 'too many connections');
  return new Response(null, {
    status: 101,
    webSocket: client,
    headers: { 'sec-websocket-protocol': ROOM_SUBPROTOCOL },
  });
}
