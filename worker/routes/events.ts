/** The events resource: post, list (with long-poll), export, read, workflow changes, delete. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CATEGORIES, SEVERITIES, STATUSES, parseSeverity, parseStatus, type Category, type Severity, type Status } from '../../protocol/enums.ts';
import { isTombstone, type FieldIssue, type NewEvent, type QuaycastEvent } from '../../protocol/event.ts';
import { HISTORY_ACTIONS, type HistoryEntry, type NewHistoryEntry } from '../../protocol/history.ts';
import { oneLine } from '../../protocol/reason.ts';
import { EventInputSchema, EventSchema } from '../../protocol/schemas/event.ts';
import { normalizeEvent, type IngestContext, type NormalizeResult } from '../../protocol/schemas/normalize.ts';
import type { SameType } from '../../protocol/same-type.ts';
import { allowedCategories, mayView, seesEverything, type Scoped } from '../../protocol/scope.ts';
import { parseTimestamp } from '../../protocol/time.ts';
import { WORKFLOW_ACTIONS, isTransitionAction, transition, type Actor } from '../../protocol/workflow.ts';
import { requireRole, type Claims } from '../auth.ts';
import { csvRow } from '../csv.ts';
import { createDb, type Db } from '../db/client.ts';
import { EXPORT_COLUMNS, planText, decodeCursor, encodeCursor, eventHistoryOf, exportPage, findEvent, listEvents, seqsOf, setRead, type ListQuery, type Position } from '../db/list.ts';
import { apiError } from '../errors.ts';
import { commitEvents } from '../ingest.ts';
import { errorFields, log } from '../log.ts';
import { exportBudget } from '../limits/export-budget.ts';
import { holdLongPoll } from '../limits/long-poll.ts';
import { chargeSearch, eventsInBody, limitWrites } from '../limits/middleware.ts';
import { parseFilterList } from '../../protocol/filter-list.ts';
import { roomFailure } from '../room/failure.ts';
import type { ChangeResult } from '../room/rpc.ts';
import { roomStub } from '../room/stubs.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

/** Most events one POST takes. */
export const MAX_POST_EVENTS = 500;
/** Longest long-poll, in seconds (under common proxy idle timeouts). */
export const MAX_WAIT_SECONDS = 25;
/** Rows per D1 page of the CSV export. */
const EXPORT_PAGE_ROWS = 1000;
/** Attempts of a workflow change that keeps meeting concurrent changes. */
const CHANGE_ATTEMPTS = 4;

export const events = new OpenAPIHono<AppEnv>();

/** People authenticate with a bearer JWT, or (browsers) the session cookie. Typed: a literal array of differently-keyed objects breaks the route's type inference. */
const PEOPLE: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];

const errors = (codes: Record<number, string>) =>
  Object.fromEntries(Object.entries(codes).map(([code, description]) => [code, { description, content: { 'application/json': { schema: ErrorSchema } } }]));

const ListedEventSchema = z.union([
  EventSchema.extend({ read: z.boolean().openapi({ description: "Whether the caller has marked it read" }) }),
  z.object({ id: z.string(), seq: z.number().int(), category: z.enum(CATEGORIES), deleted: z.literal(true) }),
]);
const EventWithReadSchema = EventSchema.extend({ read: z.boolean() });
const IdParams = z.object({ id: z.string().min(1).max(200).openapi({ param: { name: 'id', in: 'path' }, example: 'evt-123' }) });

const commaList = <T extends string>(values: readonly T[], parse: (s: string) => T | undefined) =>
  z
    .string()
    .refine((s) => parseFilterList(s, parse) !== undefined, { message: `must be a comma-separated list of ${values.join(', ')}` })
    .optional();

const isoTime = z.string().refine((s) => parseTimestamp(s) !== undefined, { message: 'must be an ISO-8601 date-time' }).optional();

