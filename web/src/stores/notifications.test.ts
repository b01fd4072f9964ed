import { createRoot } from 'solid-js';
import { describe, expect, it, vi } from 'vitest';
import type { Api, Notification } from '../lib/api.ts';
import type { SocketLike } from '../lib/room-client/env.ts';
import { createNotificationsStore, type NotificationsEnv } from './notifications.ts';

const note = (id: string, severity = 'High', read = false): Notification => ({
  id,
  ruleId: 'r',
  eventId: `e-${id}`,
  category: 'Container',
  severity,
  title: `t ${id}`,
  kind: 'rule',
  createdAt: new Date(0).toISOString(),
  read,
});

/** A fake server inbox and socket: the test says what the API holds and when the socket speaks. */
function harness() {
  let inbox: Notification[] = [];
  const sockets: (SocketLike & { protocols: string[]; url: string })[] = [];
  const shown: string[] = [];
  let beeps = 0;
  let hidden = false;
  const api = {
    notifications: vi.fn(async () => ({ unread: inbox.filter((n) => !n.read).length, data: [...inbox] })),
    markNotificationsRead: vi.fn(async () => {
      inbox = inbox.map((n) => ({ ...n, read: true }));
      return { unread: 0 };
    }),
  } as unknown as Api;
  const env: NotificationsEnv = {
    openSocket(url, protocols) {
      const s = { url, protocols, send() {}, close() {}, onclose: null, onmessage: null } as (typeof sockets)[number];
      sockets.push(s);
      return s;
    },
    hidden: () => hidden,
    show: (_t, body) => shown.push(body),
    beep: () => beeps++,
  };
  return {
    api,
    env,
    sockets,
    shown,
    beeps: () => beeps,
    setInbox: (l: Notification[]) => (inbox = l),
    hide: () => (hidden = true),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('web > notifications store', () => {
  it('reads the count on start, on hello (every reconnect) and on every hint; the socket carries the token as a subprotocol', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = harness();
    h.setInbox([note('a')]);
    await createRoot(async (dispose) => {
      const [state] = createNotificationsStore({
        api: h.api,
        token: () => 'jwt',
        origin: 'https://q.example',
        env: h.env,
      });
      await vi.waitFor(() => expect(state.unread).toBe(1));
      const ws = h.sockets[0]!;
      expect(ws.url).toBe('wss://q.example/api/notifications/ws');
      expect(ws.protocols).toEqual(['quaycast.v1', 'bearer.jwt']);
      ws.onmessage!({ data: '{"type":"hello"}' });
      expect(state.live).toBe(true);
      h.setInbox([note('b'), note('a')]);
      ws.onmessage!({ data: '{"type":"notifications"}' });
      await vi.waitFor(() => expect(state.unread).toBe(2));
      // The socket drops; while it is away two more arrive; the reconnect's hello brings the count right.
      ws.onclose!({ code: 1006 });
      expect(state.live).toBe(false);
      h.setInbox([note('d'), note('c'), note('b'), note('a')]);
      vi.advanceTimersByTime(1000);
      const again = h.sockets[1]!;
      again.onmessage!({ data: '{"type":"hello"}' });
      await vi.waitFor(() => expect(state.unread).toBe(4));
      expect(state.list.map((n) => n.id)).toEqual(['d', 'c', 'b', 'a']);
      dispose();
    });
    vi.useRealTimers();
  });

  it('alerts for what is new while the tab is hidden, and beeps for Critical only with the sound on', async () => {
    const h = harness();
    h.setInbox([note('old', 'Critical')]);
    const storage = new Map<string, string>();
    const local = {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => storage.set(k, v),
    } as unknown as Storage;
    await createRoot(async (dispose) => {
      const [state, actions] = createNotificationsStore({
        api: h.api,
        token: () => 'jwt',
        origin: 'http://x',
        env: h.env,
        storage: local,
      });
      await vi.waitFor(() => expect(state.unread).toBe(1));
      expect(h.shown).toEqual([]); // what was there before is not news
      h.hide();
      h.setInbox([note('n1', 'High'), note('old', 'Critical')]);
      await actions.refresh();
      expect(h.shown).toEqual(['t n1']);
      expect(h.beeps()).toBe(0);
      actions.setSound(true);
      expect(storage.get('qc_bell_sound')).toBe('1');
      h.setInbox([note('n2', 'Critical'), note('n1', 'High'), note('old', 'Critical')]);
      await actions.refresh();
      expect(h.shown).toEqual(['t n1', 't n2']);
      expect(h.beeps()).toBe(1);
      await actions.markAllRead();
      expect(state.unread).toBe(0);
      expect(state.list.every((n) => n.read)).toBe(true);
      dispose();
    });
    await settle();
  });
});
