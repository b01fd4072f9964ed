/**
 * The dashboard's offline copy in IndexedDB (docs/mobile.md), through `idb` (a small, maintained
 * promise wrapper; the raw API's request/event plumbing is where hand-written stores go wrong):
 *
 * - `feed`: the newest events shown (at most FEED_KEEP), with when they were saved while live;
 * - `cursors`: each room's last applied seq, the `?after=` it resumes from;
 * - `details`: recently opened events with their history (at most DETAILS_KEEP, oldest dropped);
 * - `actions`: workflow actions queued while offline (web/src/stores/outbox.ts).
 *
 * Every call fails soft (returns undefined / does nothing) when IndexedDB is missing or refuses,
 * e.g. in a private window with storage blocked: the dashboard then simply works online only.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { Category } from '../../../protocol/enums.ts';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import type { HistoryEntry } from '../../../protocol/history.ts';
import type { WorkflowAction } from '../../../protocol/workflow.ts';

export const FEED_KEEP = 500;
export const DETAILS_KEEP = 50;

/** A workflow action waiting to be sent (its id makes the Worker apply it once). */
export type QueuedAction = {
  actionId: string;
  eventId: string;
  kind: WorkflowAction;
  body: Record<string, unknown>;
  /** The event's seq the user acted on (If-Match on send). */
  seq: number;
  queuedAt: number;
  /** Set once the Worker refused it as a conflict: kept to be shown, not resent. */
  conflict?: string;
};

interface OfflineSchema extends DBSchema {
  feed: { key: 'latest'; value: { events: QuaycastEvent[]; savedAt: number } };
  cursors: { key: Category; value: { category: Category; seq: number; savedAt: number } };
  details: {
    key: string;
    value: { id: string; event: QuaycastEvent; history: HistoryEntry[] | undefined; savedAt: number };
    indexes: { savedAt: number };
  };
  actions: { key: string; value: QueuedAction; indexes: { queuedAt: number } };
  /** `owner`: the token `sub` the copy belongs to. */
  meta: { key: 'owner'; value: { sub: string } };
}

let dbp: Promise<IDBPDatabase<OfflineSchema> | undefined> | undefined;

function db(): Promise<IDBPDatabase<OfflineSchema> | undefined> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(undefined);
  dbp ??= openDB<OfflineSchema>('quaycast-offline', 2, {
    upgrade(d, oldVersion) {
      if (oldVersion < 1) {
        d.createObjectStore('feed');
        d.createObjectStore('cursors', { keyPath: 'category' });
        d.createObjectStore('details', { keyPath: 'id' }).createIndex('savedAt', 'savedAt');
        d.createObjectStore('actions', { keyPath: 'actionId' }).createIndex('queuedAt', 'queuedAt');
      }
      if (oldVersion < 2) d.createObjectStore('meta');
    },
  }).catch(() => undefined);
  return dbp;
}

async function soft<T>(fn: (d: IDBPDatabase<OfflineSchema>) => Promise<T>): Promise<T | undefined> {
  try {
    const d = await db();
    return d ? await fn(d) : undefined;
  } catch {
    return undefined;
  }
}

const STORES = ['feed', 'cursors', 'details', 'actions', 'meta'] as const;
let owner: { sub: string; ready: Promise<unknown> } | undefined;

export const offlineDb = {
  /**
   * Makes the copy `sub`'s: a copy another user left (same browser profile) is deleted first, its
   * feed, cursors, details and unsent actions (those could not be sent as that user anyway).
   * Every read and write of the stores below waits for it.
   */
  claim(sub: string): Promise<unknown> {
    if (owner?.sub === sub) return owner.ready;
    const ready = soft(async (d) => {
      const current = await d.get('meta', 'owner');
      if (current && current.sub !== sub) for (const s of STORES) await d.clear(s);
      await d.put('meta', { sub }, 'owner');
    });
    owner = { sub, ready };
    return ready;
  },
  loadFeed: () => soft((d) => d.get('feed', 'latest')),
  saveFeed: (events: QuaycastEvent[], savedAt: number) =>
    soft((d) => d.put('feed', { events: events.slice(0, FEED_KEEP), savedAt }, 'latest')),
  loadCursors: () => soft((d) => d.getAll('cursors')),
  saveCursor: (category: Category, seq: number, savedAt: number) =>
    soft((d) => d.put('cursors', { category, seq, savedAt })),
  loadDetail: (id: string) => soft((d) => d.get('details', id)),
  async saveDetail(event: QuaycastEvent, history: HistoryEntry[] | undefined, savedAt: number) {
    await soft(async (d) => {
      await d.put('details', { id: event.id, event, history, savedAt });
      const keys = await d.getAllKeysFromIndex('details', 'savedAt');
      const drop = keys.slice(0, Math.max(0, keys.length - DETAILS_KEEP));
      await Promise.all(drop.map((k) => d.delete('details', k)));
    });
  },
  queuedActions: async () => (await soft((d) => d.getAllFromIndex('actions', 'queuedAt'))) ?? [],
  putAction: (a: QueuedAction) => soft((d) => d.put('actions', a)),
  deleteAction: (actionId: string) => soft((d) => d.delete('actions', actionId)),
  /** Tests: forget everything. */
  clear: () =>
    soft(async (d) => {
      for (const s of STORES) await d.clear(s);
    }),
};
