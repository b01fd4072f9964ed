/** POST /api/events: producers' events, validated each alone, all or nothing, into their rooms. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { FieldIssue, NewEvent } from '../../../protocol/event.ts';
import { oneLine } from '../../../protocol/reason.ts';
import { EventInputSchema } from '../../../protocol/schemas/event.ts';
import { normalizeEvent, type IngestContext, type NormalizeResult } from '../../../protocol/schemas/normalize.ts';
import { allowedCategories, mayView, seesEverything } from '../../../protocol/scope.ts';
import { createDb } from '../../db/client.ts';
import { archivedSeqs } from '../../archive/reader.ts';
import { seqsOf } from '../../db/list.ts';
import { apiError } from '../../errors.ts';
import { commitEvents } from '../../ingest.ts';
import { ringOutboxBell } from '../../outbox/stub.ts';
import { errorFields, log } from '../../log.ts';
import { requireRole } from '../../middleware/auth/index.ts';
import { eventsInBody, limitWrites } from '../../middleware/rate-limit/index.ts';
import type { AppEnv } from '../../types.ts';
import { PEOPLE, errors } from '../openapi.ts';

/** Most events one POST takes. */
export const MAX_POST_EVENTS = 500;

export const postEvents = new OpenAPIHono<AppEnv>();

// The POST body refers to it (`#/components/schemas/EventInput`).
postEvents.openAPIRegistry.register('EventInput', EventInputSchema);

/** normalizeEvent, with a throw (a bug of ours) turned into this event's 400 rather than the request's 500. */
function judgeEvent(raw: unknown, ctx: IngestContext): NormalizeResult {
  try {
    return normalizeEvent(raw, ctx);
  } catch (err) {
    log('error', 'event could not be judged', errorFields(err));
    return {
      ok: false,
      issues: [
        {
          path: '(root)',
          message: oneLine(`could not be validated: ${err instanceof Error ? err.message : String(err)}`),
        },
      ],
    };
  }
}

const PostResultSchema = z.object({ id: z.string(), seq: z.number().int(), status: z.enum(['stored', 'duplicate']) });

postEvents.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: 'Create events',
    description:
      `One event object or an array of at most ${MAX_POST_EVENTS}. Legacy payloads are accepted (any property case, aliases, numeric ids). ` +
      'The id is the idempotency key: re-posting an id answers `duplicate` with its current seq and stores nothing. ' +
      'Stored events are pushed to their room and queued (outbox) for publishing to Kafka.',
    security: PEOPLE,
    middleware: [requireRole('producer'), limitWrites({ cost: eventsInBody(MAX_POST_EVENTS) })],
    request: {
      // Not a zod schema on purpose: legacy payloads are normalised before validation (protocol/schemas/normalize.ts),
      // so the handler validates; the document still describes the canonical shape.
      body: {
        required: true,
        content: {
          'application/json': {
            schema: {
              oneOf: [
                { $ref: '#/components/schemas/EventInput' },
                {
                  type: 'array',
                  minItems: 1,
                  maxItems: MAX_POST_EVENTS,
                  items: { $ref: '#/components/schemas/EventInput' },
                },
              ],
            },
          },
        },
      },
    },
    responses: {
      201: {
        description: 'Per event, in order: stored or duplicate, with its seq',
        content: { 'application/json': { schema: z.object({ data: z.array(PostResultSchema) }) } },
      },
      ...errors({
        400: 'Invalid events; details name every bad field (`<index>.<field>` for arrays)',
        401: 'Missing or invalid token',
        403: 'Role below producer',
        413: 'Body too large',
        415: 'Not JSON',
        429: 'Write budget exceeded: a POST costs its event count (`details.limit` = `writes`, `Retry-After`)',
        503: 'A room could not store (`room_unavailable`, `details.rooms`, `Retry-After: 1`); the other rooms stored theirs: re-post',
      }),
    },
  }),
  async (c) => {
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? ''))
      apiError(415, 'unsupported_media_type', 'send the events as application/json');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      apiError(400, 'invalid_request', 'the body is not valid JSON');
    }
    const many = Array.isArray(body);
    const items: unknown[] = many ? (body as unknown[]) : [body];
    if (items.length === 0)
      apiError(400, 'invalid_request', 'no events', [{ path: '(root)', message: 'must contain at least one event' }]);
    if (items.length > MAX_POST_EVENTS)
      apiError(400, 'invalid_request', 'too many events', [
        { path: '(root)', message: `must contain at most ${MAX_POST_EVENTS} events` },
      ]);

    const receivedAt = Date.now();
    const ctx = { kind: 'api' as const, receivedAt, newId: () => crypto.randomUUID() };
    const valid: NewEvent[] = [];
    const details: FieldIssue[] = [];
    items.forEach((raw, i) => {
      const result = judgeEvent(raw, ctx);
      if (result.ok) valid.push(result.event);
      else
        for (const issue of result.issues)
          details.push({
            path: many ? (issue.path === '(root)' ? String(i) : `${i}.${issue.path}`) : issue.path,
            message: issue.message,
          });
    });
    // All or nothing: a producer fixes the batch and re-posts it (ids make that safe).
    if (details.length > 0)
      apiError(400, 'invalid_request', `${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
    // A scoped token writes only into the categories it may see.
    const user = c.get('user');
    const outside = valid.flatMap((e, i) =>
      mayView(user, e.category)
        ? []
        : [
            {
              path: many ? `${i}.category` : 'category',
              message: `${e.category} is outside this token's scope (${allowedCategories(user).join(', ')})`,
            },
          ],
    );
    if (outside.length > 0)
      apiError(
        403,
        'forbidden',
        `${outside.length} event${outside.length === 1 ? '' : 's'} outside this token's scope`,
        outside,
      );

    // The bell wakes a long-polling bridge (worker/outbox/); rung even after a partial failure, since the rooms that answered stored their rows.
    const results = await commitEvents(c.env, valid, { outbox: true }).finally(() =>
      c.executionCtx.waitUntil(ringOutboxBell(c.env)),
    );
    const duplicates = results.filter((r) => r.status === 'duplicate').map((r) => r.id);
    const existing = await seqsOf(
      createDb(c.env.DB),
      duplicates,
      seesEverything(user) ? undefined : allowedCategories(user),
    );
    // A duplicate of an event that moved to the archive answers with its archived seq.
    const archive = (c.env as Partial<Env>).ARCHIVE;
    const cold = archive
      ? await archivedSeqs(
          createDb(c.env.DB),
          archive,
          duplicates.filter((id) => !existing.has(id)),
          seesEverything(user) ? undefined : allowedCategories(user),
        )
      : new Map<string, number>();
    const data = results.map((r) => ({
      id: r.id,
      seq: r.status === 'stored' ? r.seq : (existing.get(r.id) ?? cold.get(r.id) ?? 0),
      status: r.status,
    }));
    c.set('logFields', { events: data.length, duplicates: duplicates.length });
    return c.json({ data }, 201);
  },
);
