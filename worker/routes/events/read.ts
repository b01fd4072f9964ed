/** GET /api/events/{id} and its workflow history. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { STATUSES } from '../../../protocol/enums.ts';
import { HISTORY_ACTIONS, type HistoryEntry } from '../../../protocol/history.ts';
import type { SameType } from '../../../protocol/same-type.ts';
import { mayView } from '../../../protocol/scope.ts';
import { createDb } from '../../db/client.ts';
import { findAnyTier } from '../../archive/reader.ts';
import { eventHistoryOf } from '../../db/list.ts';
import { apiError } from '../../errors.ts';
import { requireRole } from '../../middleware/auth/index.ts';
import type { AppEnv } from '../../types.ts';
import { PEOPLE, errors } from '../openapi.ts';
import { EventWithReadSchema, IdParams } from './query.ts';

export const readEvent = new OpenAPIHono<AppEnv>();

/** Who may read one event, and how it is named: both routes of this file. */
const ONE_EVENT = { security: PEOPLE, middleware: [requireRole('viewer')], request: { params: IdParams } };

readEvent.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    summary: 'One event',
    ...ONE_EVENT,
    responses: {
      200: {
        description: 'The event, with the caller’s read flag',
        content: { 'application/json': { schema: EventWithReadSchema } },
      },
      ...errors({
        401: 'Missing or invalid token',
        403: 'Forbidden',
        404: 'No such event (or deleted, or outside the token’s categories)',
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const user = c.get('user');
    const found = await findAnyTier(createDb(c.env.DB), (c.env as Partial<Env>).ARCHIVE, id, user.sub);
    // Outside the scope is 404 like a missing event: existence does not leak.
    if (!found || found.deleted || !mayView(user, found.category)) apiError(404, 'not_found', `no event ${id}`);
    return c.json({ ...found.event, read: found.read }, 200);
  },
);

const HistorySchema = z.object({
  eventId: z.string(),
  seq: z.number().int(),
  at: z.number().int().openapi({ description: 'ms since epoch' }),
  actor: z.string().openapi({ description: 'JWT sub of who changed it' }),
  action: z.enum(HISTORY_ACTIONS),
  fromStatus: z.enum(STATUSES).nullable(),
  toStatus: z.enum(STATUSES).nullable(),
  note: z.string().nullable(),
});
true satisfies SameType<z.infer<typeof HistorySchema>, HistoryEntry>;

readEvent.openapi(
  createRoute({
    method: 'get',
    path: '/{id}/history',
    summary: "An event's workflow history",
    description: 'Every change (acknowledge, assign, resolve, delete, ...) oldest first; also for deleted events.',
    ...ONE_EVENT,
    responses: {
      200: {
        description: 'History entries',
        content: { 'application/json': { schema: z.object({ data: z.array(HistorySchema) }) } },
      },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden', 404: 'No such event' }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const db = createDb(c.env.DB);
    const user = c.get('user');
    const found = await findAnyTier(db, (c.env as Partial<Env>).ARCHIVE, id, user.sub);
    if (!found || !mayView(user, found.category)) apiError(404, 'not_found', `no event ${id}`);
    return c.json({ data: found.archived ? (found.history ?? []) : await eventHistoryOf(db, id) }, 200);
  },
);
