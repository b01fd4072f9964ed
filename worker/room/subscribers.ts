/**
 * The room's subscribers: its sockets (found again by their WebSocket when a frame or a close
 * arrives) and its streams, one collection with one way out (`drop`), so the bookkeeping of a
 * leaving subscriber — its connection lease given back, presence announced, the streams'
 * heartbeat stopped with the last stream — is written once.
 */
import type { SocketSubscriber } from './socket-subscriber.ts';
import type { StreamSubscriber } from './stream-subscriber.ts';
import type { Subscriber } from './subscriber.ts';

export type SubscribersHost = {
  /** Gives a connection's lease back to its token's limiter (once: the lease id is cleared). */
  release(who: { user: string; conn?: string | undefined }): void;
  /** Someone came or went: presence is due. */
  changed(): void;
};

export class Subscribers {
  private readonly sockets = new Map<WebSocket, SocketSubscriber>();
  private readonly streams = new Set<StreamSubscriber>();
  private readonly host: SubscribersHost;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private heartbeatMs = 0;

  constructor(host: SubscribersHost) {
    this.host = host;
  }

  /** Every subscriber, sockets first. */
  *[Symbol.iterator](): Iterator<Subscriber> {
    yield* this.sockets.values();
    yield* this.streams;
  }

  /** A snapshot to iterate over while subscribers may leave. */
  list(): Subscriber[] {
    return [...this];
  }

  addSocket(s: SocketSubscriber): void {
    this.sockets.set(s.ws, s);
  }

  addStream(s: StreamSubscriber): void {
    this.streams.add(s);
  }

  /** The subscriber of a socket, if the room holds it in memory (after a wake it must be restored first). */
  socketOf(ws: WebSocket): SocketSubscriber | undefined {
    return this.sockets.get(ws);
  }

  /** The streams, for their heartbeat. */
  streamList(): StreamSubscriber[] {
    return [...this.streams];
  }

  /** Closes a subscriber and forgets it (once; a second drop of the same one does nothing). */
  drop(s: Subscriber, code: number, reason: string): void {
    if (!s.close(code, reason)) return;
    if (s.transport === 'ws') this.sockets.delete((s as SocketSubscriber).ws);
    else {
      this.streams.delete(s as StreamSubscriber);
      if (this.streams.size === 0) this.stopHeartbeat();
    }
    this.host.release(s);
    this.host.changed();
  }

  /** The runtime closed a socket (webSocketClose, webSocketError): it leaves without being closed by the room. */
  forget(ws: WebSocket): void {
    // In the map unless the room closed it itself (drop released its lease then).
    const s = this.sockets.get(ws);
    this.sockets.delete(ws);
    if (s) {
      s.forget();
      this.host.release(s);
    }
    this.host.changed();
  }

  /** Open connections: streams and open sockets (the count `hello`, presence and stats report). */
  get connections(): number {
    let n = this.streams.size;
    for (const ws of this.sockets.keys()) if (ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Open connections (sockets and streams) of one token here. */
  connectionsOf(user: string): number {
    let n = 0;
    for (const s of this) if (s.user === user && s.isOpen()) n++;
    return n;
  }

  /** Which of these connection leases are still held by an open subscriber here. */
  openLeases(ids: readonly string[]): string[] {
    const wanted = new Set(ids);
    const open: string[] = [];
    for (const s of this) if (s.conn !== undefined && wanted.has(s.conn) && s.isOpen()) open.push(s.conn);
    return open;
  }

  /** Runs `beat` every `ms` while streams are open (restarted when `ms` changed; stops with the last stream). */
  keepHeartbeat(ms: number, beat: () => void): void {
    if (this.heartbeat && this.heartbeatMs === ms) return;
    this.stopHeartbeat();
    this.heartbeatMs = ms;
    this.heartbeat = setInterval(beat, ms);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