/** The list filters (also the export's). Query strings: numbers are coerced, lists are comma-separated. */
const FilterQuery = z.object({
  category: z.enum(CATEGORIES).optional(),
  severity: commaList(SEVERITIES, parseSeverity).openapi({ example: 'Critical,High' }),
  status: commaList(STATUSES, parseStatus).openapi({ example: 'New,Acknowledged' }),
  q: z.string().max(200).optional().openapi({ description: 'Words to find in title, description, event type or entity ids (word-prefix match, all words)' }),
  from: isoTime.openapi({ description: 'receivedAt >= from (ISO-8601)' }),
  to: isoTime.openapi({ description: 'receivedAt < to (ISO-8601)' }),
  after: z.coerce.number().int().min(0).optional().openapi({ type: 'integer', description: "A room's seq (requires category): changes after it, in seq order, tombstones included" }),
  unread: z.enum(['true', 'false', '1', '0']).optional().openapi({ description: 'Only events the caller has not marked read' }),
});
const ListQuerySchema = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ type: 'integer' }),
  cursor: z.string().max(1000).optional().openapi({ description: 'nextCursor of the previous page' }),
  wait: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).optional().openapi({ type: 'integer', description: `Long-poll (with category and after): seconds, at most ${MAX_WAIT_SECONDS}, to wait for a change when there is none yet` }),
});

type FilterInput = z.infer<typeof FilterQuery>;

/** 403 for a category outside the token's scope (a filter or a room the token may not see). */
export function refuseOutOfScope(user: Scoped, category: Category): void {
  if (!mayView(user, category)) {
    apiError(403, 'forbidden', `this token may not see ${category}; its scope is ${allowedCategories(user).join(', ')}`, { scope: allowedCategories(user) });
  }
}

/**
 * Turns validated query values into a list query; cross-field rules answer 400 naming the field.
 * The token's scope: a category filter outside it is 403; without one, only its categories are read.
 */
