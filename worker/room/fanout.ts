/**
 * Fan-out: every settled change to every live subscriber whose filter matches, in seq order
 * (docs/rooms.md, "Fan-out under load"). Flushes are spaced by the send window
 * (send-window.ts: at once when quiet, as far apart as the room's send budget needs under load,
 * never more than `maxSendDelayMs`; changes settled meanwhile go out together), each distinct
 * filter is serialized once, every send is guarded, and a subscriber that does not read is shed.
 */
import type { Change } from '../../protocol/event.ts';
import { CLOSE, changeMatches } from '../../protocol/room.ts';
import { shed } from './drain.ts';
import { framesOf, type Frame } from './frames.ts';
import type { RoomLimits } from './limits.ts';
import { SendWindow } from './send-window.ts';
import type { Subscriber } from './subscriber.ts';
import type { Subscribers } from './subscribers.ts';

export class Fanout {
  private readonly subscribers: Subscribers;
  private readonly limits: RoomLimits;
  private readonly room: () => string | undefined;
  /** Settled changes waiting for the next frame. */
  private pending: Change[] = [];
  private pendingUpTo = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly window = new SendWindow();

  constructor(subscribers: Subscribers, limits: RoomLimits, room: () => string | undefined) {
    this.subscribers = subscribers;
    this.limits = limits;
    this.room = room;
  }

  /**
   * Queues settled changes for the next frame: at once after a quiet spell (leading edge), else
   * when the send window says (a pending flush takes them along). Safe for ordering: every subscriber's cursor filters
   * what it is sent, so one that went live between a settle and its flush (its catch-up already
   * covered those seqs) gets nothing twice.
   */
  queue(changes: Change[], upTo: number): void {
    for (const c of changes) this.pending.push(c);
    this.pendingUpTo = upTo;
    if (this.flushTimer !== undefined) return;
    const wait = this.window.waitMs(Date.now(), this.limits);
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const changes = this.pending;
    this.pending = [];
    const sends = this.broadcast(changes, this.pendingUpTo);
    this.window.flushed(Date.now(), sends, this.limits);
  }

  /**
   * Pushes stored changes (seq order) to every live subscriber whose filter matches. Never throws.
   * Returns the number of frames it sent (what the send budget counts).
   */
  private broadcast(changes: Change[], upTo: number): number {
    let sends = 0;
    const first = changes[0]?.seq ?? upTo + 1;
    const byFilter = new Map<string, Frame[]>();
    for (const s of this.subscribers.list()) {
      if (!s.live) continue;
      let frames: Frame[];
      if (s.cursor < first) {
        // The common case: one serialization per distinct filter, shared by every subscriber.
        const key = s.severities ? s.severities.join(',') : '*';
        let cached = byFilter.get(key);
        if (!cached) {
          cached = framesOf(
            changes.filter((c) => changeMatches(c, s.severities)),
            this.limits.maxFrameBytes,
          );
          byFilter.set(key, cached);
        }
        frames = cached;
      } else {
        frames = framesOf(
          changes.filter((c) => c.seq > s.cursor && changeMatches(c, s.severities)),
          this.limits.maxFrameBytes,
        );
      }
      s.cursor = Math.max(s.cursor, upTo);
      sends += frames.length;
      this.send(s, frames);
    }
    return sends;
  }

  /** Sends `events` frames to one subscriber and applies the slow-consumer bound. False when it was dropped. */
  send(s: Subscriber, frames: Frame[]): boolean {
    for (const f of frames) {
      if (!s.send(f.json, f.lastSeq)) return false;
    }
    if (frames.length > 0 && s.outstanding(this.limits.maxUnackedBytes) > this.limits.maxUnackedBytes) {
      this.shed(s);
      return false;
    }
    return true;
  }

  /** Sheds a subscriber that does not read: `reconnect` (slow_consumer), then 1013. */
  shed(s: Subscriber): void {
    shed(this.subscribers, s, 'slow_consumer', CLOSE.tryAgainLater, this.limits, this.room());
  }

  /** The streams' heartbeat (`: hb <lastSeq>`): a stream that has not read past the bound is shed instead. */
  beat(lastSeq: number): void {
    for (const s of this.subscribers.streamList()) {
      if (s.outstanding() > this.limits.maxUnackedBytes) this.shed(s);
      else s.beat(`hb ${lastSeq}`);
    }
  }
}
