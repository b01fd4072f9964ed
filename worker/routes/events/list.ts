/** GET /api/events: filtered pages, newest first, or a room's changefeed after a seq, with long-poll. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { createDb } from '../../db/client.ts';
import { listAllTiers } from '../../archive/list.ts';
import { encodeCursor, planText } from '../../db/list.ts';
import { apiError } from '../../errors.ts';
import { holdLongPoll } from '../../limiter/long-poll.ts';
import { requireRole } from '../../middleware/auth/index.ts';
import { chargeSearch } from '../../middleware/rate-limit/index.ts';
import { roomFailure } from '../../room/failure.ts';
import { roomStub } from '../../room/stubs.ts';
import type { AppEnv } from '../../types.ts';
import { PEOPLE, errors } from '../openapi.ts';
import { FilterQuery, ListedEventSchema, toListQuery } from './query.ts';

/** Longest long-poll, in seconds (under common proxy idle timeouts). */
export const MAX_WAIT_SECONDS = 25;

const ListQuerySchema = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ type: 'integer' }),
  cursor: z.string().max(1000).optional().openapi({ description: 'nextCursor of the previous page' }),
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .optional()
    .openapi({
      type: 'integer',
      description: `Long-poll (with category and after): seconds, at most ${MAX_WAIT_SECONDS}, to wait for a change when there is none yet`,
    }),
});

export const listEventsRoute = new OpenAPIHono<AppEnv>();

listEventsRoute.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'List events',
    description:
      'Newest first (receivedAt, id descending) with an opaque keyset cursor that stays stable while events arrive. ' +
      "With `category` and `after`: the room's changes after that seq in seq order, tombstones (`deleted: true`) included; " +
      'both read the archive too when the range reaches past the hot window (HOT_DAYS), with the same filters and order, except `q` and `unread`, which read the hot window only (an archived event counts as read); ' +
      'a page may then hold fewer than `limit` events and still have a `nextCursor`: follow it until it is null. ' +
      `add \`wait=<seconds ≤ ${MAX_WAIT_SECONDS}>\` to long-poll until a newer change matches.`,
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: ListQuerySchema },
    responses: {
      200: {
        description: 'A page of events',
        content: {
          'application/json': {
            schema: z.object({ data: z.array(ListedEventSchema), nextCursor: z.string().nullable() }),
          },
        },
      },
      ...errors({
        400: 'Invalid filter',
        401: 'Missing or invalid token',
        403: 'A category outside the token’s scope',
        429: 'A budget of the token: text searches (`search`) or long-polls open at once (`long_polls`); `Retry-After`',
      }),
    },
  }),
  async (c) => {
    const input = c.req.valid('query');
    const user = c.get('user').sub;
    const db = createDb(c.env.DB);
    const query = await planText(db, toListQuery(input, c.get('user')));
    await chargeSearch(c, input.q); // after validation and scope: only a search that runs costs
    if (input.wait !== undefined && query.after === undefined)
      apiError(400, 'invalid_request', '1 invalid field', [{ path: 'wait', message: 'requires category and after' }]);
    const archive = (c.env as Partial<Env>).ARCHIVE;
    let page = await listAllTiers(db, archive, query);
    if (page.rows.length === 0 && input.wait && query.category && query.after !== undefined) {
      // Long-poll: the room wakes us when its seq moves past what we have seen; a change that
      // the filter drops moves the mark on, so the next wait is for something newer still.
      const deadline = Date.now() + input.wait * 1000;
      let seen = query.position?.kind === 'seq' ? query.position.seq : query.after;
      const room = roomStub(c.env, query.category);
      const release = await holdLongPoll(c.env, user, input.wait);
      try {
        while (page.rows.length === 0) {
          const remaining = deadline - Date.now();
          if (remaining <= 0) break;
          const lastSeq = await room.waitForChange(query.category, seen, remaining).catch((err: unknown) => {
            throw roomFailure([[query.category!, err]]);
          });
          if (lastSeq <= seen) break; // timed out
          seen = lastSeq;
          page = await listAllTiers(db, archive, query);
        }
      } finally {
        await release();
      }
    }
    return c.json({ data: page.rows, nextCursor: page.next ? encodeCursor(page.next) : null }, 200);
  },
);
