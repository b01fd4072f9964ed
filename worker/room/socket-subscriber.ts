/**
 * A subscriber on a hibernating WebSocket. Its state lives in the socket's attachment, so the
 * room can rebuild it after a wake (subscriber.ts, restoredState). What it has read is counted
 * from evidence (docs/rooms.md, "Slow clients"): an `ack` releases what was sent up to its seq
 * (SentLedger: only seqs this socket was sent), and a `ping` — answered by the runtime's
 * auto-response, so the room is not woken — releases everything sent before it.
 */
import { CLOSE, type ErrorMessage, type ReconnectMessage } from '../../protocol/room.ts';
import { errorFields, log } from '../log.ts';
import type { FrameWindow } from './client-frames.ts';
import { SentLedger } from './ledger.ts';
import { BaseSubscriber, type Subscriber, type SubscriberHost, type SubscriberState } from './subscriber.ts';

export type SocketHost = SubscriberHost & {
  /** When the socket's latest `ping` was answered by the auto-response (ms; 0 for never). */
  pingedAt(ws: WebSocket): number;
};

export class SocketSubscriber extends BaseSubscriber implements Subscriber {
  readonly transport = 'ws';
  readonly ws: WebSocket;
  /** Client frames in the current rate window (client-frames.ts). */
  readonly window: FrameWindow;
  /** What was sent and not acknowledged, by seq. */
  private readonly ledger: SentLedger;
  /** When the latest ack or ping was seen (ms). */
  private evidenceAt: number;
  /** Out of the room: closed by it, or by the runtime (webSocketClose / webSocketError). */
  private gone = false;
  private readonly host: SocketHost;

  constructor(ws: WebSocket, state: SubscriberState, host: SocketHost, now: number) {
    super(state);
    this.ws = ws;
    this.host = host;
    this.ledger = new SentLedger(this.cursor);
    this.evidenceAt = now;
    this.window = { frames: 0, start: now };
  }

  begin(): void {
    this.persist();
  }

  send(json: string, lastSeq?: number): boolean {
    try {
      this.ws.send(json);
      this.ledger.sent(json.length, lastSeq);
      return true;
    } catch (err) {
      log('warn', 'room send failed; closing socket', { room: this.host.room, ...errorFields(err) });
      this.host.drop(this, CLOSE.internal, 'send failed; reconnect with your cursor');
      return false;
    }
  }

  sendReconnect(message: ReconnectMessage): void {
    this.send(JSON.stringify(message));
  }

  sendExpired(message: ErrorMessage): void {
    this.send(JSON.stringify(message));
  }

  /** An `ack` of `seq`: counts only for seqs this socket was sent (an ack of more releases nothing). */
  ack(seq: number, now: number): void {
    if (this.ledger.ack(seq)) this.evidenceAt = now;
  }

  outstanding(limit = 0): number {
    // The auto-response timestamp is a runtime call per socket: only consult it when it could matter.
    if (this.ledger.unacked > limit) {
      const pinged = this.host.pingedAt(this.ws);
      if (pinged > this.evidenceAt) {
        this.evidenceAt = pinged;
        this.ledger.clear();
      }
    }
    return this.ledger.unacked;
  }

  isOpen(): boolean {
    return !this.gone && this.ws.readyState === WebSocket.OPEN;
  }

  persist(): void {
    try {
      this.ws.serializeAttachment(this.state());
    } catch (err) {
      // only fails for a socket that is already closing; its state no longer matters
      log('debug', 'room attachment not saved', { room: this.host.room, ...errorFields(err) });
    }
  }

  close(code: number, reason: string): boolean {
    if (this.gone) return false;
    this.gone = true;
    try {
      this.ws.close(code, reason);
    } catch {
      // already closing or closed: nothing left to do for this socket
    }
    return true;
  }

  /** The runtime closed it (the client left): it is out of the room, nothing to close. */
  forget(): void {
    this.gone = true;
  }
}