function toListQuery(input: FilterInput & { limit: number; cursor?: string }, claims: Claims): ListQuery {
  const user = claims.sub;
  if (input.category) refuseOutOfScope(claims, input.category as Category);
  const scope = input.category || seesEverything(claims) ? undefined : allowedCategories(claims);
  const details: FieldIssue[] = [];
  if (input.after !== undefined && !input.category) details.push({ path: 'after', message: 'requires category (seqs are per room)' });
  const from = input.from === undefined ? undefined : parseTimestamp(input.from);
  const to = input.to === undefined ? undefined : parseTimestamp(input.to);
  if (from !== undefined && to !== undefined && to <= from) details.push({ path: 'to', message: 'must be after from' });
  let position: Position | undefined;
  if (input.cursor !== undefined) {
    position = decodeCursor(input.cursor);
    if (!position || (position.kind === 'seq') !== (input.after !== undefined)) details.push({ path: 'cursor', message: 'is not a cursor of this listing' });
  }
  if (details.length > 0) apiError(400, 'invalid_request', `${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
  // De-duplicated here, before SQL: 120 copies of one severity are one parameter, not 120.
  const split = <T>(s: string | undefined, parse: (v: string) => T | undefined) => (s === undefined ? undefined : parseFilterList(s, parse));
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

// ---------------------------------------------------------------------------------------------
// POST /api/events

/** normalizeEvent, with a throw (a bug of ours) turned into this event's 400 rather than the request's 500. */
function judgeEvent(raw: unknown, ctx: IngestContext): NormalizeResult {
  try {
    return normalizeEvent(raw, ctx);
  } catch (err) {
    log('error', 'event could not be judged', errorFields(err));
    return { ok: false, issues: [{ path: '(root)', message: oneLine(`could not be validated: ${err instanceof Error ? err.message : String(err)}`) }] };
  }
}

const PostResultSchema = z.object({ id: z.string(), seq: z.number().int(), status: z.enum(['stored', 'duplicate']) });

events.openapi(
  createRoute({
    method: 'post',
    path: '/api/events',
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
            schema: { oneOf: [{ $ref: '#/components/schemas/EventInput' }, { type: 'array', minItems: 1, maxItems: MAX_POST_EVENTS, items: { $ref: '#/components/schemas/EventInput' } }] },
          },
        },
      },
    },
    responses: {
      201: { description: 'Per event, in order: stored or duplicate, with its seq', content: { 'application/json': { schema: z.object({ data: z.array(PostResultSchema) }) } } },
      ...errors({ 400: 'Invalid events; details name every bad field (`<index>.<field>` for arrays)', 401: 'Missing or invalid token', 403: 'Role below producer', 413: 'Body too large', 415: 'Not JSON', 429: 'Write budget exceeded: a POST costs its event count (`details.limit` = `writes`, `Retry-After`)', 503: 'A room could not store (`room_unavailable`, `details.rooms`, `Retry-After: 1`); the other rooms stored theirs: re-post' }),
    },
  }),
  async (c) => {
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '')) apiError(415, 'unsupported_media_type', 'send the events as application/json');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      apiError(400, 'invalid_request', 'the body is not valid JSON');
    }
    const many = Array.isArray(body);
    const items: unknown[] = many ? (body as unknown[]) : [body];
    if (items.length === 0) apiError(400, 'invalid_request', 'no events', [{ path: '(root)', message: 'must contain at least one event' }]);
    if (items.length > MAX_POST_EVENTS) apiError(400, 'invalid_request', 'too many events', [{ path: '(root)', message: `must contain at most ${MAX_POST_EVENTS} events` }]);

    const receivedAt = Date.now();
    const ctx = { kind: 'api' as const, receivedAt, newId: () => crypto.randomUUID() };
    const valid: NewEvent[] = [];
    const details: FieldIssue[] = [];
    items.forEach((raw, i) => {
      const result = judgeEvent(raw, ctx);
      if (result.ok) valid.push(result.event);
      else for (const issue of result.issues) details.push({ path: many ? (issue.path === '(root)' ? String(i) : `${i}.${issue.path}`) : issue.path, message: issue.message });
    });
    // All or nothing: a producer fixes the batch and re-posts it (ids make that safe).
    if (details.length > 0) apiError(400, 'invalid_request', `${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
    // A scoped token writes only into the categories it may see.
    const user = c.get('user');
    const outside = valid.flatMap((e, i) => (mayView(user, e.category) ? [] : [{ path: many ? `${i}.category` : 'category', message: `${e.category} is outside this token's scope (${allowedCategories(user).join(', ')})` }]));
    if (outside.length > 0) apiError(403, 'forbidden', `${outside.length} event${outside.length === 1 ? '' : 's'} outside this token's scope`, outside);

    const results = await commitEvents(c.env, valid, { outbox: true });
    const duplicates = results.filter((r) => r.status === 'duplicate').map((r) => r.id);
    const existing = await seqsOf(createDb(c.env.DB), duplicates, seesEverything(user) ? undefined : allowedCategories(user));
    const data = results.map((r) => ({ id: r.id, seq: r.status === 'stored' ? r.seq : (existing.get(r.id) ?? 0), status: r.status }));
    c.set('logFields', { events: data.length, duplicates: duplicates.length });
    return c.json({ data }, 201);
  },
);

// ---------------------------------------------------------------------------------------------
// GET /api/events

events.openapi(
  createRoute({
    method: 'get',
    path: '/api/events',
    summary: 'List events',
    description:
      'Newest first (receivedAt, id descending) with an opaque keyset cursor that stays stable while events arrive. ' +
      "With `category` and `after`: the room's changes after that seq in seq order, tombstones (`deleted: true`) included; " +
      `add \`wait=<seconds ≤ ${MAX_WAIT_SECONDS}>\` to long-poll until a newer change matches.`,
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: ListQuerySchema },
    responses: {
      200: { description: 'A page of events', content: { 'application/json': { schema: z.object({ data: z.array(ListedEventSchema), nextCursor: z.string().nullable() }) } } },
      ...errors({ 400: 'Invalid filter', 401: 'Missing or invalid token', 403: 'A category outside the token’s scope', 429: 'A budget of the token: text searches (`search`) or long-polls open at once (`long_polls`); `Retry-After`' }),
    },
  }),
  async (c) => {
    const input = c.req.valid('query');
    const user = c.get('user').sub;
    const db = createDb(c.env.DB);
    const query = await planText(db, toListQuery(input, c.get('user')));
    await chargeSearch(c, input.q); // after validation and scope: only a search that runs costs
    if (input.wait !== undefined && query.after === undefined) apiError(400, 'invalid_request', '1 invalid field', [{ path: 'wait', message: 'requires category and after' }]);
    let page = await listEvents(db, query);
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
          page = await listEvents(db, query);
        }
      } finally {
        await release();
      }
    }
    return c.json({ data: page.rows, nextCursor: page.next ? encodeCursor(page.next) : null }, 200);
  },
);

