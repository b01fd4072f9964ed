/**
 * The watched rooms: one RoomClient per subscribed category, each started from a snapshot of the
 * newest events (GET /api/events) and resumed from that snapshot's highest seq, so the list and
 * the live stream join without a gap.
 *
 * When the token expires (contract 4) the rooms stop where they are (`expired`, cursors kept) and
 * the store says so once through `onTokenExpired`; `resumeExpired()` after a new sign-in carries
 * every such room on from its cursor: nothing missed, nothing twice, no new snapshot.
 * Opened offline (no snapshot), a room starts from the cursor the offline copy stored.
 */
import { onCleanup } from 'solid-js';
import { createStore } from 'solid-js/store';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../../protocol/enums.ts';
import type { Api } from '../lib/api.ts';
import type { Subscription } from '../lib/filters.ts';
import { RoomClient, type RoomClientEnv, type RoomStatus } from '../lib/room-client/index.ts';
import type { FeedActions } from './feed.ts';

export type RoomView = RoomStatus & { connections: number | null; cursor: number | null };
export type ConnectionState = { rooms: Partial<Record<Category, RoomView>>; online: boolean };
export type ConnectionActions = {
  /** Opens, closes and re-filters room connections to match the subscription. */
  sync(sub: Subscription): void;
  stopAll(): void;
  /** After a new sign-in: every room that stopped on an expired token resumes from its cursor. */
  resumeExpired(): void;
  client(c: Category): RoomClient | undefined;
};

/** Events fetched per room before going live. */
export const SNAPSHOT_SIZE = 200;

export function createConnectionStore(deps: {
  api: Api;
  feed: FeedActions;
  origin: string;
  token: () => string | undefined;
  env: RoomClientEnv | undefined;
  /** A room said the token expired (called once per expiry, not once per room). */
  onTokenExpired?: () => void;
  /** Is the token past its `exp` by this clock (asked after a failed attempt)? */
  isTokenExpired?: () => boolean;
  /** The room's cursor from the offline copy (stores/offline.ts): used when no snapshot can be had. */
  storedCursor?: (c: Category) => Promise<number | undefined>;
}): [ConnectionState, ConnectionActions] {
  const [state, setState] = createStore<ConnectionState>({
    rooms: {},
    online: typeof navigator === 'undefined' || navigator.onLine !== false,
  });
  const clients = new Map<Category, RoomClient>();
  const starting = new Map<Category, AbortController>();
  let severities: Severity[] = [...SEVERITIES];
  /** True from a room's token expiry until the rooms resume: the store reports one expiry, not five. */
  let expiryReported = false;

  const serverFilter = () => (severities.length === SEVERITIES.length ? undefined : severities);

  async function snapshot(category: Category, sevs: Severity[], signal: AbortSignal): Promise<number | undefined> {
    const q = new URLSearchParams({ category, limit: String(SNAPSHOT_SIZE) });
    if (sevs.length < SEVERITIES.length) q.set('severity', sevs.join(','));
    try {
      const { data } = await deps.api.listEvents(q, signal);
      deps.feed.snapshot(data);
      return data.reduce<number | undefined>((m, c) => (m === undefined || c.seq > m ? c.seq : m), undefined);
    } catch {
      // No list (route missing, network): go live from the room's current seq instead.
      return undefined;
    }
  }

  async function open(category: Category): Promise<void> {
    if (!deps.env || clients.has(category) || starting.has(category)) return;
    const ctl = new AbortController();
    starting.set(category, ctl);
    setState('rooms', category, {
      state: 'connecting',
      transport: 'ws',
      retryAt: null,
      attempt: 0,
      lastError: null,
      connections: null,
      cursor: null,
    });
    let cursor = severities.length > 0 ? await snapshot(category, severities, ctl.signal) : undefined;
    // Offline (or no list): carry on from where this room was last live, so nothing is missed.
    if (cursor === undefined && deps.storedCursor) cursor = await deps.storedCursor(category);
    if (ctl.signal.aborted) return;
    starting.delete(category);
    const client = new RoomClient({
      category,
      origin: deps.origin,
      token: deps.token,
      severities: serverFilter(),
      cursor,
      env: deps.env,
      onChanges: (changes) => {
        deps.feed.enqueue(changes);
        setState('rooms', category, 'cursor', client.cursor ?? null);
      },
      onStatus: (s) => setState('rooms', category, { ...s, cursor: client.cursor ?? null }),
      onPresence: (n) => setState('rooms', category, 'connections', n),
      onTokenExpired: () => {
        if (expiryReported) return;
        expiryReported = true;
        deps.onTokenExpired?.();
      },
      ...(deps.isTokenExpired ? { isTokenExpired: deps.isTokenExpired } : {}),
    });
    clients.set(category, client);
    client.start();
  }

  function close(category: Category): void {
    starting.get(category)?.abort();
    starting.delete(category);
    clients.get(category)?.stop();
    clients.delete(category);
    setState('rooms', category, undefined!);
  }

  const onOnline = () => {
    setState('online', true);
    for (const c of clients.values()) c.wentOnline();
  };
  const onOffline = () => {
    setState('online', false);
    for (const c of clients.values()) c.wentOffline();
  };
  if (typeof window !== 'undefined') {
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
  }

  const actions: ConnectionActions = {
    sync(sub) {
      const watched = new Set(sub.categories);
      const before = severities;
      severities = [...sub.severities];
      const allowed = new Set(severities);
      deps.feed.prune((e) => watched.has(e.category) && allowed.has(e.severity));
      for (const c of CATEGORIES) if (!watched.has(c) && (clients.has(c) || starting.has(c))) close(c);
      const added = severities.filter((s) => !before.includes(s));
      for (const [category, client] of clients) {
        if (before.join() === severities.join()) continue;
        client.setSeverities(serverFilter());
        // the new filter applies from the next change on: fetch what the added severities already have
        if (added.length > 0) void snapshot(category, added, new AbortController().signal);
      }
      for (const c of sub.categories) void open(c);
    },
    stopAll() {
      for (const c of [...clients.keys(), ...starting.keys()]) close(c);
      expiryReported = false;
    },
    resumeExpired() {
      expiryReported = false;
      for (const client of clients.values()) client.resume();
    },
    client: (c) => clients.get(c),
  };
  onCleanup(() => {
    actions.stopAll();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
    }
  });
  return [state, actions];
}
