/**
 * The bell: the caller's inbox (GET /api/notifications) and the live hint that it changed
 * (GET /api/notifications/ws, docs/rules.md "Notifications"). The count always comes from the
 * API, read on every (re)connect and every hint, so it is right after any reconnect. A new
 * notification while the tab is hidden shows a browser notification (when allowed) and, for a
 * Critical one, plays a short tone when the sound is on.
 */
import { onCleanup } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { ROOM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../../../protocol/room.ts';
import type { Api, Notification } from '../lib/api.ts';
import type { SocketLike } from '../lib/room-client/env.ts';

export type NotificationsState = { unread: number; list: Notification[]; live: boolean; sound: boolean };
export type NotificationsActions = {
  refresh(): Promise<void>;
  markAllRead(): Promise<void>;
  setSound(on: boolean): void;
};

/** What the store needs of the browser (injected in tests). */
export type NotificationsEnv = {
  openSocket(url: string, protocols: string[]): SocketLike;
  hidden(): boolean;
  /** Shows a system notification if the user allowed them. */
  show(title: string, body: string): void;
  beep(): void;
};

/** Reconnect delays of the hint socket (the inbox itself is re-read on every connect). */
const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];
const SOUND_KEY = 'qc_bell_sound';

export function browserNotificationsEnv(): NotificationsEnv {
  return {
    openSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike,
    hidden: () => typeof document !== 'undefined' && document.visibilityState === 'hidden',
    show(title, body) {
      if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
      new Notification(title, { body, tag: 'quaycast' });
    },
    beep() {
      try {
        const ctx = new AudioContext();
        const osc = ctx.createOscillator();
        osc.frequency.value = 880;
        osc.connect(ctx.destination);
        osc.start();
        osc.stop(ctx.currentTime + 0.25);
      } catch {
        // no audio in this browser: the bell and the notification remain
      }
    },
  };
}

export function createNotificationsStore(opts: {
  api: Api;
  token: () => string | undefined;
  origin: string;
  /** undefined = do not connect (component tests). */
  env: NotificationsEnv | undefined;
  storage?: Storage | undefined;
}): [NotificationsState, NotificationsActions] {
  const [state, setState] = createStore<NotificationsState>({
    unread: 0,
    list: [],
    live: false,
    sound: opts.storage?.getItem(SOUND_KEY) === '1',
  });
  const seen = new Set<string>();
  let first = true;
  let socket: SocketLike | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;

  async function refresh(): Promise<void> {
    if (!opts.token()) return;
    let inbox: { unread: number; data: Notification[] };
    try {
      inbox = await opts.api.notifications();
    } catch {
      return; // the next hint or reconnect reads it again
    }
    const fresh = inbox.data.filter((n) => !n.read && !seen.has(n.id));
    for (const n of inbox.data) seen.add(n.id);
    setState({ unread: inbox.unread });
    setState('list', reconcile(inbox.data, { key: 'id' }));
    if (!first && opts.env?.hidden()) {
      for (const n of fresh.slice(0, 3)) opts.env.show('Quaycast', n.title);
      if (state.sound && fresh.some((n) => n.severity === 'Critical')) opts.env.beep();
    }
    first = false;
  }

  function connect(): void {
    const env = opts.env;
    const token = opts.token();
    if (!env || !token || stopped) return;
    const url = `${opts.origin.replace(/^http/, 'ws')}/api/notifications/ws`;
    let ws: SocketLike;
    try {
      ws = env.openSocket(url, [ROOM_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`]);
    } catch {
      schedule();
      return;
    }
    socket = ws;
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      if (ev.data.includes('"hello"')) {
        failures = 0;
        setState('live', true);
      }
      void refresh(); // hello (a reconnect: what was missed) and every hint
    };
    ws.onclose = () => {
      if (socket === ws) socket = undefined;
      setState('live', false);
      schedule();
    };
  }

  function schedule(): void {
    if (stopped) return;
    clearTimeout(retry);
    retry = setTimeout(connect, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
  }

  void refresh();
  connect();
  onCleanup(() => {
    stopped = true;
    clearTimeout(retry);
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'closing');
    }
  });

  return [
    state,
    {
      refresh,
      async markAllRead() {
        const { unread } = await opts.api.markNotificationsRead();
        setState('unread', unread);
        setState('list', (l) => l.map((n) => ({ ...n, read: true })));
      },
      setSound(on) {
        setState('sound', on);
        opts.storage?.setItem(SOUND_KEY, on ? '1' : '0');
        if (on && typeof Notification !== 'undefined' && Notification.permission === 'default')
          void Notification.requestPermission();
      },
    },
  ];
}
