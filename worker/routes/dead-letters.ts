/**
 * /api/dead-letters (docs/bridge.md, "Dead letters on the page"): the dead letters the bridge
 * reported, for admins only. List with filters, one in full (as far as it was kept: the value's
 * first 8 KiB), replay chosen ones to their topic (optionally one with an edited value) or
 * discard them. A replay is a request the bridge claims, produces and settles; the answer to
 * POST …/replay only says it is pending, and GET shows the outcome.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { MAX_EDITED_VALUE } from '../../protocol/dead-letters.ts';
import { createDb } from '../db/client.ts';
import {
  type DeadLetter,
  LETTER_STATUSES,
  REPLAY_STATUSES,
  discardDeadLetters,
  findDeadLetter,
  listDeadLetters,
  requestReplays,
} from '../db/dead-letters.ts';
import { apiError } from '../errors.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { limitWrites } from '../middleware/rate-limit/index.ts';
import { ringOutboxBell } from '../outbox/stub.ts';
import type { AppEnv } from '../types.ts';
import { PEOPLE, errors } from './openapi.ts';

/** Most letters one list page holds, and one replay or discard names. */
export const MAX_LETTERS_PAGE = 200;
export const MAX_LETTERS_ACTED = 100;
const Encoding = z.enum(['utf8', 'base64']);

const LetterSchema = z
  .object({
    id: z.number().int(),
    dlqTopic: z.string(),
    dlqPartition: z.number().int(),
    dlqOffset: z.string(),
    topic: z.string(),
    partition: z.number().int(),
    offset: z.string(),
    key: z.string().nullable(),
    keyEncoding: Encoding,
    reason: z.string(),
    deadAt: z.string(),
    reportedAt: z.string(),
    value: z.string().nullable().openapi({ description: 'The first 8 KiB of the value (null: a tombstone)' }),
    valueEncoding: Encoding,
    valueBytes: z.number().int(),
    valueTruncated: z.boolean(),
    headers: z.record(z.string(), z.string()),
    status: z.enum(LETTER_STATUSES),
  })
  .openapi('DeadLetter');

const ReplaySchema = z
  .object({
    id: z.string(),
    letterId: z.number().int(),
    edited: z.boolean(),
    status: z.enum(REPLAY_STATUSES),
    requestedBy: z.string(),
    requestedAt: z.string(),
    attempts: z.number().int(),
    producedPartition: z.number().int().nullable(),
    producedOffset: z.string().nullable(),
    error: z.string().nullable(),
    settledAt: z.string().nullable(),
  })
  .openapi('DeadLetterReplay');

const iso = (ms: number) => new Date(ms).toISOString();
function shownLetter(l: DeadLetter) {
  const { deadAt, reportedAt, ...rest } = l;
  return { ...rest, deadAt: iso(deadAt), reportedAt: iso(reportedAt) };
}

const Time = z
  .string()
  .max(40)
  .refine((s) => Number.isFinite(Date.parse(s)), 'not a date-time')
  .transform((s) => Date.parse(s))
  .optional()
  .openapi({ type: 'string', format: 'date-time' });

const ListQuery = z.object({
  topic: z.string().min(1).max(249).optional(),
  reason: z.string().min(1).max(200).optional().openapi({ description: 'Text the reason contains (any case)' }),
  from: Time,
  to: Time,
  status: z.enum(LETTER_STATUSES).optional(),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .openapi({ description: 'Letters with a smaller id (the next page: the last id of this one)' }),
  limit: z.coerce.number().int().min(1).max(MAX_LETTERS_PAGE).default(50),
});

const IdParams = z.object({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ param: { name: 'id', in: 'path' }, type: 'integer', example: 7 }),
});

const Ids = z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)).min(1).max(MAX_LETTERS_ACTED);
const Refused = z.array(z.object({ id: z.number().int(), status: z.string().nullable() }));

export const deadLetters = new OpenAPIHono<AppEnv>();
deadLetters.use('*', requireRole('admin'));

const AUTH_ERRORS = { 401: 'Missing or invalid token', 403: 'Not an admin' };

