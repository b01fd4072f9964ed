/**
 * The feed: every change the watched rooms sent, merged into the current state of each event.
 * Changes are queued as they arrive and applied once per animation frame (one `batch`, one sort
 * pass), so 500 events/s cost one render per frame, not 500.
 */
import { batch, createSignal } from 'solid-js';
import { createStore, reconcile, unwrap } from 'solid-js/store';
import type { Change, QuaycastEvent } from '../../../protocol/event.ts';
import { admitChange } from '../lib/changefeed.ts';
import { StreamMeter } from '../lib/metrics.ts';

/** Most events held in memory; the oldest fall off (the API still has them). */
export const MAX_FEED_EVENTS = 5000;

export type FeedState = {
  byId: Record<string, QuaycastEvent>;
  /** Local read/unread marks, until the server's state catches up. */
  read: Record<string, boolean>;
  /** Changes dropped because their id+seq was already applied. */
  duplicates: number;
  /** Ids newest first (createdAt, then seq). */
  readonly order: string[];
  /** Bumped once per applied frame: cheap dependency for derived lists. */
  readonly version: number;
};

export type FeedActions = {
  /** Queues live changes for the next frame. */
  enqueue(changes: Change[]): void;
  /** Merges a snapshot (e.g. a list page) right away; stale entries are ignored as for live ones. */
  snapshot(events: Change[]): void;
  /** Applies what is queued now (tests, and before reading the state synchronously). */
  flush(): void;
  /** Optimistic local change; returns the rollback (a no-op once a newer server state arrived). */
  patchLocal(id: string, patch: Partial<QuaycastEvent>): () => void;
  removeLocal(id: string): () => void;
  setRead(id: string, read: boolean): void;
  isRead(e: QuaycastEvent): boolean;
  get(id: string): QuaycastEvent | undefined;
  /** When this event first reached the screen live (ms); undefined for snapshot-loaded ones. */
  arrivedAt(id: string): number | undefined;
  /** Drops events a predicate rejects (e.g. a room no longer watched). */
  prune(keep: (e: QuaycastEvent) => boolean): void;
  meter: StreamMeter;
};

export type FeedOptions = {
  now?: () => number;
  /** Runs the flush before the next paint; requestAnimationFrame in the browser. */
  schedule?: (fn: () => void) => void;
  max?: number;
};

const newerFirst = (a: QuaycastEvent, b: QuaycastEvent): number => {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  return ta !== tb ? tb - ta : b.seq - a.seq;
};

function frameScheduler(fn: () => void): void {
  // rAF does not run in a hidden tab: fall back to a timer so memory stays bounded there too.
  if (typeof document !== 'undefined' && document.hidden) setTimeout(fn, 250);
  else requestAnimationFrame(() => fn());
}

