/**
 * What the events routes share: the filters of the list and the export (query strings: numbers
 * coerced, lists comma-separated), the id parameter, the shapes of a listed and a read event, and
 * the turning of validated filters into a list query under the token's scope.
 */
import { z } from '@hono/zod-openapi';
import {
  CATEGORIES,
  SEVERITIES,
  STATUSES,
  parseSeverity,
  parseStatus,
  type Category,
  type Severity,
  type Status,
} from '../../../protocol/enums.ts';
import type { FieldIssue } from '../../../protocol/event.ts';
import { parseFilterList } from '../../../protocol/filter-list.ts';
import type { Claims } from '../../../protocol/jwt.ts';
import { EventSchema } from '../../../protocol/schemas/event.ts';
import { allowedCategories, mayView, seesEverything, type Scoped } from '../../../protocol/scope.ts';
import { parseTimestamp } from '../../../protocol/time.ts';
import { decodeCursor, type ListQuery, type Position } from '../../db/list.ts';
import { apiError } from '../../errors.ts';

/** An event as a list shows it (with the caller's read flag), or a tombstone (changefeed mode). */
export const ListedEventSchema = z.union([
  EventSchema.extend({ read: z.boolean().openapi({ description: 'Whether the caller has marked it read' }) }),
  z.object({ id: z.string(), seq: z.number().int(), category: z.enum(CATEGORIES), deleted: z.literal(true) }),
]);
export const EventWithReadSchema = EventSchema.extend({ read: z.boolean() });
export const IdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'evt-123' }),
});

const commaList = <T extends string>(values: readonly T[], parse: (s: string) => T | undefined) =>
  z
    .string()
    .refine((s) => parseFilterList(s, parse) !== undefined, {
      message: `must be a comma-separated list of ${values.join(', ')}`,
    })
    .optional();

const isoTime = z
  .string()
  .refine((s) => parseTimestamp(s) !== undefined, { message: 'must be an ISO-8601 date-time' })
  .optional();

/** The list filters (also the export's). Query strings: numbers are coerced, lists are comma-separated. */
export const FilterQuery = z.object({
  category: z.enum(CATEGORIES).optional(),
  severity: commaList(SEVERITIES, parseSeverity).openapi({ example: 'Critical,High' }),
  status: commaList(STATUSES, parseStatus).openapi({ example: 'New,Acknowledged' }),
  q: z.string().max(200).optional().openapi({
    description: 'Words to find in title, description, event type or entity ids (word-prefix match, all words)',
  }),
  from: isoTime.openapi({ description: 'receivedAt >= from (ISO-8601)' }),
  to: isoTime.openapi({ description: 'receivedAt < to (ISO-8601)' }),
  after: z.coerce.number().int().min(0).optional().openapi({
    type: 'integer',
    description: "A room's seq (requires category): changes after it, in seq order, tombstones included",
  }),
  unread: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .openapi({ description: 'Only events the caller has not marked read' }),
});

type FilterInput = z.infer<typeof FilterQuery>;

/** 403 for a category outside the token's scope (a filter or a room the token may not see). */
function refuseOutOfScope(user: Scoped, category: Category): void {
  if (!mayView(user, category)) {
    apiError(
      403,
      'forbidden',
      `this token may not see ${category}; its scope is ${allowedCategories(user).join(', ')}`,
      { scope: allowedCategories(user) },
    );
  }
}

/**
 * Turns validated query values into a list query; cross-field rules answer 400 naming the field.
 * The token's scope: a category filter outside it is 403; without one, only its categories are read.
 */
export function toListQuery(input: FilterInput & { limit: number; cursor?: string }, claims: Claims): ListQuery {
  const user = claims.sub;
  if (input.category) refuseOutOfScope(claims, input.category as Category);
  const scope = input.category || seesEverything(claims) ? undefined : allowedCategories(claims);
  const details: FieldIssue[] = [];
  if (input.after !== undefined && !input.category)
    details.push({ path: 'after', message: 'requires category (seqs are per room)' });
  const from = input.from === undefined ? undefined : parseTimestamp(input.from);
  const to = input.to === undefined ? undefined : parseTimestamp(input.to);
  if (from !== undefined && to !== undefined && to <= from) details.push({ path: 'to', message: 'must be after from' });
  let position: Position | undefined;
  if (input.cursor !== undefined) {
    position = decodeCursor(input.cursor);
    if (!position || (position.kind === 'seq') !== (input.after !== undefined))
      details.push({ path: 'cursor', message: 'is not a cursor of this listing' });
  }
  if (details.length > 0)
    apiError(400, 'invalid_request', `${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
  // De-duplicated here, before SQL: 120 copies of one severity are one parameter, not 120.
  const split = <T>(s: string | undefined, parse: (v: string) => T | undefined) =>
    s === undefined ? undefined : parseFilterList(s, parse);
  return {
    user,
    category: input.category as Category | undefined,
    severities: split<Severity>(input.severity, parseSeverity),
    statuses: split<Status>(input.status, parseStatus),
    q: input.q,
    from,
    to,
    unread: input.unread === 'true' || input.unread === '1',
    after: input.after,
    position,
    limit: input.limit,
    ...(scope ? { scope } : {}),
  };
}