deadLetters.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'List dead letters',
    description:
      'Newest first. Filters: topic (the original topic), reason text, time range of `deadAt` (`from` inclusive, `to` exclusive), status.',
    security: PEOPLE,
    request: { query: ListQuery },
    responses: {
      200: {
        description: 'A page of letters; `next` is the `before` of the next page (null: the last page)',
        content: {
          'application/json': { schema: z.object({ data: z.array(LetterSchema), next: z.number().int().nullable() }) },
        },
      },
      ...errors({ 400: 'Bad filter', ...AUTH_ERRORS }),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const rows = await listDeadLetters(createDb(c.env.DB), { ...q });
    const next = rows.length === q.limit ? rows[rows.length - 1]!.id : null;
    return c.json({ data: rows.map(shownLetter), next }, 200);
  },
);

deadLetters.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    summary: 'One dead letter in full, with its replays',
    security: PEOPLE,
    request: { params: IdParams },
    responses: {
      200: {
        description: 'The letter and its replay requests, oldest first',
        content: { 'application/json': { schema: LetterSchema.extend({ replays: z.array(ReplaySchema) }) } },
      },
      ...errors({ 400: 'Bad id', ...AUTH_ERRORS, 404: 'No such letter' }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const found = await findDeadLetter(createDb(c.env.DB), id);
    if (!found) apiError(404, 'not_found', `no dead letter ${id}`);
    return c.json(
      {
        ...shownLetter({ ...found, replays: undefined } as DeadLetter),
        replays: found.replays.map((r) => ({
          ...r,
          requestedAt: iso(r.requestedAt),
          settledAt: r.settledAt === null ? null : iso(r.settledAt),
        })),
      },
      200,
    );
  },
);

deadLetters.openapi(
  createRoute({
    method: 'post',
    path: '/replay',
    summary: 'Replay dead letters to their topic',
    description:
      'One replay request per letter that is new or failed (others are listed in `refused`). `value` (with exactly one id) replaces the value: the admin fixed the record. ' +
      'The bridge claims the request, produces the record to the original topic and partition with the original key and headers plus `x-quaycast-replay-id`, and settles it (GET shows the outcome).',
    security: PEOPLE,
    middleware: [limitWrites()],
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({ ids: Ids, value: z.string().max(MAX_EDITED_VALUE).optional() }).strict(),
          },
        },
      },
    },
    responses: {
      202: {
        description: 'The requests made (pending) and the letters refused',
        content: {
          'application/json': {
            schema: z.object({
              replays: z.array(z.object({ id: z.string(), letterId: z.number().int() })),
              refused: Refused,
            }),
          },
        },
      },
      ...errors({ 400: 'Bad body (an edited value needs exactly one id)', ...AUTH_ERRORS, 429: 'Write rate exceeded' }),
    },
  }),
  async (c) => {
    const { ids, value } = c.req.valid('json');
    if (value !== undefined && new Set(ids).size !== 1)
      apiError(400, 'invalid_request', '1 invalid field', [
        { path: 'value', message: 'an edited value replays exactly one letter' },
      ]);
    const made = await requestReplays(createDb(c.env.DB), ids, value, c.get('user').sub, Date.now());
    // Wakes the bridge's held outbox read, which answers with the count of due replays.
    if (made.replays.length > 0) c.executionCtx.waitUntil(ringOutboxBell(c.env));
    c.set('logFields', { replays: made.replays.length, refused: made.refused.length, edited: value !== undefined });
    return c.json(made, 202);
  },
);

deadLetters.openapi(
  createRoute({
    method: 'post',
    path: '/discard',
    summary: 'Discard dead letters',
    description:
      'Marks letters that are new or failed discarded (the DLQ record itself stays until its retention ends).',
    security: PEOPLE,
    middleware: [limitWrites()],
    request: {
      body: { required: true, content: { 'application/json': { schema: z.object({ ids: Ids }).strict() } } },
    },
    responses: {
      200: {
        description: 'The letters discarded and the ones refused',
        content: {
          'application/json': { schema: z.object({ discarded: z.array(z.number().int()), refused: Refused }) },
        },
      },
      ...errors({ 400: 'Bad body', ...AUTH_ERRORS, 429: 'Write rate exceeded' }),
    },
  }),
  async (c) => {
    const { ids } = c.req.valid('json');
    const done = await discardDeadLetters(createDb(c.env.DB), ids);
    return c.json(done, 200);
  },
);
