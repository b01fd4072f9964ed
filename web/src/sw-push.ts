/**
 * The service worker's Web Push handlers (docs/push.md): `installPushHandlers(self)` from the
 * dashboard's service worker (web/src/sw.ts). A `push` shows the notification its JSON payload
 * describes (protocol/push.ts), tagged with the notification id so a push sent again replaces it;
 * a click focuses an open dashboard tab and sends it to the event, or opens one there.
 * Typed structurally (this file is compiled with the DOM lib, not WebWorker): the real
 * ServiceWorkerGlobalScope fits PushScope.
 */
import type { PushPayload } from '../../protocol/push.ts';

/** What a notification shows for a payload; undefined for a payload that is not ours. Pure. */
export function notificationOf(
  data: unknown,
): { title: string; options: NotificationOptions & { data: { url: string; eventId: string } } } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const p = data as Partial<Record<keyof PushPayload, unknown>>;
  if (typeof p.id !== 'string' || typeof p.title !== 'string' || typeof p.eventId !== 'string') return undefined;
  const severity = typeof p.severity === 'string' ? p.severity : '';
  const category = typeof p.category === 'string' ? p.category : '';
  // Only a path of the dashboard's own origin is opened: a payload never sends a click elsewhere.
  const url = typeof p.url === 'string' && p.url.startsWith('/') && !p.url.startsWith('//') ? p.url : '/';
  return {
    title: p.title.slice(0, 300),
    options: {
      body: [severity, category, p.eventId].filter(Boolean).join(' · '),
      tag: p.id,
      requireInteraction: severity === 'Critical',
      data: { url, eventId: p.eventId },
    },
  };
}

type WindowClientLike = { url: string; focus(): Promise<unknown>; navigate?(url: string): Promise<unknown> };
type PushEventLike = Event & { data: { json(): unknown } | null; waitUntil(p: Promise<unknown>): void };
type ClickEventLike = Event & {
  notification: { close(): void; data?: unknown };
  waitUntil(p: Promise<unknown>): void;
};

/** The parts of ServiceWorkerGlobalScope the handlers use. */
export type PushScope = {
  addEventListener(type: string, listener: (event: Event) => void): void;
  registration: { showNotification(title: string, options?: NotificationOptions): Promise<void> };
  clients: {
    matchAll(options?: { type?: 'window'; includeUncontrolled?: boolean }): Promise<readonly unknown[]>;
    openWindow(url: string): Promise<unknown>;
  };
  location: { origin: string };
};

/** Installs the `push` and `notificationclick` listeners on the service worker. */
export function installPushHandlers(sw: PushScope): void {
  sw.addEventListener('push', (event) => {
    const e = event as PushEventLike;
    let data: unknown;
    try {
      data = e.data?.json();
    } catch {
      data = undefined; // not JSON: not ours
    }
    const shown = notificationOf(data);
    if (shown) e.waitUntil(sw.registration.showNotification(shown.title, shown.options));
  });

  sw.addEventListener('notificationclick', (event) => {
    const e = event as ClickEventLike;
    e.notification.close();
    const data = e.notification.data as { url?: unknown } | undefined;
    const path =
      typeof data?.url === 'string' && data.url.startsWith('/') && !data.url.startsWith('//') ? data.url : '/';
    const target = new URL(path, sw.location.origin).href;
    e.waitUntil(
      (async () => {
        const tabs = (await sw.clients.matchAll({ type: 'window', includeUncontrolled: true })) as WindowClientLike[];
        const tab = tabs.find((t) => new URL(t.url).origin === sw.location.origin);
        if (tab) {
          await tab.focus();
          if (tab.navigate) await tab.navigate(target).catch(() => undefined);
          return;
        }
        await sw.clients.openWindow(target);
      })(),
    );
  });
}
