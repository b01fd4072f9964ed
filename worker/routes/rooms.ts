/**
 * The rooms resource, mounted at /api/rooms: a category room's WebSocket, its SSE fallback, and
 * the drain before a deploy. Behind the origin guard, a viewer token and the token's scope.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CATEGORIES, parseCategory, type Category } from '../../protocol/enums.ts';
import { parseCursor, parseSeverityList } from '../../protocol/room.ts';
import { getConfig } from '../config.ts';
import { apiError } from '../errors.ts';
import { offersRoomProtocol } from '../middleware/auth/credentials.ts';
import { requireRole, roomInScope } from '../middleware/auth/index.ts';
import { allowedOrigin } from '../middleware/origin/index.ts';
import { leaseRoomConnection } from '../middleware/room-connection/index.ts';
import type { Room } from '../room/room.ts';
import { roomShardStub, roomStub } from '../room/stubs.ts';
import type { AppEnv } from '../types.ts';
import { BEARER, errors } from './openapi.ts';

export const rooms = new OpenAPIHono<AppEnv>();

const RoomParams = z.object({
  category: z.string().openapi({ param: { name: 'category', in: 'path' }, example: 'Container' }),
});
const RoomQuery = z.object({
  severity: z
    .string()
    .optional()
    .openapi({ description: 'Comma-separated severities (default all); at most once', example: 'Critical,High' }),
  after: z.string().optional().openapi({
    description:
      'Resume cursor (a seq, up to 15 digits): replay every matching change with a greater seq, then live; at most once',
  }),
});
/**
 * The socket's query is only described here, not validated: a browser cannot read the body of a
 * refused upgrade, so the room answers bad parameters (a repeated one included) inside the socket
 * with an `error` message and 1008.
 */
const SocketQuery = z.object({
  severity: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({
      type: 'string',
      description: 'Comma-separated severities (default all); at most once',
      example: 'Critical,High',
    }),
  after: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .openapi({
      type: 'string',
      description:
        'Resume cursor (a seq, up to 15 digits): replay every matching change with a greater seq, then live; at most once',
    }),
});

rooms.use('*', allowedOrigin());
rooms.use('*', requireRole('viewer'));
rooms.use('/:category/*', roomInScope());
rooms.use('/:category/drain', requireRole('admin'));

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
    path: '/{category}/ws',
    summary: 'WebSocket into a category room',
    description:
      'Upgrade to the room protocol (DESIGN.md, Rooms; docs/rooms.md). Query: `severity=Critical,High` (default all), `after=<seq>` (replay then live). ' +
      `Browsers offer the subprotocols \`quaycast.v1\` and \`bearer.<jwt>\` instead of an Authorization header. Rooms: ${CATEGORIES.join(', ')}.`,
    security: BEARER,
    request: { params: RoomParams, query: SocketQuery },
    responses: {
      101: {
        description:
          'Switching protocols (bad `severity`/`after` are answered inside the socket: `error` `bad_request`, then close 1008)',
      },
      ...errors({
        401: 'Missing or invalid token',
        403: 'Origin not allowed, or a room outside the token’s scope',
        404: 'No such room',
        426: 'Not a WebSocket upgrade',
        429:
          'Too many connections of this token (`details.limit`: `connections` across rooms, `room_connections` in this room), with `Retry-After`. ' +
          'A browser (offering `quaycast.v1`) is told inside the socket instead: `error` `rate_limited` with `details`, then close 4429.',
      }),
    },
  }),
  async (c) => {
    const category = roomOf(c.req.param('category'));
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
      apiError(426, 'upgrade_required', 'this endpoint takes a WebSocket upgrade');
    const headers = new Headers(c.req.raw.headers);
    const browser = offersRoomProtocol(c.req.raw);
    if (browser) headers.set('x-qc-subprotocol', '1');
    const { stub, shard } = subscriberRoom(c.env, category);
    c.set('logFields', shard === undefined ? { room: category } : { room: category, shard });
    const refused = await leaseRoomConnection(c, stub, headers, browser);
    if (refused) return refused;
    // Bad `severity` / `after` are answered inside the socket (an `error` message, then 1008).
    return stub.fetch(new Request(roomUrl(c.req.url, category, shard), { headers })) as unknown as Response;
  },
);

rooms.openapi(
  createRoute({
    method: 'get',
    path: '/{category}/sse',
    summary: 'Server-Sent Events fallback of a category room',
    description:
      'The room messages as SSE `data:` lines (JSON, same shapes as the socket); `events` frames carry `id: <seq of their last change>`. ' +
      'Resumes from the `Last-Event-ID` header (EventSource sends it on reconnect) or `after`; the header wins. Heartbeat comments every 15 s. ' +
      'Browsers authenticate with the `qc_session` cookie (POST /api/session).',
    security: BEARER,
    request: { params: RoomParams, query: RoomQuery },
    responses: {
      200: { description: 'text/event-stream' },
      ...errors({
        400: 'Bad or repeated severity, after or Last-Event-ID',
        401: 'Missing or invalid token',
        403: 'Origin not allowed, or a room outside the token’s scope',
        404: 'No such room',
        429: 'Too many connections of this token (`details.limit`: `connections` or `room_connections`), with `Retry-After`',
      }),
    },
  }),
  async (c) => {
    const category = roomOf(c.req.param('category'));
    const lastEventId = parseCursor(c.req.header('last-event-id'));
    const after = parseCursor(c.req.query('after'));
    if (lastEventId === null) apiError(400, 'invalid_request', 'Last-Event-ID must be a non-negative integer seq');
    if (after === null) apiError(400, 'invalid_request', 'after must be a non-negative integer seq');
    if (parseSeverityList(c.req.query('severity')) === null)
      apiError(400, 'invalid_request', 'severity must be a comma-separated list of Critical, High, Medium, Low');
    const { stub, shard } = subscriberRoom(c.env, category);
    c.set(
      'logFields',
      shard === undefined ? { room: category, transport: 'sse' } : { room: category, transport: 'sse', shard },
    );
    const headers = new Headers();
    const refused = await leaseRoomConnection(c, stub, headers, false);
    if (refused) return refused;
    return stub.fetch(
      new Request(roomUrl(c.req.url, category, shard, lastEventId ?? after), { headers }),
    ) as unknown as Response;
  },
);

const DrainBody = z.object({
  reason: z.enum(['drain', 'overload']).optional(),
  spreadMs: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .optional()
    .openapi({ description: 'Reconnect delays are spread over this window (jitter)' }),
});

rooms.openapi(
  createRoute({
    method: 'post',
    path: '/{category}/drain',
    summary: 'Drain a room (before a deploy)',
    description:
      'Sends every subscriber `{ type: "reconnect", afterMs, reason }` with a jittered delay, then closes it with 1012. Clients come back with their cursor. ' +
      'A sharded room (ROOM_SHARDS > 1) drains all its shards.',
    security: BEARER,
    request: { params: RoomParams, body: { required: false, content: { 'application/json': { schema: DrainBody } } } },
    responses: {
      200: {
        description: 'How many subscribers were asked to reconnect',
        content: { 'application/json': { schema: z.object({ closed: z.number().int() }) } },
      },
      ...errors({ 401: 'Missing or invalid token', 403: 'Not an admin', 404: 'No such room' }),
    },
  }),
  async (c) => {
    const category = roomOf(c.req.param('category'));
    const body = c.req.header('content-type')?.includes('application/json') ? c.req.valid('json') : {};
    c.set('logFields', { room: category });
    return c.json(await roomStub(c.env, category).drain(category, body ?? {}), 200);
  },
);
