/**
 * The Server-Sent Events transport, for networks that block WebSockets:
 * `GET /api/rooms/<Category>/sse?severity=&after=`, authenticated by the `qc_session` cookie of
 * a server session (EventSource cannot send headers). The room sends the socket's JSON messages
 * as unnamed `data:` events, and a token that ended as `event: error` (then the stream ends).
 *
 * EventSource would retry on its own, without our cursor bookkeeping or fallback: on any error
 * the stream is closed and the supervisor decides what comes next.
 */
import type { ServerMessage } from '../../../../protocol/room.ts';
import { parseServerMessage } from '../../../../protocol/server-message.ts';
import type { EventSourceLike, RoomClientEnv, TimerHandle } from './env.ts';
import {
  roomQuery,
  type Connection,
  type ConnectionEnd,
  type ConnectionListener,
  type ConnectionRequest,
  type RoomTransport,
} from './transport.ts';

export type EventStreamOptions = {
  /** A stream that has not opened by then is closed, and counts as a failed attempt. */
  openTimeoutMs: number;
};

/** Opens room streams, starting a server session first whenever the token is new to this client. */
export function eventStreamTransport(env: RoomClientEnv, options: EventStreamOptions): RoomTransport {
  /** The token the current server session was started for. */
  let sessionFor: string | undefined;
  return {
    kind: 'sse',
    open(request, listener) {
      const token = request.token ?? '';
      const session =
        sessionFor === token
          ? undefined
          : env.openSession().then(
              () => {
                sessionFor = token;
              },
              () => {
                // no session cookie: the EventSource will fail and long-polling (which sends the header) takes over
              },
            );
      return new RoomEventStream(request, listener, env, options, session);
    },
  };
}

/** One room stream, from its opening to its end. */
class RoomEventStream implements Connection {
  private readonly listener: ConnectionListener;
  private readonly env: RoomClientEnv;
  private es: EventSourceLike | undefined;
  private openTimer: TimerHandle | undefined;
  private opened = false;
  /** Closed by us or ended: nothing more is reported. */
  private done = false;

  constructor(
    request: ConnectionRequest,
    listener: ConnectionListener,
    env: RoomClientEnv,
    options: EventStreamOptions,
    session: Promise<void> | undefined,
  ) {
    this.listener = listener;
    this.env = env;
    if (session) void session.then(() => this.start(request, options));
    else this.start(request, options);
  }

  close(): void {
    this.done = true;
    this.release();
  }

  /** A stream's filter is in its URL: a new one needs a new stream. */
  changeFilter(): boolean {
    return false;
  }

  private start(request: ConnectionRequest, options: EventStreamOptions): void {
    if (this.done) return;
    let es: EventSourceLike;
    try {
      es = this.env.openEventSource(`${request.origin}/api/rooms/${request.category}/sse${roomQuery(request)}`);
    } catch (err) {
      this.end({ kind: 'closed', why: `EventSource: ${(err as Error).message}` });
      return;
    }
    this.es = es;
    this.openTimer = this.env.setTimeout(() => {
      if (!this.opened) this.end({ kind: 'closed', why: 'EventSource open timeout' });
    }, options.openTimeoutMs);
    es.onopen = () => {
      if (this.done) return;
      this.opened = true;
      this.env.clearTimeout(this.openTimer);
      this.openTimer = undefined;
      this.listener.opened();
    };
    es.addEventListener('message', (ev) => {
      if (this.done) return;
      const m = parseServerMessage(ev.data);
      if (m) this.listener.message(m);
    });
    es.onerror = (ev) => {
      if (this.done) return;
      const m = roomErrorOf(ev);
      if (m) this.listener.message(m);
      if (m?.type === 'error' && m.code === 'token_expired')
        this.end({ kind: 'token_expired', why: 'the token expired' });
      else
        this.end({ kind: 'closed', why: this.opened ? 'EventSource connection lost' : 'EventSource failed to open' });
    };
  }

  private end(end: ConnectionEnd): void {
    this.done = true;
    this.release();
    this.listener.ended(end);
  }

  private release(): void {
    if (this.openTimer !== undefined) this.env.clearTimeout(this.openTimer);
    this.openTimer = undefined;
    if (!this.es) return;
    this.es.onopen = this.es.onerror = null;
    this.es.close();
  }
}

/** The room's own `event: error` reaches `onerror` as a message event with its JSON in `data`; a network error carries none. */
function roomErrorOf(ev: unknown): ServerMessage | undefined {
  const data = typeof ev === 'object' && ev !== null ? (ev as { data?: unknown }).data : undefined;
  return typeof data === 'string' ? parseServerMessage(data) : undefined;
}
