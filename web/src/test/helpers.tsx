/** Component-test helpers: a provider with a fake API and no room connections. */
import { render } from '@solidjs/testing-library';
import type { JSX } from 'solid-js';
import { vi } from 'vitest';
import type { Category } from '../../../protocol/enums.ts';
import type { Role } from '../../../protocol/roles.ts';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import type { Api } from '../lib/api.ts';
import type { RoomClientEnv } from '../lib/room-client/index.ts';
import { AppProvider, useFeed } from '../stores/context.tsx';
import { fakeRoomEnv } from './room-fakes.ts';

/** An unsigned token the UI decodes (an hour long; `categories` scopes it). */
export function fakeToken(
  role: Role,
  sub = `${role}-1`,
  extra: { categories?: Category[]; exp?: number } = {},
): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256' })}.${b64({ sub, role, exp: extra.exp ?? Math.floor(Date.now() / 1000) + 3600, ...(extra.categories ? { categories: extra.categories } : {}) })}.sig`;
}

export function fakeApi(overrides: Partial<Record<keyof Api, unknown>> = {}): Api {
  return {
    listEvents: vi.fn(async () => ({ data: [], nextCursor: null })),
    getEvent: vi.fn(),
    history: vi.fn(async () => []),
    patch: vi.fn(),
    remove: vi.fn(async () => {}),
    create: vi.fn(),
    stats: vi.fn(async () => {
      throw new Error('no stats in tests');
    }),
    exportCsv: vi.fn(),
    getSla: vi.fn(async () => {
      throw new Error('no SLA in tests');
    }),
    openSession: vi.fn(async () => {}),
    closeSession: vi.fn(async () => {}),
    ...overrides,
  } as unknown as Api;
}

/**
 * Renders `ui` inside the provider; `events` are put in the feed first. Without `roomEnv` no
 * room connects (and the stats store stays off); with one, rooms connect through it.
 */
export function renderApp(
  ui: () => JSX.Element,
  opts: { role?: Role; token?: string; api?: Api; events?: QuaycastEvent[]; roomEnv?: RoomClientEnv } = {},
) {
  const api = opts.api ?? fakeApi();
  const mem = () => {
    const m = new Map<string, string>();
    return {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
    } as Storage;
  };
  function Seed(props: { children: JSX.Element }) {
    const [, feed] = useFeed();
    if (opts.events) feed.snapshot(opts.events);
    return props.children;
  }
  const result = render(() => (
    <AppProvider
      token={opts.token ?? fakeToken(opts.role ?? 'operator')}
      api={api}
      roomEnv={opts.roomEnv ?? null}
      storage={{ local: mem(), session: mem() }}
      feed={{ schedule: (fn) => queueMicrotask(fn) }}
    >
      <Seed>{ui()}</Seed>
    </AppProvider>
  ));
  return { ...result, api };
}

/**
 * Room transports whose sockets open at once and say hello (so every watched room is *Live*):
 * for components that show the connection. SSE and long-poll are never reached.
 */
export function liveRoomEnv(): RoomClientEnv {
  return fakeRoomEnv({ onSocket: (s) => queueMicrotask(() => s.hello(0)) }).env;
}
