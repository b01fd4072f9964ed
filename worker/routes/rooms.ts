import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { CATEGORIES, parseCategory, type Category } from '../../protocol/enums.ts';
import { parseCursor, parseSeverityList } from '../../protocol/room.ts';
import { mayView } from '../../protocol/scope.ts';
import { offersRoomProtocol, requireRole } from '../auth.ts';
import { getConfig } from '../config.ts';
import { apiError } from '../errors.ts';
import { refuseConnection, takeConnection } from '../limits/room-connection.ts';
import type { Room } from '../room/room.ts';
import { roomShardStub, roomStub } from '../room/stubs.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

export const rooms = new OpenAPIHono<AppEnv>();

const RoomParams = z.object({ category: z.string().openapi({ param: { name: 'category', in: 'path' }, example: 'Container' }) });
const RoomQuery = z.object({
  severity: z.string().optional().openapi({ description: 'Comma-separated severities (default all); at most once', example: 'Critical,High' }),
  after: z.string().optional().openapi({ description: 'Resume cursor (a seq, up to 15 digits): replay every matching change with a greater seq, then live; at most once' }),
});
/**
 * The socket's query is only described here, not validated: a browser cannot read the body of a
 * refused upgrade, so the room answers bad parameters (a repeated one included) inside the socket
 * with an `error` message and 1008.
 */
const SocketQuery = z.object({
  severity: z.union([z.string(), z.array(z.string())]).optional().openapi({ type: 'string', description: 'Comma-separated severities (default all); at most once', example: 'Critical,High' }),
  after: z.union([z.string(), z.array(z.string())]).optional().openapi({ type: 'string', description: 'Resume cursor (a seq, up to 15 digits): replay every matching change with a greater seq, then live; at most once' }),
});

/**
 * Cross-site WebSocket hijacking guard: a browser always sends Origin on a socket or EventSource;
 * one that is neither this host nor in the CORS allow-list is refused before the cookie is read.
 */
export function allowedOrigin(): MiddlewareHandler<AppEnv> {
  return async function allowedOriginMiddleware(c, next) {
    const origin = c.req.header('origin');
    if (origin && origin !== new URL(c.req.url).origin && !getConfig(c.env).corsOrigins.includes(origin)) {
      apiError(403, 'forbidden_origin', `origin ${origin} may not open rooms`);
    }
    await next();
  };
}

/**
 * A scoped token opens only the rooms of its categories: 403 at the door for the WebSocket
 * upgrade, SSE and drain alike (an unknown room stays the 404 of roomOf).
 */
export function roomInScope(): MiddlewareHandler<AppEnv> {
  return async function roomInScopeMiddleware(c, next) {
    const category = parseCategory(c.req.param('category') ?? '');
    if (category && !mayView(c.get('user'), category)) apiError(403, 'forbidden', `this token may not open the ${category} room; its scope is ${c.get('user').categories!.join(', ')}`);
    await next();
  };
}

rooms.use('/api/rooms/*', allowedOrigin());
rooms.use('/api/rooms/*', requireRole('viewer'));
rooms.use('/api/rooms/:category/*', roomInScope());
rooms.use('/api/rooms/:category/drain', requireRole('admin'));

function roomOf(raw: string): Category {
  const category = parseCategory(raw);
  if (!category) apiError(404, 'not_found', `no room ${raw}; rooms are ${CATEGORIES.join(', ')}`);
  return category;
}

/**
 * Where a subscriber of a category goes: its room, or with ROOM_SHARDS > 1 one of its fan-out
 * shards, drawn at random. Random rather than a hash of the token's sub: many dashboards share
 * one token (a wall of screens, one viewer token), which a hash would pile onto one shard; and
 * every shard serves the same seq space, so a client gains nothing from landing on the same one.
 */
function subscriberRoom(env: Env, category: Category): { stub: DurableObjectStub<Room>; shard?: number } {
  const shards = getConfig(env).roomShards;
  if (shards <= 1) return { stub: roomStub(env, category) };
  const shard = 1 + Math.floor(Math.random() * shards);
  return { stub: roomShardStub(env, category, shard), shard };
}

/** The Room DO's URL for this request: the same path and query plus the canonical room name (and shard). */
function roomUrl(requestUrl: string, category: Category, shard: number | undefined, after?: number): URL {
  const url = new URL(requestUrl);
  url.searchParams.set('room', category);
  if (shard !== undefined) url.searchParams.set('shard', String(shard));
  else url.searchParams.delete('shard');
  if (after !== undefined) url.searchParams.set('after', String(after));
  return url;
}