// ---------------------------------------------------------------------------------------------
// GET /api/events/export.csv (before /api/events/{id}, which would match it)

events.openapi(
  createRoute({
    method: 'get',
    path: '/api/events/export.csv',
    summary: 'Export events as CSV',
    description:
      'The list filters; the matching events up to `EXPORT_MAX_ROWS` (default 100,000; the `x-export-row-cap` header says it: a file with that many rows was cut there, ' +
      'narrow `from`/`to` for the rest), streamed page by page within the token\'s `EXPORT_ROWS_PER_MINUTE` budget (over it: 429 before the first byte, a slower stream after it). ' +
      'RFC 4180 (CRLF, quoted commas/quotes/newlines), UTF-8, header row; ' +
      'text cells starting with = + - @ tab or CR are prefixed with a single quote against formula injection.',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: FilterQuery },
    responses: {
      200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } },
      ...errors({ 400: 'Invalid filter', 401: 'Missing or invalid token', 403: 'A category outside the token’s scope', 429: 'A budget of the token: CSV rows streamed (`export_rows`) or text searches (`search`); `Retry-After`' }),
    },
  }),
  async (c) => {
    const input = c.req.valid('query');
    const db = createDb(c.env.DB);
    const query = await planText(db, toListQuery({ ...input, limit: EXPORT_PAGE_ROWS }, c.get('user')));
    await chargeSearch(c, input.q);
    const encoder = new TextEncoder();
    let position: Position | undefined;
    let done = false;
    let rows = 0;
    const requestId = c.get('requestId');
    const budget = exportBudget(c.env, c.get('user').sub);
    await budget.take(Math.min(EXPORT_PAGE_ROWS, budget.cap)); // over the budget: 429 before any byte
    let charged = true;
    // Pull-driven: the next D1 page is read only when the client has taken the previous one.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(csvRow(EXPORT_COLUMNS.map(([header]) => header))));
      },
      async pull(controller) {
        if (done) return;
        const limit = Math.min(EXPORT_PAGE_ROWS, budget.remaining);
        if (!charged) await budget.take(limit); // waits while the token's streaming budget refills
        charged = false;
        const page = await exportPage(db, { ...query, limit, position: position ?? query.position });
        rows += page.rows.length;
        budget.streamed(page.rows.length);
        if (page.rows.length > 0) controller.enqueue(encoder.encode(page.rows.map(csvRow).join('')));
        if (page.next && budget.remaining > 0) position = page.next;
        else {
          done = true;
          controller.close();
          // The request's own log line is written when the headers go out; this one closes the stream.
          log('info', 'export finished', { requestId, rows, capped: page.next !== undefined && page.next !== null });
        }
      },
    }, { highWaterMark: 1 });
    c.set('logFields', { export: true });
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return c.body(body, 200, {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="quaycast-events-${stamp}.csv"`,
      'cache-control': 'no-store',
      'x-export-row-cap': String(budget.cap),
    });
  },
);

// ---------------------------------------------------------------------------------------------
// GET /api/events/{id}, GET /api/events/{id}/history

events.openapi(
  createRoute({
    method: 'get',
    path: '/api/events/{id}',
    summary: 'One event',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { params: IdParams },
    responses: {
      200: { description: 'The event, with the caller’s read flag', content: { 'application/json': { schema: EventWithReadSchema } } },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden', 404: 'No such event (or deleted, or outside the token’s categories)' }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const user = c.get('user');
    const found = await findEvent(createDb(c.env.DB), id, user.sub);
    // Outside the scope is 404 like a missing event: existence does not leak.
    if (!found || found.deleted || !mayView(user, found.category)) apiError(404, 'not_found', `no event ${id}`);
    return c.json({ ...found.event, read: found.read }, 200);
  },
);

const HistorySchema = z.object({
  eventId: z.string(),
  seq: z.number().int(),
  at: z.number().int().openapi({ description: 'ms since epoch' }),
  actor: z.string().openapi({ description: 'JWT sub of who changed it' }),
  action: z.enum(HISTORY_ACTIONS),
  fromStatus: z.enum(STATUSES).nullable(),
  toStatus: z.enum(STATUSES).nullable(),
  note: z.string().nullable(),
});
true satisfies SameType<z.infer<typeof HistorySchema>, HistoryEntry>;

events.openapi(
  createRoute({
    method: 'get',
    path: '/api/events/{id}/history',
    summary: "An event's workflow history",
    description: 'Every change (acknowledge, assign, resolve, delete, ...) oldest first; also for deleted events.',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { params: IdParams },
    responses: {
      200: { description: 'History entries', content: { 'application/json': { schema: z.object({ data: z.array(HistorySchema) }) } } },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden', 404: 'No such event' }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const db = createDb(c.env.DB);
    const user = c.get('user');
    const found = await findEvent(db, id, user.sub);
    if (!found || !mayView(user, found.category)) apiError(404, 'not_found', `no event ${id}`);
    return c.json({ data: await eventHistoryOf(db, id) }, 200);
  },
);

// ---------------------------------------------------------------------------------------------
// PATCH /api/events/{id}, DELETE /api/events/{id}

const PatchSchema = z.object({
  action: z.enum(WORKFLOW_ACTIONS),
  assignee: z.string().max(200).nullable().optional().openapi({ description: 'For assign: who (null or "" unassigns)' }),
  resolution: z.string().max(4000).optional().openapi({ description: 'For resolve: required' }),
  note: z.string().max(1000).optional().openapi({ description: "Kept in the event's history" }),
});

/** The event's state as a room change takes it (everything but seq). */
function withoutSeq(event: QuaycastEvent): NewEvent {
  const { seq: _seq, ...rest } = event;
  return rest;
}

/**
 * Reads the event and applies `decide` through its room, retrying when another change won the
 * race (the room answers `conflict` when the event is no longer at the seq we read).
 */
async function changeEvent(
  db: Db,
  env: Env,
  id: string,
  claims: Claims,
  decide: (found: NonNullable<Awaited<ReturnType<typeof findEvent>>>) => { next: NewEvent; deleted: boolean } & Omit<NewHistoryEntry, 'at' | 'actor'>,
) {
  const user = claims.sub;
  for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
    const found = await findEvent(db, id, user);
    if (!found || found.deleted || !mayView(claims, found.category)) apiError(404, 'not_found', `no event ${id}`);
    const d = decide(found);
    // Cast: the RPC stub's type drops the `changed` branch (unknown-valued records are not provably serializable).
    const result = (await roomStub(env, found.category)
      .change(found.category, {
        id,
        expectedSeq: found.seq,
        next: d.next,
        deleted: d.deleted,
        history: { at: Date.now(), actor: user, action: d.action, fromStatus: d.fromStatus, toStatus: d.toStatus, note: d.note },
      })
      .catch((err: unknown) => {
        throw roomFailure([[found.category, err]]);
      })) as unknown as ChangeResult;
    if (result.status === 'changed') return { result, read: found.read };
  }
  apiError(409, 'conflict', `event ${id} kept changing concurrently; read it again and retry`);
}

events.openapi(
  createRoute({
    method: 'patch',
    path: '/api/events/{id}',
    summary: 'Change an event’s workflow state, or the caller’s read state',
    description:
      'Actions: acknowledge (New→Acknowledged), start (New/Acknowledged→InProgress), resolve (New/Acknowledged/InProgress→Resolved, needs resolution), ' +
      'close (Resolved→Closed), reopen (Resolved/Closed→Acknowledged), assign (any but Closed; assignee, null unassigns), ' +
      'markRead/markUnread (per caller; no new seq, not pushed). A workflow change gives the event a new seq and pushes it to its room. ' +
      'An illegal transition answers 409 with `details.allowed`.',
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: { params: IdParams, body: { required: true, content: { 'application/json': { schema: PatchSchema } } } },
    responses: {
      200: { description: 'The event after the change', content: { 'application/json': { schema: EventWithReadSchema } } },
      ...errors({ 400: 'Invalid body', 401: 'Missing or invalid token', 403: 'Role below operator', 404: 'No such event', 409: 'Illegal transition (details.allowed) or concurrent changes', 429: 'Write rate exceeded', 503: 'The room could not store the change (`room_unavailable`)' }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const user = c.get('user');
    const db = createDb(c.env.DB);
    c.set('logFields', { eventId: id, action: body.action });
    if (!isTransitionAction(body.action)) {
      const found = await findEvent(db, id, user.sub);
      if (!found || found.deleted || !mayView(user, found.category)) apiError(404, 'not_found', `no event ${id}`);
      const read = body.action === 'markRead';
      await setRead(db, user.sub, id, read);
      return c.json({ ...found.event, read }, 200);
    }
    const action = body.action;
    const actor: Actor = { sub: user.sub, ...(user.name ? { name: user.name } : {}) };
    const { result, read } = await changeEvent(db, c.env, id, user, (found) => {
      const t = transition(found.event, { action, assignee: body.assignee, resolution: body.resolution }, actor, Date.now());
      if (!t.ok && t.reason === 'illegal') {
        apiError(409, 'illegal_transition', `cannot ${action} an event that is ${found.event.status}`, { status: found.event.status, allowed: t.allowed });
      }
      if (!t.ok) apiError(400, 'invalid_request', '1 invalid field', [{ path: t.path, message: t.message }]);
      const note = body.note ?? (action === 'assign' ? `assigned to ${t.next.assignedTo ?? 'nobody'}` : null);
      return { next: t.next, deleted: false, action, fromStatus: t.fromStatus, toStatus: t.toStatus, note };
    });
    if (result.status !== 'changed' || isTombstone(result.change)) apiError(500, 'internal', 'unexpected change result');
    return c.json({ ...result.change, read }, 200);
  },
);

events.openapi(
  createRoute({
    method: 'delete',
    path: '/api/events/{id}',
    summary: 'Delete an event',
    description: 'Leaves a tombstone `{ id, seq, deleted: true }` with a new seq in the room, so replays carry the delete.',
    security: PEOPLE,
    middleware: [requireRole('admin'), limitWrites()],
    request: { params: IdParams },
    responses: {
      204: { description: 'Deleted' },
      ...errors({ 401: 'Missing or invalid token', 403: 'Role below admin', 404: 'No such event', 409: 'Concurrent changes', 429: 'Write rate exceeded', 503: 'The room could not store the delete (`room_unavailable`)' }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const user = c.get('user');
    c.set('logFields', { eventId: id, action: 'delete' });
    await changeEvent(createDb(c.env.DB), c.env, id, user, (found) => ({
      next: withoutSeq(found.event),
      deleted: true,
      action: 'delete',
      fromStatus: found.event.status,
      toStatus: null,
      note: null,
    }));
    return c.body(null, 204);
  },
);

/** Registers the event input schema the POST body refers to (`#/components/schemas/EventInput`). */
export function registerEventSchemas(registry: OpenAPIHono<AppEnv>['openAPIRegistry']): void {
  registry.register('EventInput', EventInputSchema);
}
