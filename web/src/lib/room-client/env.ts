/**
 * What a room client needs from the browser, as an interface: sockets, EventSource, fetch,
 * timers, randomness, the clock and the online flag come in through `RoomClientEnv`, so the
 * supervisor and every transport are unit-tested with fakes and hold no DOM globals.
 */

/** The part of a browser `WebSocket` the WebSocket transport uses. */
export type SocketLike = {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
};

/** The part of a browser `EventSource` the SSE transport uses. */
export type EventSourceLike = {
  onopen: ((ev: unknown) => void) | null;
  /** Also called with the room's `event: error` message (then `data` is its JSON). */
  onerror: ((ev: unknown) => void) | null;
  addEventListener(type: 'message', fn: (ev: { data: string }) => void): void;
  close(): void;
};

export type TimerHandle = unknown;

export type RoomClientEnv = {
  openSocket(url: string, protocols: string[]): SocketLike;
  openEventSource(url: string): EventSourceLike;
  fetch: typeof fetch;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  random(): number;
  now(): number;
  isOnline(): boolean;
  /** Sets the cookie EventSource authenticates with (POST /api/session). */
  openSession(): Promise<void>;
};

/** The browser's implementations of the client's environment. */
export function browserRoomEnv(openSession: () => Promise<void>): RoomClientEnv {
  return {
    openSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as SocketLike,
    openEventSource: (url) => new EventSource(url, { withCredentials: true }) as unknown as EventSourceLike,
    fetch: (...a) => fetch(...a),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: Math.random,
    now: Date.now,
    isOnline: () => navigator.onLine !== false,
    openSession,
  };
}