rooms.openapi(
  createRoute({
    method: 'get',
    path: '/api/rooms/{category}/ws',
    summary: 'WebSocket into a category room',
    description:
      'Upgrade to the room protocol (DESIGN.md, Rooms; docs/rooms.md). Query: `severity=Critical,High` (default all), `after=<seq>` (replay then live). ' +
      `Browsers offer the subprotocols \`quaycast.v1\` and \`bearer.<jwt>\` instead of an Authorization header. Rooms: ${CATEGORIES.join(', ')}.`,
    security: [{ bearer: [] }],
    request: { params: RoomParams, query: SocketQuery },
    responses: {
      101: { description: 'Switching protocols (bad `severity`/`after` are answered inside the socket: `error` `bad_request`, then close 1008)' },
      401: { description: 'Missing or invalid token', content: { 'application/json': { schema: ErrorSchema } } },
      403: { description: 'Origin not allowed, or a room outside the token’s scope', content: { 'application/json': { schema: ErrorSchema } } },
      404: { description: 'No such room', content: { 'application/json': { schema: ErrorSchema } } },
      426: { description: 'Not a WebSocket upgrade', content: { 'application/json': { schema: ErrorSchema } } },
      429: {
        description:
          'Too many connections of this token (`details.limit`: `connections` across rooms, `room_connections` in this room), with `Retry-After`. ' +
          'A browser (offering `quaycast.v1`) is told inside the socket instead: `error` `rate_limited` with `details`, then close 4429.',
        content: { 'application/json': { schema: ErrorSchema } },
      },
    },
  }),
  async (c) => {
    const category = roomOf(c.req.param('category'));
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') apiError(426, 'upgrade_required', 'this endpoint takes a WebSocket upgrade');
    const headers = new Headers(c.req.raw.headers);
    const browser = offersRoomProtocol(c.req.raw);
    if (browser) headers.set('x-qc-subprotocol', '1');
    const { stub, shard } = subscriberRoom(c.env, category);
    c.set('logFields', shard === undefined ? { room: category } : { room: category, shard });
    const lease = await takeConnection(c.env, c.get('user'), stub, headers);
    if (!lease.ok) return refuseConnection(lease, browser);
    // Bad `severity` / `after` are answered inside the socket (an `error` message, then 1008).
    return stub.fetch(new Request(roomUrl(c.req.url, category, shard), { headers })) as unknown as Response;
  },
);

rooms.openapi(
  createRoute({
    method: 'get',
    path: '/api/rooms/{category}/sse',
    summary: 'Server-Sent Events fallback of a category room',
    description:
      'The room messages as SSE `data:` lines (JSON, same shapes as the socket); `events` frames carry `id: <seq of their last change>`. ' +
      'Resumes from the `Last-Event-ID` header (EventSource sends it on reconnect) or `after`; the header wins. Heartbeat comments every 15 s. ' +
      'Browsers authenticate with the `qc_session` cookie (POST /api/session).',
    security: [{ bearer: [] }],
    request: { params: RoomParams, query: RoomQuery },
    responses: {
      200: { description: 'text/event-stream' },
      400: { description: 'Bad or repeated severity, after or Last-Event-ID', content: { 'application/json': { schema: ErrorSchema } } },
      401: { description: 'Missing or invalid token', content: { 'application/json': { schema: ErrorSchema } } },
      403: { description: 'Origin not allowed, or a room outside the token’s scope', content: { 'application/json': { schema: ErrorSchema } } },
      404: { description: 'No such room', content: { 'application/json': { schema: ErrorSchema } } },
      429: { description: 'Too many connections of this token (`details.limit`: `connections` or `room_connections`), with `Retry-After`', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const category = roomOf(c.req.param('category'));
    const lastEventId = parseCursor(c.req.header('last-event-id'));
    const after = parseCursor(c.req.query('after'));
    if (lastEventId === null) apiError(400, 'invalid_request', 'Last-Event-ID must be a non-negative integer seq');
    if (after === null) apiError(400, 'invalid_request', 'after must be a non-negative integer seq');
    if (parseSeverityList(c.req.query('severity')) === null) apiError(400, 'invalid_request', 'severity must be a comma-separated list of Critical, High, Medium, Low');
    const { stub, shard } = subscriberRoom(c.env, category);
    c.set('logFields', shard === undefined ? { room: category, transport: 'sse' } : { room: category, transport: 'sse', shard });
    const headers = new Headers();
    const lease = await takeConnection(c.env, c.get('user'), stub, headers);
    if (!lease.ok) return refuseConnection(lease, false);
    return stub.fetch(new Request(roomUrl(c.req.url, category, shard, lastEventId ?? after), { headers })) as unknown as Response;
  },
);

const DrainBody = z.object({
  reason: z.enum(['drain', 'overload']).optional(),
  spreadMs: z.number().int().min(0).max(60_000).optional().openapi({ description: 'Reconnect delays are spread over this window (jitter)' }),
});

rooms.openapi(
  createRoute({
    method: 'post',
    path: '/api/rooms/{category}/drain',
    summary: 'Drain a room (before a deploy)',
    description:
      'Sends every subscriber `{ type: "reconnect", afterMs, reason }` with a jittered delay, then closes it with 1012. Clients come back with their cursor. ' +
      'A sharded room (ROOM_SHARDS > 1) drains all its shards.',
    security: [{ bearer: [] }],
    request: { params: RoomParams, body: { required: false, content: { 'application/json': { schema: DrainBody } } } },
    responses: {
      200: { description: 'How many subscribers were asked to reconnect', content: { 'application/json': { schema: z.object({ closed: z.number().int() }) } } },
      401: { description: 'Missing or invalid token', content: { 'application/json': { schema: ErrorSchema } } },
      403: { description: 'Not an admin', content: { 'application/json': { schema: ErrorSchema } } },
      404: { description: 'No such room', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const category = roomOf(c.req.param('category'));
    const body = c.req.header('content-type')?.includes('application/json') ? c.req.valid('json') : {};
    c.set('logFields', { room: category });
    return c.json(await roomStub(c.env, category).drain(category, body ?? {}), 200);
  },
);
