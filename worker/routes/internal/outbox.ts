/**
 * GET /internal/outbox and POST /internal/outbox/ack: the transactional outbox (worker/db/outbox.ts),
 * read by the bridge: API-made events waiting to be published to Kafka, and the acknowledgement
 * that marks them published.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { createDb } from '../../db/client.ts';
import { ackOutbox, pendingOutbox } from '../../db/outbox.ts';
import type { AppEnv } from '../../types.ts';
import { SERVICE, errors } from '../openapi.ts';

/** Most rows one poll returns and one acknowledgement takes. */
export const MAX_OUTBOX_PAGE = 500;

const PendingSchema = z.object({
  id: z.string(),
  topic: z.string(),
  createdAt: z.number().int(),
  /** The canonical event as stored now (with its current seq). */
  event: z.record(z.string(), z.unknown()),
});

export const outbox = new OpenAPIHono<AppEnv>();

outbox.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'API-made events not yet published to Kafka, oldest first',
    security: SERVICE,
    request: { query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_OUTBOX_PAGE).default(100) }) },
    responses: {
      200: {
        description: 'Pending rows',
        content: { 'application/json': { schema: z.object({ data: z.array(PendingSchema) }) } },
      },
      ...errors({ 400: 'Bad limit', 401: 'Missing or wrong service token' }),
    },
  }),
  async (c) => {
    const { limit } = c.req.valid('query');
    const data = await pendingOutbox(createDb(c.env.DB), limit);
    c.set('logFields', { pending: data.length });
    return c.json({ data }, 200);
  },
);

outbox.openapi(
  createRoute({
    method: 'post',
    path: '/ack',
    summary: 'Marks outbox rows published (after Kafka acknowledged them)',
    security: SERVICE,
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: z.object({ ids: z.array(z.string().min(1)).min(1).max(MAX_OUTBOX_PAGE) }) },
        },
      },
    },
    responses: {
      200: {
        description: 'How many rows moved to published',
        content: { 'application/json': { schema: z.object({ acked: z.number().int() }) } },
      },
      ...errors({ 400: 'Bad body', 401: 'Missing or wrong service token' }),
    },
  }),
  async (c) => {
    const { ids } = c.req.valid('json');
    const acked = await ackOutbox(createDb(c.env.DB), ids, Date.now());
    c.set('logFields', { ids: ids.length, acked });
    return c.json({ acked }, 200);
  },
);