export function createFeedStore(opts: FeedOptions = {}): [FeedState, FeedActions] {
  const now = opts.now ?? Date.now;
  const schedule = opts.schedule ?? frameScheduler;
  const max = opts.max ?? MAX_FEED_EVENTS;
  const [order, setOrder] = createSignal<string[]>([]);
  const [version, setVersion] = createSignal(0);
  const [state, setState] = createStore<FeedState>({
    byId: {},
    read: {},
    duplicates: 0,
    get order() {
      return order();
    },
    get version() {
      return version();
    },
  });
  const known = new Map<string, number>();
  /** First live arrival per id (for the detail panel's pipeline stages); bounded with the feed. */
  const arrived = new Map<string, number>();
  const meter = new StreamMeter();
  let queue: Change[] = [];
  let scheduled = false;

  function apply(changes: Change[], live: boolean): void {
    if (changes.length === 0) return;
    const raw = unwrap(state.byId);
    const present = (id: string) => id in raw;
    const inserted: QuaycastEvent[] = [];
    const deleted = new Set<string>();
    let dupes = 0;
    const t = now();
    batch(() => {
      for (const c of changes) {
        const outcome = admitChange(known, present, c);
        if (outcome === 'stale') {
          dupes++;
          continue;
        }
        if (outcome === 'delete') {
          setState('byId', c.id, undefined!);
          deleted.add(c.id);
          continue;
        }
        const e = c as QuaycastEvent;
        if (outcome === 'insert') {
          setState('byId', e.id, live ? e : reconcile(e, { key: 'id' }));
          inserted.push(e);
          if (live) arrived.set(e.id, t);
          meter.minute(Date.parse(e.createdAt), t);
          // Only fresh events measure the pipeline; a replay of old ones would not.
          if (live && t - Date.parse(e.receivedAt) < 30_000) meter.latency(t - Date.parse(e.eventTime));
        } else {
          const prev = raw[e.id] as (QuaycastEvent & { read?: boolean }) | undefined;
          const withRead = 'read' in e || prev?.read === undefined ? e : { ...e, read: prev.read };
          setState('byId', e.id, reconcile(withRead, { key: 'id' }));
          // the server's read state now wins over a local mark
          if ('read' in e) setState('read', e.id, undefined!);
        }
      }
      if (live) meter.arrived(changes.length - dupes, t);
      if (dupes) setState('duplicates', (d) => d + dupes);
      if (inserted.length || deleted.size) {
        let next = deleted.size ? order().filter((id) => !deleted.has(id)) : order().slice();
        next = mergeNewestFirst(next, inserted, raw);
        if (next.length > max) {
          for (const id of next.slice(max)) {
            setState('byId', id, undefined!);
            setState('read', id, undefined!);
            arrived.delete(id);
          }
          next = next.slice(0, max);
        }
        setOrder(next);
      }
      setVersion((v) => v + 1);
    });
  }

  function mergeNewestFirst(ids: string[], fresh: QuaycastEvent[], byId: Record<string, QuaycastEvent>): string[] {
    if (fresh.length === 0) return ids;
    fresh.sort(newerFirst);
    // Mostly the fresh ones are newer than everything held: a merge of two sorted lists.
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < ids.length || j < fresh.length) {
      const held = i < ids.length ? byId[ids[i]!] : undefined;
      if (i < ids.length && !held) {
        i++;
        continue;
      }
      if (j < fresh.length && (!held || newerFirst(fresh[j]!, held) <= 0)) out.push(fresh[j++]!.id);
      else out.push(ids[i++]!);
    }
    return out;
  }

  const actions: FeedActions = {
    enqueue(changes) {
      queue.push(...changes);
      if (!scheduled) {
        scheduled = true;
        schedule(() => actions.flush());
      }
    },
    snapshot(events) {
      apply(events, false);
    },
    flush() {
      scheduled = false;
      const q = queue;
      queue = [];
      apply(q, true);
    },
    patchLocal(id, patch) {
      const before = state.byId[id] ? structuredClone(unwrap(state.byId[id])) : undefined;
      if (!before) return () => {};
      setState('byId', id, patch);
      return () => {
        const current = state.byId[id];
        if (current && current.seq === before.seq) setState('byId', id, reconcile(before, { key: 'id' }));
      };
    },
    removeLocal(id) {
      const before = state.byId[id] ? structuredClone(unwrap(state.byId[id])) : undefined;
      if (!before) return () => {};
      const at = order().indexOf(id);
      batch(() => {
        setState('byId', id, undefined!);
        setOrder(order().filter((x) => x !== id));
        setVersion((v) => v + 1);
      });
      return () => {
        if ((known.get(id) ?? -1) > before.seq || state.byId[id]) return; // the server moved on
        batch(() => {
          setState('byId', id, before);
          const next = order().slice();
          next.splice(Math.max(0, at), 0, id);
          setOrder(next);
          setVersion((v) => v + 1);
        });
      };
    },
    setRead(id, read) {
      setState('read', id, read);
    },
    isRead(e) {
      const local = state.read[e.id];
      if (local !== undefined) return local;
      return (e as QuaycastEvent & { read?: boolean }).read ?? false;
    },
    get(id) {
      return state.byId[id];
    },
    arrivedAt(id) {
      return arrived.get(id);
    },
    prune(keep) {
      const raw = unwrap(state.byId);
      const drop = order().filter((id) => raw[id] && !keep(raw[id]));
      if (drop.length === 0) return;
      const gone = new Set(drop);
      batch(() => {
        for (const id of drop) {
          setState('byId', id, undefined!);
          known.delete(id); // may come back through a new subscription's snapshot
        }
        setOrder(order().filter((id) => !gone.has(id)));
        setVersion((v) => v + 1);
      });
    },
    meter,
  };
  return [state, actions];
}
