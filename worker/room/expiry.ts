/**
 * Token expiry (docs/rooms.md, "Token expiry") and the room's one alarm, which is the durable
 * timer of both the stats and the expiries: it is set to the earliest of the next stats time
 * (`statsAt` in storage) and the earliest `exp` of the subscribers, and each firing does what is
 * due and sets the next. A subscriber whose `exp` passed gets `error` `token_expired`, then close
 * 4401 (a stream: `event: error`, then the end).
 */
import { CLOSE, type ErrorMessage } from '../../protocol/room.ts';
import { errorFields, log } from '../log.ts';
import { STATS_INTERVAL_MS } from './stats.ts';
import type { Subscriber, SubscriberState } from './subscriber.ts';
import type { Subscribers } from './subscribers.ts';

/**
 * The alarm is never set further ahead than this for an expiry: a token signed with an `exp` far
 * in the future (year 275760, 1e300) must not reach setAlarm as an impossible date. A firing
 * with nothing due simply sets the next one.
 */
export const MAX_ALARM_AHEAD_MS = 24 * 60 * 60 * 1000;

const EXPIRED: ErrorMessage = {
  type: 'error',
  code: 'token_expired',
  message: 'the token of this connection has expired; sign in again and resume with your cursor',
};

/** True when the subscriber's token has expired by `now` (ms). */
export function isExpired(s: Pick<SubscriberState, 'exp'>, now: number): boolean {
  return s.exp !== undefined && s.exp * 1000 <= now;
}

/** When the alarm must fire for a token expiring at `exp` (seconds): then, or a day from `now` at the latest. */
export function expiryAlarmAt(exp: number, now: number): number {
  return Math.min(exp * 1000, now + MAX_ALARM_AHEAD_MS);
}

/** Ends a subscriber whose token expired: `error` `token_expired`, then 4401. */
export function expire(subscribers: Subscribers, s: Subscriber, room: string | undefined): void {
  log('info', 'room closed a subscriber whose token expired', { room, transport: s.transport, user: s.user });
  s.sendExpired(EXPIRED);
  subscribers.drop(s, CLOSE.tokenExpired, 'token expired');
}

export type AlarmHost = {
  readonly storage: DurableObjectStorage;
  readonly subscribers: Subscribers;
  room(): string | undefined;
  /** Sends the stats message; returns when the next one is due (undefined: the room may rest). */
  sendStats(now: number): Promise<number | undefined>;
};

export class RoomAlarm {
  private readonly host: AlarmHost;
  /** The stats alarm is set for this activity burst (an in-memory flag avoids a storage read per batch). */
  private statsArmed = false;

  constructor(host: AlarmHost) {
    this.host = host;
  }

  /** Arms the stats alarm once per activity burst. */
  armStats(): void {
    if (this.statsArmed) return;
    this.statsArmed = true;
    const { storage } = this.host;
    void (async () => {
      let at = await storage.get<number>('statsAt');
      if (at === undefined) {
        at = Date.now() + STATS_INTERVAL_MS;
        await storage.put('statsAt', at);
      }
      await this.noLaterThan(at);
    })().catch((err: unknown) => {
      // stats are best effort; the next activity tries again
      this.statsArmed = false;
      log('warn', 'room stats alarm not set', { room: this.host.room(), ...errorFields(err) });
    });
  }

  /** Makes sure the alarm fires by the time this subscriber's token expires. */
  scheduleExpiry(s: Pick<SubscriberState, 'exp'>): void {
    if (s.exp === undefined) return;
    this.noLaterThan(expiryAlarmAt(s.exp, Date.now())).catch((err: unknown) => {
      // the subscriber is still closed at its next frame or the next alarm; say why it was late
      log('warn', 'room expiry alarm not set', { room: this.host.room(), ...errorFields(err) });
    });
  }

  /** One firing: closes the expired, sends the stats when due, and sets the next alarm. */
  async fire(): Promise<void> {
    this.statsArmed = false;
    const { storage, subscribers } = this.host;
    const now = Date.now();
    let expiredAny = false;
    for (const s of subscribers.list()) {
      if (!isExpired(s, now)) continue;
      expire(subscribers, s, this.host.room());
      expiredAny = true;
    }
    const statsAt = await storage.get<number>('statsAt');
    let nextStats = statsAt;
    // Stats are due at their time; a firing that found no expiry due was for them too (an alarm
    // run early, as tests do, or one whose expiring subscriber has left).
    if (statsAt !== undefined && (statsAt <= now || !expiredAny)) {
      await storage.delete('statsAt');
      nextStats = await this.host.sendStats(now);
      if (nextStats !== undefined) {
        await storage.put('statsAt', nextStats);
        this.statsArmed = true;
      }
    }
    const expiry = nextExpiry(subscribers, now);
    const next = nextStats === undefined ? expiry : expiry === undefined ? nextStats : Math.min(nextStats, expiry);
    if (next !== undefined) await storage.setAlarm(next);
  }

  /** The one alarm only ever moves earlier here; each firing sets the next. */
  private async noLaterThan(at: number): Promise<void> {
    const { storage } = this.host;
    const current = await storage.getAlarm();
    if (current === null || at < current) await storage.setAlarm(at);
  }
}

/** The earliest token expiry among the open subscribers (ms), within MAX_ALARM_AHEAD_MS of `now`. */
export function nextExpiry(subscribers: Iterable<Subscriber>, now: number): number | undefined {
  let next: number | undefined;
  for (const s of subscribers) {
    if (s.exp === undefined || !s.isOpen()) continue;
    const at = expiryAlarmAt(s.exp, now);
    if (next === undefined || at < next) next = at;
  }
  return next;
}
