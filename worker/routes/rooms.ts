import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CATEGORIES, parseCategory } from '../../protocol/enums.ts';
import { offersRoomProtocol, requireRole } from '../auth.ts';
import { apiError } from '../errors.ts';
import { roomStub } from '../room.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

export const rooms = new OpenAPIHono<AppEnv>();

const RoomParams = z.object({ category: z.string().openapi({ param: { name: 'category', in: 'path' }, example: 'Container' }) });

rooms.use('/api/rooms/*', requireRole('viewer'));

rooms.openapi(
  createRoute({
    method: 'get',
    path: '/api/rooms/{category}/ws',
    summary: 'WebSocket into a category room',
    description:
      'Upgrade to the room protocol (DESIGN.md, Rooms). Query: `severity=Critical,High` (default all), `after=<seq>` (replay then live). ' +
      `Browsers offer the subprotocols \`quaycast.v1\` and \`bearer.<jwt>\` instead of an Authorization header. Rooms: ${CATEGORIES.join(', ')}.`,
    security: [{ bearer: [] }],
    request: {
      params: RoomParams,
      query: z.object({ severity: z.string().optional(), after: z.string().optional() }),
    },
    responses: {
      101: { description: 'Switching protocols' },
      401: { description: 'Missing or invalid token', content: { 'application/json': { schema: ErrorSchema } } },
      404: { description: 'No such room', content: { 'application/json': { schema: ErrorSchema } } },
      426: { description: 'Not a WebSocket upgrade', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const category = parseCategory(c.req.param('category'));
    if (!category) apiError(404, 'not_found', `no room ${c.req.param('category')}; rooms are ${CATEGORIES.join(', ')}`);
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') apiError(426, 'upgrade_required', 'this endpoint takes a WebSocket upgrade');
    const url = new URL(c.req.url);
    url.searchParams.set('room', category);
    const headers = new Headers(c.req.raw.headers);
    headers.set('x-qc-user', c.get('user').sub);
    if (offersRoomProtocol(c.req.raw)) headers.set('x-qc-subprotocol', '1');
    c.set('logFields', { room: category });
    return roomStub(c.env, category).fetch(new Request(url, { headers })) as unknown as Response;
  },
);
