import { describe, expect, it, vi } from 'vitest';
import { installPushHandlers, notificationOf, type PushScope } from './sw-push.ts';

const payload = {
  id: 'rule-1:evt-9:0:role:operator',
  title: 'Reefer alarm: Reefer too warm',
  severity: 'Critical',
  eventId: 'evt-9',
  category: 'Container',
  url: '/?event=evt-9&category=Container',
};

describe('web > sw-push', () => {
  it('maps a payload to a notification tagged by its id', () => {
    expect(notificationOf(payload)).toEqual({
      title: payload.title,
      options: {
        body: 'Critical · Container · evt-9',
        tag: payload.id,
        requireInteraction: true,
        data: { url: payload.url, eventId: 'evt-9' },
      },
    });
    expect(notificationOf({ ...payload, severity: 'Low' })?.options.requireInteraction).toBe(false);
  });

  it('ignores what is not ours, and never sends a click to another origin', () => {
    for (const bad of [null, 1, 'x', [], {}, { ...payload, id: 1 }, { ...payload, title: undefined }])
      expect(notificationOf(bad)).toBeUndefined();
    expect(notificationOf({ ...payload, url: 'https://evil.example/' })?.options.data.url).toBe('/');
    expect(notificationOf({ ...payload, url: '//evil.example/' })?.options.data.url).toBe('/');
  });

  it('shows the notification on push, and on click focuses a dashboard tab at the event or opens one', async () => {
    const listeners = new Map<string, (e: Event) => void>();
    const tab = {
      url: 'https://q.example/',
      focus: vi.fn(async () => undefined),
      navigate: vi.fn(async () => undefined),
    };
    let tabs: unknown[] = [tab];
    const sw: PushScope = {
      addEventListener: (type, l) => listeners.set(type, l),
      registration: { showNotification: vi.fn(async () => undefined) },
      clients: { matchAll: vi.fn(async () => tabs), openWindow: vi.fn(async () => undefined) },
      location: { origin: 'https://q.example' },
    };
    installPushHandlers(sw);
    const waits: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => waits.push(p);
    listeners.get('push')!(Object.assign(new Event('push'), { data: { json: () => payload }, waitUntil }));
    await Promise.all(waits);
    expect(sw.registration.showNotification).toHaveBeenCalledWith(payload.title, notificationOf(payload)!.options);

    const close = vi.fn();
    const click = () =>
      listeners.get('notificationclick')!(
        Object.assign(new Event('notificationclick'), {
          notification: { close, data: { url: payload.url } },
          waitUntil,
        }),
      );
    click();
    await Promise.all(waits);
    expect(close).toHaveBeenCalled();
    expect(tab.focus).toHaveBeenCalled();
    expect(tab.navigate).toHaveBeenCalledWith(`https://q.example${payload.url}`);
    tabs = [];
    click();
    await Promise.all(waits);
    expect(sw.clients.openWindow).toHaveBeenCalledWith(`https://q.example${payload.url}`);
  });
});
