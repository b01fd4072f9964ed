/** GET /api/stats: counts for the dashboard's header and charts, live connections per room, and whether the pipeline flows. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CATEGORIES, SEVERITIES, STATUSES } from '../../protocol/enums.ts';
import { BRIDGE_STATES } from '../../protocol/bridge-status.ts';
import { PIPELINE_STATES } from '../../protocol/pipeline.ts';
import type { SameType } from '../../protocol/same-type.ts';
import { allowedCategories, seesEverything } from '../../protocol/scope.ts';
import type { StatsResponse } from '../../protocol/stats.ts';
import { getConfig } from '../config.ts';
import { bridgeStatuses } from '../db/bridge-status.ts';
import { createDb } from '../db/client.ts';
import { eventStats, newestReceivedAt } from '../db/stats.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { pipelineState } from '../pipeline.ts';
import { roomStub } from '../room/stubs.ts';
import type { AppEnv } from '../types.ts';
import { PEOPLE, errors } from './openapi.ts';

const counts = <T extends string>(keys: readonly T[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<T, z.ZodNumber>);

const StatsSchema = z.object({
  total: z.number().int().openapi({ description: 'Events stored (not deleted)' }),
  byCategory: counts(CATEGORIES),
  bySeverity: counts(SEVERITIES),
  byStatus: counts(STATUSES),
  today: z.number().int().openapi({ description: 'Received since 00:00 UTC' }),
  critical: z.number().int().openapi({ description: 'Critical and not Resolved/Closed' }),
  unresolved: z.number().int().openapi({ description: 'Not Resolved/Closed' }),
  requiresAction: z.number().int().openapi({ description: 'requiresAction and not Resolved/Closed' }),
  perMinute: z
    .array(z.number().int())
    .length(60)
    .openapi({ description: 'Received per minute over the last hour, oldest first' }),
  rooms: z.record(z.string(), z.object({ connections: z.number().int(), lastSeq: z.number().int() })),
  pipeline: z
    .object({
      state: z.enum(PIPELINE_STATES).openapi({
        description:
          '`flowing` (records on the way), `idle` (nothing waits in Kafka), `stalled` (a partition has not moved for `stallMs`, records waited that long with nothing stored, or a bridge has been starting that long), ' +
          '`unknown` (no bridge reported within 3 of its intervals)',
      }),
      reasons: z.array(z.string()).openapi({ description: 'Why, one line each; the first is the most important' }),
      lastStoredAt: z.string().nullable().openapi({ description: "The newest stored event's receivedAt" }),
      lag: z.number().int().nullable().openapi({
        description:
          "Records not yet stored or dead-lettered, over the live bridges' partitions; null with no live bridge",
      }),
      stallMs: z.number().int().openapi({ description: 'PIPELINE_STALL_MS' }),
      bridges: z.array(
        z.object({
          bridgeId: z.string(),
          state: z.enum(BRIDGE_STATES),
          gone: z.boolean().openapi({ description: 'No report within 3 of its intervals' }),
          reportedAt: z.string(),
          intervalMs: z.number().int(),
          partitions: z.number().int(),
          stalledPartitions: z.number().int(),
          lag: z.number().int(),
          deadLettered: z.number().int(),
        }),
      ),
    })
    .openapi({
      description:
        "Is the pipeline flowing? From the bridges' reports (POST /internal/bridge/status) and the newest stored event (docs/operations.md)",
    }),
  storage: z.object({ hotDays: z.number().int().nullable() }).openapi({
    description:
      'Where the history lives: `hotDays`, the days D1 keeps (older changes are in the R2 archive; text search and `unread` read only the hot window), or null when no archive is bound (docs/archive.md)',
  }),
  at: z.string(),
});
true satisfies SameType<z.infer<typeof StatsSchema>, StatsResponse>;

export const stats = new OpenAPIHono<AppEnv>();

stats.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'Event counts, room connections and pipeline liveness',
    description:
      'A scoped token (a `categories` claim) gets counts of its categories only (the others count 0) and the rooms of its categories only. ' +
      '`pipeline` describes the shared pipeline (bridges, lag, the newest stored event) for every caller: it carries no counts or content of events.',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    responses: {
      200: { description: 'Stats', content: { 'application/json': { schema: StatsSchema } } },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden' }),
    },
  }),
  async (c) => {
    const now = Date.now();
    const db = createDb(c.env.DB);
    const user = c.get('user');
    const visible = allowedCategories(user);
    const [counted, bridges, lastStoredAt, ...infos] = await Promise.all([
      eventStats(db, now, seesEverything(user) ? undefined : visible),
      bridgeStatuses(db),
      newestReceivedAt(db),
      ...visible.map((cat) => roomStub(c.env, cat).info()),
    ]);
    const rooms = Object.fromEntries(visible.map((cat, i) => [cat, infos[i]!]));
    const pipeline = pipelineState({ bridges, lastStoredAt, now, stallMs: getConfig(c.env).pipelineStallMs });
    const storage = { hotDays: (c.env as Partial<Env>).ARCHIVE ? getConfig(c.env).archive.hotDays : null };
    return c.json(
      { ...counted, rooms, pipeline, storage, at: new Date(now).toISOString() } satisfies StatsResponse,
      200,
    );
  },
);
