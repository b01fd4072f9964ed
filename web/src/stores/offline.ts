/**
 * The offline copy's life (docs/mobile.md): at start the last saved feed is shown at once (merged
 * like a snapshot, so a live copy of the same event never shows twice) and each room's stored
 * cursor is handed to the connection store, which resumes from it when no fresh snapshot can be
 * had; while any room is live the feed (newest FEED_KEEP) and the cursors are saved, at most
 * every SAVE_MS. `savedAt` says how old what is shown is, for the offline banner.
 */
import { createEffect, createSignal, on, onCleanup } from 'solid-js';
import { unwrap } from 'solid-js/store';
import type { Category } from '../../../protocol/enums.ts';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import { FEED_KEEP, offlineDb } from '../lib/offline-db.ts';
import type { ConnectionState } from './connection.ts';
import type { FeedActions, FeedState } from './feed.ts';

export const SAVE_MS = 1000;

export type OfflineState = {
  /** When what is shown was last received live (ms); undefined before anything was saved. */
  savedAt: () => number | undefined;
  /** The feed shown came from the local copy and no room has been live since. */
  restored: () => boolean;
};

export type OfflineActions = {
  /** The cursor a room stored when it was last live (resolved once the copy is read). */
  storedCursor(c: Category): Promise<number | undefined>;
};

export function createOfflineStore(deps: {
  feed: [FeedState, FeedActions];
  connection: ConnectionState;
  /** False under component tests: nothing is read or saved. */
  enabled: boolean;
  /** The signed-in user (token `sub`): the copy is theirs only (offlineDb.claim). */
  user: () => string | undefined;
  now?: () => number;
}): [OfflineState, OfflineActions] {
  const now = deps.now ?? Date.now;
  const [feed, feedActions] = deps.feed;
  const [savedAt, setSavedAt] = createSignal<number>();
  const [restored, setRestored] = createSignal(false);
  const anyLive = () => Object.values(deps.connection.rooms).some((r) => r?.state === 'open');

  const cursors = (async () => {
    const sub = deps.user();
    if (!deps.enabled || !sub) return new Map<Category, number>();
    await offlineDb.claim(sub);
    const [saved, stored] = await Promise.all([offlineDb.loadFeed(), offlineDb.loadCursors()]);
    if (saved && saved.events.length > 0) {
      feedActions.snapshot(saved.events);
      setSavedAt(saved.savedAt);
      if (!anyLive()) setRestored(true);
    }
    return new Map((stored ?? []).map((c) => [c.category, c.seq]));
  })();

  let timer: ReturnType<typeof setTimeout> | undefined;
  function save(): void {
    timer = undefined;
    if (!deps.enabled || !anyLive()) return;
    const raw = unwrap(feed.byId);
    const events = feed.order
      .slice(0, FEED_KEEP)
      .map((id) => raw[id])
      .filter((e): e is QuaycastEvent => e !== undefined);
    const t = now();
    const sub = deps.user();
    if (!sub) return;
    setSavedAt(t);
    const rooms = Object.entries(deps.connection.rooms).flatMap(([c, r]) =>
      r?.cursor != null ? [[c as Category, r.cursor] as const] : [],
    );
    void offlineDb.claim(sub).then(async () => {
      await offlineDb.saveFeed(events, t);
      for (const [c, seq] of rooms) await offlineDb.saveCursor(c, seq, t);
    });
  }
  createEffect(
    on(
      () => [feed.version, anyLive()] as const,
      ([, live]) => {
        if (live) setRestored(false);
        if (live && timer === undefined) timer = setTimeout(save, SAVE_MS);
      },
    ),
  );
  onCleanup(() => clearTimeout(timer));

  return [
    { savedAt, restored },
    {
      async storedCursor(c) {
        return (await cursors).get(c);
      },
    },
  ];
}
