/** Component-test helpers: a provider with a fake API and no room connections. */
import { render } from '@solidjs/testing-library';
import type { JSX } from 'solid-js';
import { vi } from 'vitest';
import type { Role } from '../../../protocol/roles.ts';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import type { Api } from '../lib/api.ts';
import { AppProvider, useFeed } from '../stores/context.tsx';

export function fakeToken(role: Role, sub = `${role}-1`): string {
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${b64({ alg: 'HS256' })}.${b64({ sub, role })}.sig`;
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
    openSession: vi.fn(async () => {}),
    ...overrides,
  } as unknown as Api;
}

export const sampleEvent = (p: Partial<QuaycastEvent> = {}): QuaycastEvent => ({
  id: 'evt-1',
  seq: 10,
  category: 'Container',
  severity: 'High',
  priority: 'High',
  status: 'New',
  eventType: 'ReeferAlarm',
  title: 'Reefer MSCU1234567 above set point',
  description: null,
  source: null,
  eventTime: '2026-11-29T08:00:00.000Z',
  containerId: 'MSCU1234567',
  shipId: null,
  berthId: null,
  portId: null,
  requiresAction: true,
  isResolved: false,
  eventData: {},
  metadata: {},
  coordinates: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  assignedTo: null,
  resolvedAt: null,
  resolvedBy: null,
  resolution: null,
  origin: { kind: 'kafka', topic: 'container-events', partition: 1, offset: '42' },
  receivedAt: '2026-11-29T08:00:01.000Z',
  createdAt: '2026-11-29T08:00:01.000Z',
  updatedAt: '2026-11-29T08:00:01.000Z',
  ...p,
});

/** Renders `ui` inside the provider; `events` are put in the feed first. */
export function renderApp(ui: () => JSX.Element, opts: { role?: Role; api?: Api; events?: QuaycastEvent[] } = {}) {
  const api = opts.api ?? fakeApi();
  const mem = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) } as Storage;
  };
  function Seed(props: { children: JSX.Element }) {
    const [, feed] = useFeed();
    if (opts.events) feed.snapshot(opts.events);
    return props.children;
  }
  const result = render(() => (
    <AppProvider token={fakeToken(opts.role ?? 'operator')} api={api} roomEnv={null} storage={{ local: mem(), session: mem() }} feed={{ schedule: (fn) => queueMicrotask(fn) }}>
      <Seed>{ui()}</Seed>
    </AppProvider>
  ));
  return { ...result, api };
}
