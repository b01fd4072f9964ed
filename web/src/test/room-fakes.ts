/**
 * Fakes of what a room client reaches through its env (web/src/lib/room-client/env.ts): sockets
 * and event sources the test drives by hand, fetch, and the global timers (which tests replace
 * with vitest's fake timers). Pure-logic tests only: the real rooms are tested in workerd.
 */
import { vi } from 'vitest';
import type { ServerMessage } from '../../../protocol/room.ts';
import type { EventSourceLike, RoomClientEnv, SocketLike } from '../lib/room-client/index.ts';
import type { ConnectionEnd, ConnectionListener } from '../lib/room-client/transport.ts';

export class FakeSocket implements SocketLike {
  sent: string[] = [];
  closed = false;
  /** The code of the close that ended it (ours or the test's). */
  closedWith: number | undefined;
  onclose: SocketLike['onclose'] = null;
  onmessage: SocketLike['onmessage'] = null;
  readonly url: string;
  readonly protocols: string[];

  constructor(url: string, protocols: string[] = []) {
    this.url = url;
    this.protocols = protocols;
  }
  /** The category in the URL (`/api/rooms/<Category>/ws`). */
  get room(): string {
    return new URL(this.url).pathname.split('/')[3]!;
  }
  send(d: string) {
    this.sent.push(d);
  }
  /** As a browser does: the close event once, with the code (a network cut: 1006). */
  close(code = 1000) {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = code;
    this.onclose?.({ code });
  }
  /** The room's greeting. */
  hello(lastSeq: number, connections = 1) {
    this.push({ type: 'hello', room: this.room, connections, lastSeq });
  }
  push(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

export class FakeEventSource implements EventSourceLike {
  onopen: EventSourceLike['onopen'] = null;
  onerror: EventSourceLike['onerror'] = null;
  listeners = new Map<string, ((ev: { data: string }) => void)[]>();
  closed = false;
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }
  addEventListener(type: string, fn: (ev: { data: string }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  /** An unnamed `data:` event, as the room sends every message. */
  emit(m: unknown) {
    for (const fn of this.listeners.get('message') ?? []) fn({ data: JSON.stringify(m) });
  }
}

/** A fetch that answers every request 503 (no long-poll server). */
export const unavailable = (): typeof fetch =>
  vi.fn(async () => new Response('{}', { status: 503 })) as unknown as typeof fetch;

/** An env whose sockets and event sources are recorded for the test to drive, on the global (fake) timers. */
export function fakeRoomEnv(
  opts: { fetch?: typeof fetch; online?: () => boolean; onSocket?: (s: FakeSocket) => void } = {},
) {
  const sockets: FakeSocket[] = [];
  const sources: FakeEventSource[] = [];
  const env: RoomClientEnv = {
    openSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      opts.onSocket?.(s);
      return s;
    },
    openEventSource: (url) => {
      const s = new FakeEventSource(url);
      sources.push(s);
      return s;
    },
    fetch: opts.fetch ?? unavailable(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: () => 0.5,
    now: () => Date.now(),
    isOnline: opts.online ?? (() => true),
    openSession: vi.fn(async () => {}),
  };
  return { env, sockets, sources };
}

/** A connection listener that records what a transport reported, in order. */
export function recordingListener() {
  const log: string[] = [];
  const messages: ServerMessage[] = [];
  const ends: ConnectionEnd[] = [];
  const listener: ConnectionListener = {
    opened: () => log.push('opened'),
    message: (m) => {
      log.push(`message:${m.type}`);
      messages.push(m);
    },
    joinedAt: (seq) => log.push(`joinedAt:${seq}`),
    ended: (end) => {
      log.push(`ended:${end.kind}`);
      ends.push(end);
    },
  };
  return { listener, log, messages, ends };
}
