/**
 * GET /internal/outbox and POST /internal/outbox/ack: the transactional outbox (worker/db/outbox.ts),
 * read by the bridge: API-made events waiting to be published to Kafka, and the acknowledgement
 * that marks them published. With `wait`, the read is a long-poll the API wakes when it stores an
 * event (worker/outbox/): an idle bridge makes one request per wait instead of four a second.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { createDb } from '../../db/client.ts';
import { claimableReplays } from '../../db/dead-letters.ts';
import { ackOutbox, pendingOutbox } from '../../db/outbox.ts';
import { pendingOrWait } from '../../outbox/long-poll.ts';
import { outboxBellStub } from '../../outbox/stub.ts';
import type { AppEnv } from '../../types.ts';
import { SERVICE, errors } from '../openapi.ts';

/** Most rows one poll returns and one acknowledgement takes. */
export const MAX_OUTBOX_PAGE = 500;
/** Longest a long-poll holds (seconds): well inside what proxies allow an idle response (~100 s). */
export const MAX_OUTBOX_WAIT_S = 30;

/** `wait`: whole seconds, 0 to MAX_OUTBOX_WAIT_S, digits only (no sign, exponent, space or fraction). */
const WaitSchema = z
  .string()
  .regex(/^\d{1,2}$/, 'wait must be whole seconds')
  .transform(Number)
  .pipe(z.number().int().min(0).max(MAX_OUTBOX_WAIT_S))
  .optional()
  .openapi({
    type: 'integer',
    minimum: 0,
    maximum: MAX_OUTBOX_WAIT_S,
    description:
      'Seconds to hold the request while no row is pending; answers as soon as an API event is stored. Without it (or 0) the answer is immediate.',
  });

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
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(MAX_OUTBOX_PAGE).default(100),
        wait: WaitSchema,
        replays: z.enum(['0', '1']).optional().openapi({
          description:
            '1: the caller carries out dead-letter replays, so a long-poll also answers at once while replay requests are due (`replays` > 0). Without it a bridge that does not claim replays is never woken by them.',
        }),
      }),
    },
    responses: {
      200: {
        description: 'Pending rows',
        content: {
          'application/json': {
            schema: z.object({
              data: z.array(PendingSchema),
              replays: z.number().int().openapi({
                description:
                  'Dead-letter replay requests a bridge could claim now (POST /internal/dead-letters/replays/claim); a long-poll answers at once while there are any',
              }),
            }),
          },
        },
      },
      ...errors({ 400: 'Bad limit or wait', 401: 'Missing or wrong service token' }),
    },
  }),
  async (c) => {
    const { limit, wait = 0, replays: wakeForReplays } = c.req.valid('query');
    const db = createDb(c.env.DB);
    let replays = 0;
    const read = async () => {
      const [rows, due] = await Promise.all([pendingOutbox(db, limit), claimableReplays(db, Date.now())]);
      replays = due;
      return rows;
    };
    let data: Awaited<ReturnType<typeof read>>;
    if (wait === 0) data = await read();
    else {
      const bell = outboxBellStub(c.env);
      data = await pendingOrWait(
        {
          current: () => bell.current(),
          park: (since, ms) => bell.park(since, ms),
          read,
          due: () => wakeForReplays === '1' && replays > 0,
          now: Date.now,
        },
        wait * 1000,
      );
    }
    c.set('logFields', { pending: data.length, wait, replays });
    return c.json({ data, replays }, 200);
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
