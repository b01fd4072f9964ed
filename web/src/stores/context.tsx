/**
 * The one provider: creates every store once and hands them down. `useX()` throws outside it,
 * so a component that forgets the provider fails loudly in tests instead of rendering nothing.
 */
import {
  createContext,
  createEffect,
  createSignal,
  on,
  onCleanup,
  useContext,
  type Accessor,
  type JSX,
} from 'solid-js';
import { allowedCategories } from '../../../protocol/scope.ts';
import { createApi, type Api } from '../lib/api.ts';
import { isExpired } from '../lib/auth.ts';
import { browserRoomEnv, type RoomClientEnv } from '../lib/room-client/index.ts';
import { createConnectionStore, type ConnectionActions, type ConnectionState } from './connection.ts';
import { createOutboxStore, type OutboxActions, type OutboxState } from './outbox.ts';
import { createOfflineStore, type OfflineActions, type OfflineState } from './offline.ts';
import { createFeedStore, type FeedActions, type FeedOptions, type FeedState } from './feed.ts';
import { createFindStore, type FindActions } from './find.ts';
import {
  browserNotificationsEnv,
  createNotificationsStore,
  type NotificationsActions,
  type NotificationsEnv,
  type NotificationsState,
} from './notifications.ts';
import type { FindFilter } from '../lib/filters.ts';
import { createPreferencesStore, type PreferencesActions, type PreferencesState } from './preferences.ts';
import { createSlaStore, type SlaActions, type SlaStoreState } from './sla.ts';
import { createSessionStore, sharedSessionStart, type SessionActions, type SessionState } from './session.ts';
import { createStatsStore, type StatsState } from './stats.ts';
import { createToastStore, type Toast, type ToastActions } from './toasts.ts';

type Stores = {
  session: [SessionState, SessionActions];
  prefs: [PreferencesState, PreferencesActions];
  feed: [FeedState, FeedActions];
  find: [FindFilter, FindActions];
  connection: [ConnectionState, ConnectionActions];
  offline: [OfflineState, OfflineActions];
  outbox: [OutboxState, OutboxActions];
  stats: [StatsState, { refresh(): Promise<void> }];
  toasts: [{ list: Toast[] }, ToastActions];
  notifications: [NotificationsState, NotificationsActions];
  sla: [SlaStoreState, SlaActions];
  api: Api;
  /** Wall clock, ticking once a second (relative times, countdowns). */
  now: Accessor<number>;
};

const AppContext = createContext<Stores>();

export type AppProviderProps = {
  token?: string | undefined;
  /** Injected in tests; in the browser, the real fetch. */
  api?: Api;
  /** Room transports; `null` = do not connect (component tests). */
  roomEnv?: RoomClientEnv | null;
  /** The bell's browser parts; by default the browser's when `roomEnv` is not injected, none (no socket) when it is. */
  notificationsEnv?: NotificationsEnv | null;
  feed?: FeedOptions;
  storage?: { local?: Storage; session?: Storage };
  origin?: string;
  children: JSX.Element;
};

export function AppProvider(props: AppProviderProps) {
  // The thunk reads `api` only when called (at sign-out), after it exists.
  const session = createSessionStore(props.token, props.storage?.session, () => api.closeSession());
  const api: Api = props.api ?? createApi({ token: () => session[0].token });
  const prefs = createPreferencesStore(props.storage?.local);
  const feed = createFeedStore(props.feed);
  const find = createFindStore();
  const toasts = createToastStore();
  // One server session per token for all rooms: each POST replaces the browser's previous session.
  const openSession = sharedSessionStart(
    () => session[0].token,
    () => api.openSession(),
  );
  const roomEnv = props.roomEnv === null ? undefined : (props.roomEnv ?? browserRoomEnv(openSession));
  const connection = createConnectionStore({
    api,
    feed: feed[1],
    origin: props.origin ?? (typeof location !== 'undefined' ? location.origin : 'http://localhost'),
    token: () => session[0].token,
    env: roomEnv,
    onTokenExpired: () => session[1].expire(),
    isTokenExpired: () => (session[0].claims ? isExpired(session[0].claims) : false),
    storedCursor: (c) => offline[1].storedCursor(c),
  });
  // The offline copy (IndexedDB) only in a real browser, not under component tests' fakes.
  const offline = createOfflineStore({
    feed,
    connection: connection[0],
    enabled: props.roomEnv === undefined,
    user: () => session[0].claims?.sub,
  });
  const outbox = createOutboxStore({
    api,
    feed: feed[1],
    enabled: props.roomEnv === undefined,
    user: () => session[0].claims?.sub,
    onConflict: (c) =>
      toasts[1].push(
        'error',
        `Not applied: ${c.action.kind} of ${c.action.eventId} (taken offline): ${c.message}. The event shows its current state.`,
      ),
  });
  const stats = createStatsStore(api, () => !!session[0].token && props.roomEnv !== null);
  const notifications = createNotificationsStore({
    api,
    token: () => session[0].token,
    origin: props.origin ?? (typeof location !== 'undefined' ? location.origin : 'http://localhost'),
    env:
      props.notificationsEnv !== undefined
        ? (props.notificationsEnv ?? undefined)
        : props.roomEnv === undefined
          ? browserNotificationsEnv()
          : undefined,
    storage: props.storage?.local ?? (typeof localStorage !== 'undefined' ? localStorage : undefined),
  });
  const sla = createSlaStore(api, () => session[0].token);
  // A room live again: the network carries, so send what was queued offline.
  createEffect(
    on(
      () => Object.values(connection[0].rooms).some((r) => r?.state === 'open'),
      (live) => live && void outbox[1].flush(),
    ),
  );
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(tick));

  // Rooms follow the subscription and the signed-in token.
  createEffect(
    on(
      () => [session[0].token, [...prefs[0].subscription.categories], [...prefs[0].subscription.severities]] as const,
      ([token, categories, severities]) => {
        if (!token) {
          connection[1].stopAll();
          return;
        }
        // Only the rooms the token may open (a scoped token's categories): the others would be 403.
        const visible = allowedCategories(session[0].claims ?? {});
        connection[1].sync({
          categories: severities.length === 0 ? [] : categories.filter((c) => visible.includes(c)),
          severities: [...severities],
        });
      },
    ),
  );
  createEffect(
    on(
      () => session[0].token,
      (t) => t && void stats[1].refresh(),
      { defer: true },
    ),
  );
  // A new sign-in after an expiry: the rooms carry on from their cursors (the page kept its place).
  createEffect(
    on(
      () => [session[0].token, session[0].expired] as const,
      ([t, expired]) => t && !expired && connection[1].resumeExpired(),
      { defer: true },
    ),
  );

  const stores: Stores = {
    session,
    prefs,
    feed,
    find,
    connection,
    offline,
    outbox,
    stats,
    toasts,
    notifications,
    sla,
    api,
    now,
  };
  return <AppContext.Provider value={stores}>{props.children}</AppContext.Provider>;
}

function use(): Stores {
  const s = useContext(AppContext);
  if (!s) throw new Error('Quaycast stores are used outside <AppProvider>');
  return s;
}

export const useSession = () => use().session;
export const usePreferences = () => use().prefs;
export const useFeed = () => use().feed;
export const useFind = () => use().find;
export const useConnection = () => use().connection;
export const useOffline = () => use().offline;
export const useOutbox = () => use().outbox;
export const useStats = () => use().stats;
export const useToasts = () => use().toasts;
export const useNotifications = () => use().notifications;
export const useSla = () => use().sla;
export const useApi = () => use().api;
export const useNow = () => use().now;
