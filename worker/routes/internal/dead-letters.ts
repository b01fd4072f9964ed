/**
 * The bridge's side of the dead letters (docs/bridge.md, "Dead letters on the page"):
 * POST /internal/dead-letters reports letters written to a `.dlq` topic (idempotent by their DLQ
 * coordinates); POST …/replays/claim takes due replay requests (the outbox read's `replays`
 * count says when there are any); POST …/replays/settle records each one's outcome.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { createDb } from '../../db/client.ts';
import { claimReplays, reportDeadLetters, settleReplays } from '../../db/dead-letters.ts';
import type { AppEnv } from '../../types.ts';
import { SERVICE, errors } from '../openapi.ts';
import { MAX_CLAIMED, MAX_REPORTED, VALUE_PREVIEW_BYTES } from '../../../protocol/dead-letters.ts';
import {
  ClaimedReplaySchema,
  DeadLetterReportSchema,
  OffsetSchema,
  PartitionSchema,
  SettlementSchema,
  TopicSchema,
} from '../../../protocol/schemas/dead-letters.ts';

export const deadLetterReports = new OpenAPIHono<AppEnv>();

deadLetterReports.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: 'Dead letters the bridge wrote to a .dlq topic',
    description: `Idempotent by (dlqTopic, dlqPartition, dlqOffset): a letter reported again is counted as a duplicate. The value preview is at most ${VALUE_PREVIEW_BYTES} bytes.`,
    security: SERVICE,
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({ letters: z.array(DeadLetterReportSchema).min(1).max(MAX_REPORTED) }),
          },
        },
      },
    },
    responses: {
      200: {
        description: 'How many were new and how many known already',
        content: {
          'application/json': { schema: z.object({ stored: z.number().int(), duplicate: z.number().int() }) },
        },
      },
      ...errors({ 400: 'Not a valid report', 401: 'Missing or wrong service token', 415: 'Not application/json' }),
    },
  }),
  async (c) => {
    const { letters } = c.req.valid('json');
    const stored = await reportDeadLetters(createDb(c.env.DB), letters, Date.now());
    c.set('logFields', { letters: letters.length, stored });
    return c.json({ stored, duplicate: letters.length - stored }, 200);
  },
);

deadLetterReports.openapi(
  createRoute({
    method: 'post',
    path: '/replays/claim',
    summary: 'Claims due replay requests for this bridge',
    description:
      'Pending requests, and claimed ones whose 30 s lease ran out (a bridge that crashed). `watermarks` are the high watermarks of the consumed partitions read before the claim: ' +
      "a request's first claim keeps its partition's as `scanFrom`, where a bridge claiming it again looks for a copy (header x-quaycast-replay-id) before producing.",
    security: SERVICE,
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z
              .object({
                bridgeId: z.string().min(1).max(200),
                limit: z.number().int().min(1).max(MAX_CLAIMED).default(MAX_CLAIMED),
                watermarks: z
                  .array(z.object({ topic: TopicSchema, partition: PartitionSchema, high: OffsetSchema }).strict())
                  .max(4096),
              })
              .strict(),
          },
        },
      },
    },
    responses: {
      200: {
        description: 'The claimed requests',
        content: { 'application/json': { schema: z.object({ replays: z.array(ClaimedReplaySchema) }) } },
      },
      ...errors({ 400: 'Bad body', 401: 'Missing or wrong service token', 415: 'Not application/json' }),
    },
  }),
  async (c) => {
    const { bridgeId, limit, watermarks } = c.req.valid('json');
    const marks = new Map(watermarks.map((w) => [`${w.topic}/${w.partition}`, w.high]));
    const replays = await claimReplays(createDb(c.env.DB), bridgeId, marks, limit, Date.now());
    c.set('logFields', { bridgeId, claimed: replays.length });
    return c.json({ replays }, 200);
  },
);

deadLetterReports.openapi(
  createRoute({
    method: 'post',
    path: '/replays/settle',
    summary: 'Records the outcome of claimed replays',
    description:
      'Only a claimed request is settled; one settled already (or never claimed) is left as it is and not listed in `settled`.',
    security: SERVICE,
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({ results: z.array(SettlementSchema).min(1).max(MAX_CLAIMED) }).strict(),
          },
        },
      },
    },
    responses: {
      200: {
        description: 'The ids settled now',
        content: { 'application/json': { schema: z.object({ settled: z.array(z.string()) }) } },
      },
      ...errors({ 400: 'Bad body', 401: 'Missing or wrong service token', 415: 'Not application/json' }),
    },
  }),
  async (c) => {
    const { results } = c.req.valid('json');
    const settled = await settleReplays(createDb(c.env.DB), results, Date.now());
    c.set('logFields', { results: results.length, settled: settled.length });
    return c.json({ settled }, 200);
  },
);
