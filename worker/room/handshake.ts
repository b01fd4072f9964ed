/**
 * How a subscriber joins a room (the Room's `fetch`; docs/rooms.md, "The protocol in one
 * screen"): the request the Worker forwarded is read (room, shard, filter, cursor, who), the
 * token's per-room cap is checked and taken in one synchronous step, and a refusal is told the
 * way the client can read it — a program gets the HTTP answer, a browser (which cannot read a
 * refused upgrade) an accepted socket with an `error` and a close. An accepted subscriber, on a
 * socket or a stream, is then set up in one way (`welcome`): it goes into the room, its
 * transport's preamble and its `hello` are sent, and from that same instant it catches up or is live.
 */
import { SEVERITIES, isCategory, type Category, type Severity } from '../../protocol/enums.ts';
import { CLOSE, ROOM_SUBPROTOCOL, parseCursor, parseSeverityList, type ServerMessage } from '../../protocol/room.ts';
import { CONNECTION_RETRY_SECONDS, refusalResponse } from '../limiter/refusal.ts';
import { log } from '../log.ts';
import { validShard, type RoomRole } from './shards.ts';
import { SocketSubscriber, type SocketHost } from './socket-subscriber.ts';
import { StreamSubscriber } from './stream-subscriber.ts';
import { newSubscriberState, type Identity, type Subscriber, type SubscriberHost } from './subscriber.ts';
import type { Subscribers } from './subscribers.ts';

/** Which object a connect request is for: the room's category and, on a shard, its index. */
export type RoomTarget = { category: Category; shard: number | undefined };

/** The target named by the Worker (`room`, `shard` in the query), or the 404 of a name that is none. */
export function roomTarget(url: URL): RoomTarget | Response {
  const category = url.searchParams.get('room');
  if (!category || !isCategory(category)) return new Response('unknown room', { status: 404 });
  const shardParam = url.searchParams.get('shard');
  const shard = shardParam === null ? undefined : Number(shardParam);
  if (shard !== undefined && !validShard(shard)) return new Response('unknown shard', { status: 404 });
  return { category, shard };
}

/**
 * What is wrong with a connect request's parameters (`severity`, `after`: each at most once, a
 * list of the four severities, a seq of at most 15 digits), or undefined when nothing is.
 */
export function connectProblem(
  url: URL,
  severities: Severity[] | undefined | null,
  after: number | undefined | null,
): string | undefined {
  const repeated = ['severity', 'after'].find((name) => url.searchParams.getAll(name).length > 1);
  if (repeated) return `${repeated} may be given once`;
  if (severities === null) return `severity must be a comma-separated list of ${SEVERITIES.join(', ')}`;
  if (after === null) return 'after must be a non-negative integer seq (at most 15 digits)';
  return undefined;
}

/**
 * Who a connect request is for, from the headers the Worker set after authenticating it
 * (`x-qc-user`: the token's sub; `x-qc-exp`: its `exp` in seconds; `x-qc-conn`: the connection's
 * lease). An `exp` that is not a positive finite number is treated as none.
 */
export function identityOf(request: Request): Identity {
  const exp = Number(request.headers.get('x-qc-exp') ?? '');
  return {
    user: request.headers.get('x-qc-user') ?? 'anonymous',
    exp: Number.isFinite(exp) && exp > 0 ? exp : undefined,
    conn: request.headers.get('x-qc-conn') ?? undefined,
  };
}

/** The headers of an SSE answer: no caching, no buffering by proxies. */
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

export type HandshakeHost = {
  readonly subscribers: Subscribers;
  readonly socketHost: SocketHost;
  readonly streamHost: SubscriberHost;
  /** ROOM_CONNECTIONS_PER_TOKEN: the connections one token may hold in this object. */
  roomConnectionsPerToken(): number;
  /** Binds the object to its role on first use (refusing another role later). */
  bind(target: RoomTarget): Promise<RoomRole>;
  lastSeq(): number;
  /** Gives a connection's lease back to its token's limiter (once). */
  release(who: { user: string; conn?: string | undefined }): void;
  /** Accepts a socket for hibernation (ctx.acceptWebSocket). */
  accept(ws: WebSocket): void;
  /** After its hello: a catching-up subscriber starts its replay; presence, stats and its expiry are scheduled. */
  welcomed(s: Subscriber): void;
};

