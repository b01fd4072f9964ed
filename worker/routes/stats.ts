/** GET /api/stats: counts for the dashboard's header and charts, and live connections per room. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CATEGORIES, SEVERITIES, STATUSES } from '../../protocol/enums.ts';
import { requireRole } from '../auth.ts';
import { createDb } from '../db/client.ts';
import { eventStats } from '../db/stats.ts';
import { roomStub } from '../room.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

const counts = <T extends string>(keys: readonly T[]) => z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<T, z.ZodNumber>);

const StatsSchema = z.object({
  total: z.number().int().openapi({ description: 'Events stored (not deleted)' }),
  byCategory: counts(CATEGORIES),
  bySeverity: counts(SEVERITIES),
  byStatus: counts(STATUSES),
  today: z.number().int().openapi({ description: 'Received since 00:00 UTC' }),
  critical: z.number().int().openapi({ description: 'Critical and not Resolved/Closed' }),
  unresolved: z.number().int().openapi({ description: 'Not Resolved/Closed' }),
  requiresAction: z.number().int().openapi({ description: 'requiresAction and not Resolved/Closed' }),
  perMinute: z.array(z.number().int()).length(60).openapi({ description: 'Received per minute over the last hour, oldest first' }),
  rooms: z.record(z.string(), z.object({ connections: z.number().int(), lastSeq: z.number().int() })),
  at: z.string(),
});

export const stats = new OpenAPIHono<AppEnv>();

stats.openapi(
  createRoute({
    method: 'get',
    path: '/api/stats',
    summary: 'Event counts and room connections',
    security: [{ bearer: [] }, { cookie: [] }] as { [scheme: string]: string[] }[],
    middleware: [requireRole('viewer')],
    responses: {
      200: { description: 'Stats', content: { 'application/json': { schema: StatsSchema } } },
      401: { description: 'Missing or invalid token', content: { 'application/json': { schema: ErrorSchema } } },
      403: { description: 'Forbidden', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const now = Date.now();
    const [counted, ...infos] = await Promise.all([eventStats(createDb(c.env.DB), now), ...CATEGORIES.map((cat) => roomStub(c.env, cat).info())]);
    const rooms = Object.fromEntries(CATEGORIES.map((cat, i) => [cat, infos[i]!]));
    return c.json({ ...counted, rooms, at: new Date(now).toISOString() }, 200);
  },
);
