/** /api/notifications (docs/rules.md, "Notifications"): the caller's inbox, by sub and by role. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CATEGORIES } from '../../protocol/enums.ts';
import { createDb } from '../db/client.ts';
import { markNotificationsRead, notificationsFor } from '../db/rules.ts';
import { apiError } from '../errors.ts';
import { offersRoomProtocol } from '../middleware/auth/credentials.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { allowedOrigin } from '../middleware/origin/index.ts';
import { inboxStub } from '../rules/stub.ts';
import type { AppEnv } from '../types.ts';
import { BEARER, PEOPLE, errors } from './openapi.ts';

/** Most notifications one answer lists, and ids one read mark takes. */
export const MAX_NOTIFICATIONS = 200;

export const notifications = new OpenAPIHono<AppEnv>();

const InboxSchema = z.object({
  unread: z
    .number()
    .int()
    .openapi({ description: 'Unread notifications of the caller, all of them (not only this page)' }),
  data: z.array(
    z.object({
      id: z.string(),
      ruleId: z.string().nullable().openapi({ description: 'null for built-in ones (assigned to you)' }),
      eventId: z.string(),
      category: z.enum(CATEGORIES),
      severity: z.string(),
      title: z.string(),
      kind: z.string().openapi({ description: 'rule | assigned | escalation' }),
      createdAt: z.string(),
      read: z.boolean(),
    }),
  ),
});

notifications.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: "The caller's notifications, newest first, with the unread count",
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(MAX_NOTIFICATIONS).optional().openapi({ description: 'default 50' }),
      }),
    },
    responses: {
      200: { description: 'The inbox', content: { 'application/json': { schema: InboxSchema } } },
      ...errors({ 400: 'Invalid query', 401: 'Missing or invalid token', 403: 'Forbidden' }),
    },
  }),
  async (c) => {
    const user = c.get('user');
    const { limit = 50 } = c.req.valid('query');
    const inbox = await notificationsFor(createDb(c.env.DB), { sub: user.sub, role: user.role }, limit);
    return c.json(inbox, 200);
  },
);

notifications.openapi(
  createRoute({
    method: 'post',
    path: '/read',
    summary: 'Mark notifications read (these ids, or all of the caller’s)',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.strictObject({ ids: z.array(z.string().min(1).max(600)).max(MAX_NOTIFICATIONS).optional() }),
          },
        },
      },
    },
    responses: {
      200: {
        description: 'The unread count after',
        content: { 'application/json': { schema: z.object({ unread: z.number().int() }) } },
      },
      ...errors({ 400: 'Invalid body', 401: 'Missing or invalid token', 403: 'Forbidden' }),
    },
  }),
  async (c) => {
    const user = c.get('user');
    const db = createDb(c.env.DB);
    const who = { sub: user.sub, role: user.role };
    await markNotificationsRead(db, who, c.req.valid('json').ids, Date.now());
    const { unread } = await notificationsFor(db, who, 1);
    return c.json({ unread }, 200);
  },
);

notifications.openapi(
  createRoute({
    method: 'get',
    path: '/ws',
    summary: 'WebSocket of hints: "your notifications changed"',
    description:
      'Sends `{ "type": "hello" }`, then `{ "type": "notifications" }` whenever a notification for the caller (by sub or role) is recorded; ' +
      "the client re-reads GET /api/notifications (the hint carries no content; the count is always D1's). " +
      'Browsers offer the subprotocols `quaycast.v1` and `bearer.<jwt>`, as for rooms. The text `ping` is answered `pong`.',
    security: BEARER,
    middleware: [allowedOrigin(), requireRole('viewer')],
    responses: {
      101: { description: 'Switching protocols' },
      ...errors({ 401: 'Missing or invalid token', 403: 'Origin not allowed', 426: 'Not a WebSocket upgrade' }),
    },
  }),
  async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
      apiError(426, 'upgrade_required', 'this endpoint takes a WebSocket upgrade');
    const user = c.get('user');
    const headers = new Headers({ upgrade: 'websocket', 'x-qc-user': user.sub, 'x-qc-role': user.role });
    if (offersRoomProtocol(c.req.raw)) headers.set('x-qc-subprotocol', '1');
    return inboxStub(c.env).fetch(new Request('https://inbox/ws', { headers })) as unknown as Response;
  },
);
