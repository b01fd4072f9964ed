/**
 * Room connections (WebSockets and SSE streams) open at once per token, across rooms
 * (CONNECTIONS_PER_TOKEN). The Worker takes a lease before it hands the request to a room; the
 * room gives it back when the connection ends (or refuses it at once: its own per-room cap,
 * bad parameters). The lease names the room, so a release lost with a room is found out
 * (rate-limiter.ts, reconcile).
 */
import { getConfig } from '../config.ts';
import { errorFields, log } from '../log.ts';
import { rateLimiterStub } from './stub.ts';

export type ConnectionLease = { ok: true; id: string } | { ok: false; open: number; max: number };

/** Takes a connection lease of token `sub` for a connection that `room` (a Room object's id) will hold. */
export async function acquireConnection(env: Env, sub: string, room: string): Promise<ConnectionLease> {
  const max = getConfig(env).limits.connectionsPerToken;
  const id = crypto.randomUUID();
  const result = await rateLimiterStub(env, sub).acquire('connection', max, { id, room });
  return result.ok ? { ok: true, id } : { ok: false, open: result.open, max };
}

/** Gives a connection lease back; best effort (a lost release is reconciled at the cap). */
export function releaseConnection(env: Env, sub: string, id: string): Promise<void> {
  return rateLimiterStub(env, sub)
    .release('connection', id)
    .catch((err: unknown) => {
      log('warn', 'connection lease not released; reconciled at the cap', { ...errorFields(err) });
    });
}
