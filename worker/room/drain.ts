/**
 * Closing subscribers on purpose, with a `reconnect` message that tells each when to come back
 * with its cursor (docs/rooms.md, "Drain" and "Slow clients"): one subscriber shed (a slow
 * consumer, 1013), or all of them drained (a deploy, 1012). The delays are jittered so that the
 * clients do not come back as a storm.
 */
import { CLOSE, type ReconnectMessage, type ReconnectReason } from '../../protocol/room.ts';
import { log } from '../log.ts';
import type { RoomLimits } from './limits.ts';
import type { Subscriber } from './subscriber.ts';
import type { Subscribers } from './subscribers.ts';

/** Longest spread a drain may ask for. */
export const MAX_DRAIN_SPREAD_MS = 60_000;

/** `reconnect` with `afterMs` drawn uniformly from [minMs, minMs + spreadMs). */
export function reconnectMessage(
  reason: ReconnectReason,
  minMs: number,
  spreadMs: number,
  random: () => number = Math.random,
): ReconnectMessage {
  return { type: 'reconnect', afterMs: minMs + Math.floor(random() * spreadMs), reason };
}

/** Asks one subscriber to come back later with its cursor, then closes it with `code`. */
export function shed(
  subscribers: Subscribers,
  s: Subscriber,
  reason: ReconnectReason,
  code: number,
  limits: RoomLimits,
  room: string | undefined,
): void {
  s.sendReconnect(reconnectMessage(reason, limits.reconnectMinMs, limits.reconnectSpreadMs));
  log('info', 'room shed subscriber', { room, reason, transport: s.transport, user: s.user, cursor: s.cursor });
  subscribers.drop(s, code, reason);
}

/**
 * Deploy-aware reconnect: every subscriber is sent `reconnect` with its own delay within
 * `spreadMs` (default `reconnectSpreadMs`, at most a minute), then closed with 1012. Returns how many.
 */
export function drainAll(
  subscribers: Subscribers,
  reason: ReconnectReason,
  spreadMs: number | undefined,
  limits: RoomLimits,
): number {
  const spread = Math.max(0, Math.min(spreadMs ?? limits.reconnectSpreadMs, MAX_DRAIN_SPREAD_MS));
  let closed = 0;
  for (const s of subscribers.list()) {
    s.sendReconnect(reconnectMessage(reason, limits.reconnectMinMs, spread));
    subscribers.drop(s, CLOSE.serviceRestart, reason);
    closed++;
  }
  return closed;
}
