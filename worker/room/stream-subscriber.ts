/**
 * A subscriber on a Server-Sent Events stream: the same messages as a socket, as `data:` lines
 * (frames.ts, sseFrame). The stream's writer lives in memory only, so an open stream keeps the
 * room awake (the accepted price of a fallback). What it has read is real backpressure: the
 * bytes written and not yet consumed by the stream's reader.
 */
import { CLOSE, type ErrorMessage, type ReconnectMessage } from '../../protocol/room.ts';
import { sseFrame } from './frames.ts';
import { BaseSubscriber, type Subscriber, type SubscriberHost, type SubscriberState } from './subscriber.ts';

/** What an SSE client waits before reconnecting on its own (the `retry:` field). */
export const SSE_RETRY_MS = 2_000;

const utf8 = new TextEncoder();

export class StreamSubscriber extends BaseSubscriber implements Subscriber {
  readonly transport = 'sse';
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly host: SubscriberHost;
  /** Bytes written and not yet read by the stream's reader. */
  private unread = 0;
  private closed = false;

  constructor(writer: WritableStreamDefaultWriter<Uint8Array>, state: SubscriberState, host: SubscriberHost) {
    super(state);
    this.writer = writer;
    this.host = host;
  }

  begin(): void {
    this.write(sseFrame({ retry: SSE_RETRY_MS }));
  }

  send(json: string, lastSeq?: number): boolean {
    if (this.closed) return false;
    return this.write(sseFrame({ id: lastSeq, data: json }));
  }

  sendReconnect(message: ReconnectMessage): void {
    this.write(sseFrame({ retry: message.afterMs, data: JSON.stringify(message) }));
  }

  sendExpired(message: ErrorMessage): void {
    this.write(sseFrame({ event: 'error', data: JSON.stringify(message) }));
  }

  /** A heartbeat comment: keeps proxies from timing out an idle stream, and finds a dead reader. */
  beat(comment: string): void {
    this.write(sseFrame({ comment }));
  }

  outstanding(): number {
    return this.unread;
  }

  isOpen(): boolean {
    return !this.closed;
  }

  persist(): void {
    // a stream has nothing to save: it does not survive the instance
  }

  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.writer.close().catch(() => {
      // the reader is gone already: the stream is finished either way
    });
    return true;
  }

  /** Writes one frame; a write the reader never takes (it went away) drops the subscriber. */
  private write(frame: string): boolean {
    if (this.closed) return false;
    const bytes = utf8.encode(frame);
    this.unread += bytes.byteLength;
    this.writer.write(bytes).then(
      () => {
        this.unread -= bytes.byteLength;
      },
      () => this.host.drop(this, CLOSE.goingAway, 'stream closed'),
    );
    return true;
  }
}
