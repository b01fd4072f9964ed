/**
 * Catch-up: a subscriber resuming from a cursor reads `(cursor, lastSeq]` page by page — from D1
 * and, for a cursor older than the hot window, the R2 archive (archive/changefeed.ts), or from the
 * in-memory RecentChanges once its cursor is inside it — while live pushes skip it,
 * and is switched to live in the same synchronous step that sees it has caught up (docs/rooms.md,
 * "Why there is never a gap or a duplicate", rule 3). Replays never block the writer: they run
 * beside it in the room's shared replay slots (ReplaySlots), and a page is not read while the
 * subscriber has more than the replay window unread.
 */
import type { Category } from '../../protocol/enums.ts';
import { CLOSE, type ServerMessage } from '../../protocol/room.ts';
import type { Db } from '../db/client.ts';
import { changesPage } from '../archive/changefeed.ts';
import { errorFields, log } from '../log.ts';
import type { Fanout } from './fanout.ts';
import { framesOf } from './frames.ts';
import type { RoomLimits } from './limits.ts';
import type { RecentChanges } from './recent-changes.ts';
import type { ReplaySlots } from './replay-slots.ts';
import type { Subscriber } from './subscriber.ts';
import type { Subscribers } from './subscribers.ts';

/** How often a replay waiting for its window looks again (ms). */
const WINDOW_POLL_MS = 50;

export type CatchUpHost = {
  readonly db: Db;
  /** The R2 archive, when bound: a cursor older than the hot window replays from it. */
  readonly archive: R2Bucket | undefined;
  readonly limits: RoomLimits;
  readonly recent: RecentChanges;
  readonly replay: ReplaySlots;
  readonly subscribers: Subscribers;
  readonly fanout: Fanout;
  /** The room's category (bound before anyone subscribes). */
  category(): Category;
  /** The room's highest settled seq, read at each step. */
  lastSeq(): number;
};

export class CatchUp {
  private readonly host: CatchUpHost;

  constructor(host: CatchUpHost) {
    this.host = host;
  }

  /** Replays `(cursor, lastSeq]`, then switches the subscriber to live. One loop per subscriber at a time. */
  async run(s: Subscriber): Promise<void> {
    if (s.catchingUp) return;
    s.catchingUp = true;
    const { db, limits, recent, replay, fanout } = this.host;
    const category = this.host.category();
    try {
      for (;;) {
        if (!s.isOpen()) return;
        if (recent.covers(s.cursor)) {
          // Synchronous from here: nothing can be stored and pushed between the read and the switch.
          const tail = recent.after(s.cursor, s.severities);
          s.cursor = this.host.lastSeq();
          s.live = true;
          s.persist();
          fanout.send(s, framesOf(tail, limits.maxFrameBytes));
          return;
        }
        if (!(await this.awaitWindow(s))) return;
        const upTo = this.host.lastSeq();
        const severities = s.severities;
        const from = s.cursor;
        const limit = limits.replayPageEvents;
        const page = await replay.run(s.user, () =>
          changesPage(db, this.host.archive, {
            category,
            after: from,
            upTo,
            severities: severities ?? undefined,
            limit,
          }),
        );
        if (!s.isOpen()) return;
        if (s.severities !== severities || s.cursor !== from) continue; // the filter changed meanwhile: read again
        s.cursor = page.through;
        s.persist();
        if (page.changes.length > 0 && !fanout.send(s, framesOf(page.changes, limits.maxFrameBytes))) return;
      }
    } catch (err) {
      log('error', 'room replay failed', { room: category, cursor: s.cursor, ...errorFields(err) });
      s.send(
        JSON.stringify({
          type: 'error',
          code: 'replay_failed',
          message: 'could not read the room history; reconnect with your cursor',
        } satisfies ServerMessage),
      );
      this.host.subscribers.drop(s, CLOSE.tryAgainLater, 'replay failed');
    } finally {
      s.catchingUp = false;
    }
  }

  /** Waits until the subscriber's unread bytes are under the replay window; sheds it if that takes too long. */
  private async awaitWindow(s: Subscriber): Promise<boolean> {
    const { limits, fanout } = this.host;
    const deadline = Date.now() + limits.replayStallMs;
    while (s.outstanding() > limits.replayWindowBytes) {
      if (!s.isOpen()) return false;
      if (Date.now() >= deadline) {
        fanout.shed(s);
        return false;
      }
      await new Promise((r) => setTimeout(r, WINDOW_POLL_MS));
    }
    return s.isOpen();
  }
}
