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

/** Most letters one report carries, replays one claim takes, settlements one settle takes. */
export const MAX_REPORTED = 100;
export const MAX_CLAIMED = 50;
/** The preview the bridge keeps of a value: its first 8 KiB (as UTF-8 text, or base64 when not UTF-8). */
export const VALUE_PREVIEW_BYTES = 8192;
/** base64 of VALUE_PREVIEW_BYTES, and room for text that is that many bytes. */
const MAX_VALUE_CHARS = Math.ceil(VALUE_PREVIEW_BYTES / 3) * 4;
const MAX_KEY_CHARS = 1368; // 1 KiB as base64

const Offset = z.string().regex(/^\d{1,19}$/, 'a Kafka offset (decimal digits)');
const Topic = z.string().min(1).max(249);
const Partition = z.number().int().min(0).max(1_000_000);
const Encoding = z.enum(['utf8', 'base64']);

const ReportedSchema = z
  .object({
    dlqTopic: Topic,
    dlqPartition: Partition,
    dlqOffset: Offset,
    topic: Topic,
    partition: Partition,
    offset: Offset,
    key: z.string().max(MAX_KEY_CHARS).nullable(),
    keyEncoding: Encoding,
    reason: z.string().max(2000),
    deadAt: z.number().int().min(0).max(8.64e15),
    value: z.string().max(MAX_VALUE_CHARS).nullable(),
    valueEncoding: Encoding,
    valueBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    valueTruncated: z.boolean(),
    headers: z
      .record(z.string().max(200), z.string().max(1000))
      .refine((h) => Object.keys(h).length <= 32, 'at most 32 headers'),
  })
  .strict();

const ClaimedSchema = z.object({
  id: z.string(),
  letterId: z.number().int(),
  attempt: z.number().int(),
  dlqTopic: z.string(),
  dlqPartition: z.number().int(),
  dlqOffset: z.string(),
  topic: z.string(),
  partition: z.number().int(),
  key: z.string().nullable(),
  keyEncoding: Encoding,
  value: z.string().nullable(),
  valueEncoding: Encoding,
  fromDlq: z.boolean(),
  tombstone: z.boolean(),
  headers: z.record(z.string(), z.string()),
  scanFrom: z.string().nullable(),
});

const SettlementSchema = z.discriminatedUnion('outcome', [
  z
    .object({ id: z.string().min(1).max(64), outcome: z.literal('produced'), partition: Partition, offset: Offset })
    .strict(),
  z
    .object({ id: z.string().min(1).max(64), outcome: z.literal('failed'), reason: z.string().min(1).max(2000) })
    .strict(),
]);

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
          'application/json': { schema: z.object({ letters: z.array(ReportedSchema).min(1).max(MAX_REPORTED) }) },
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
                watermarks: z.array(z.object({ topic: Topic, partition: Partition, high: Offset }).strict()).max(4096),
              })
              .strict(),
          },
        },
      },
    },
    responses: {
      200: {
        description: 'The claimed requests',
        content: { 'application/json': { schema: z.object({ replays: z.array(ClaimedSchema) }) } },
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
