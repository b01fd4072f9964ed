/**
 * The transactional outbox, read by the bridge: API-made events waiting to be published to
 * Kafka, and the acknowledgement that marks them published. The rows are written by the room in
 * the same D1 transaction as the events themselves (worker/db/events.ts, insertNewEvents).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { requireServiceToken } from '../auth.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

/** Most rows one poll returns and one acknowledgement takes. */
export const MAX_OUTBOX_PAGE = 500;

const PendingSchema = z.object({
  id: z.string(),
  topic: z.string(),
  createdAt: z.number().int(),
  /** The canonical event as stored now (with its current seq). */
  event: z.record(z.string(), z.unknown()),
});

const PENDING_SQL = `SELECT o.event_id AS id, o.topic AS topic, o.created_at AS createdAt, e.seq AS seq, e.doc AS doc
FROM outbox o JOIN events e ON e.id = o.event_id
WHERE o.published_at IS NULL
ORDER BY o.created_at, e.seq
LIMIT ?1`;

/** Pending outbox rows with their events, oldest first. */
export async function pendingOutbox(d1: D1Database, limit: number): Promise<z.infer<typeof PendingSchema>[]> {
  const { results } = await d1.prepare(PENDING_SQL).bind(limit).all<{ id: string; topic: string; createdAt: number; seq: number; doc: string }>();
  return results.map((r) => ({ id: r.id, topic: r.topic, createdAt: r.createdAt, event: { ...(JSON.parse(r.doc) as Record<string, unknown>), seq: r.seq } }));
}

/** Marks rows published (once: a second ack of the same id changes nothing). Returns how many moved. */
export async function ackOutbox(d1: D1Database, ids: string[], at: number): Promise<number> {
  // The ids travel as one JSON parameter: D1 allows at most 100 bound parameters per statement.
  const result = await d1
    .prepare('UPDATE outbox SET published_at = ?2 WHERE published_at IS NULL AND event_id IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify(ids), at)
    .run();
  return result.meta.changes ?? 0;
}

export const outbox = new OpenAPIHono<AppEnv>();

outbox.use('/internal/outbox', requireServiceToken());
outbox.use('/internal/outbox/*', requireServiceToken());

outbox.openapi(
  createRoute({
    method: 'get',
    path: '/internal/outbox',
    summary: 'API-made events not yet published to Kafka, oldest first',
    security: [{ serviceToken: [] }],
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_OUTBOX_PAGE).default(100) }) },
    responses: {
      200: { description: 'Pending rows', content: { 'application/json': { schema: z.object({ data: z.array(PendingSchema) }) } } },
      400: { description: 'Bad limit', content: { 'application/json': { schema: ErrorSchema } } },
      401: { description: 'Missing or wrong service token', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const { limit } = c.req.valid('query');
    const data = await pendingOutbox(c.env.DB, limit);
    c.set('logFields', { pending: data.length });
    return c.json({ data }, 200);
  },
);

outbox.openapi(
  createRoute({
    method: 'post',
    path: '/internal/outbox/ack',
    summary: 'Marks outbox rows published (after Kafka acknowledged them)',
    security: [{ serviceToken: [] }],
    request: { body: { required: true, content: { 'application/json': { schema: z.object({ ids: z.array(z.string().min(1)).min(1).max(MAX_OUTBOX_PAGE) }) } } } },
    responses: {
      200: { description: 'How many rows moved to published', content: { 'application/json': { schema: z.object({ acked: z.number().int() }) } } },
      400: { description: 'Bad body', content: { 'application/json': { schema: ErrorSchema } } },
      401: { description: 'Missing or wrong service token', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    const { ids } = c.req.valid('json');
    const acked = await ackOutbox(c.env.DB, ids, Date.now());
    c.set('logFields', { ids: ids.length, acked });
    return c.json({ acked }, 200);
  },
);