/** Answers one connect request: a WebSocket upgrade (101) or an SSE stream, or the refusal. */
export async function connect(request: Request, host: HandshakeHost): Promise<Response> {
  const url = new URL(request.url);
  const target = roomTarget(url);
  if (target instanceof Response) return target;
  const role = await host.bind(target);
  const { category } = target;
  const severities = parseSeverityList(url.searchParams.get('severity'));
  const after = parseCursor(url.searchParams.get('after'));
  await role.beforeConnect(after);
  const badRequest = connectProblem(url, severities, after);
  const who = identityOf(request);
  const browser = request.headers.get('x-qc-subprotocol') !== null;
  const sse = url.pathname.endsWith('/sse');
  if (!sse && request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    host.release(who);
    return new Response('expected a WebSocket upgrade', { status: 426 });
  }
  // The per-room cap of one token, counted and taken in this one synchronous step.
  const cap = host.roomConnectionsPerToken();
  const full = !badRequest && host.subscribers.connectionsOf(who.user) >= cap;
  if (full) {
    host.release(who);
    log('info', 'room refused a connection over the per-token cap', { room: role.name, user: who.user, cap });
  }
  const capMessage = `this token has ${cap} connections open in room ${category} (at most ${cap}); close one or retry in ${CONNECTION_RETRY_SECONDS} s`;
  if (sse) {
    if (badRequest) {
      host.release(who);
      return Response.json({ error: { code: 'invalid_request', message: badRequest } }, { status: 400 });
    }
    if (full) return refusalResponse('room_connections', capMessage, CONNECTION_RETRY_SECONDS);
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const s = new StreamSubscriber(
      writable.getWriter(),
      newSubscriberState(who, severities ?? null, after ?? undefined, host.lastSeq(), Date.now()),
      host.streamHost,
    );
    host.subscribers.addStream(s);
    welcome(s, category, host);
    return new Response(readable, { headers: { ...SSE_HEADERS, ...role.connectHeaders } });
  }
  // A program reads a refused upgrade's body; a browser cannot, so it is told inside the socket.
  if (full && !browser) return refusalResponse('room_connections', capMessage, CONNECTION_RETRY_SECONDS);

  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  host.accept(server);
  const headers = browser
    ? { 'sec-websocket-protocol': ROOM_SUBPROTOCOL, ...role.connectHeaders }
    : role.connectHeaders;
  if (badRequest || full) {
    host.release(who);
    const message: ServerMessage = badRequest
      ? { type: 'error', code: 'bad_request', message: badRequest }
      : {
          type: 'error',
          code: 'rate_limited',
          message: capMessage,
          details: { limit: 'room_connections', retryAfterSeconds: CONNECTION_RETRY_SECONDS },
        };
    server.send(JSON.stringify(message));
    server.close(badRequest ? CLOSE.policy : CLOSE.rateLimited, badRequest ? 'bad request' : 'too many connections');
    return new Response(null, { status: 101, webSocket: client, headers });
  }
  // Synchronous from here to the hello: the cursor and the hello's lastSeq are the same instant.
  const now = Date.now();
  const s = new SocketSubscriber(
    server,
    newSubscriberState(who, severities ?? null, after ?? undefined, host.lastSeq(), now),
    host.socketHost,
    now,
  );
  host.subscribers.addSocket(s);
  welcome(s, category, host);
  return new Response(null, { status: 101, webSocket: client, headers });
}

/** The one set-up of a subscriber already in the room: its transport's preamble, its `hello`, then catch-up or live. */
function welcome(s: Subscriber, category: Category, host: HandshakeHost): void {
  s.begin();
  s.send(
    JSON.stringify({
      type: 'hello',
      room: category,
      connections: host.subscribers.connections,
      lastSeq: host.lastSeq(),
    } satisfies ServerMessage),
  );
  host.welcomed(s);
}
