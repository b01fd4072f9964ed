/**
 * PATCH /api/events/{id} (workflow actions, read state) and DELETE /api/events/{id}, through the
 * event's room. A PATCH with an `actionId` is applied once per user and id (db/action-ids.ts).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { isTombstone, type NewEvent, type QuaycastEvent } from '../../../protocol/event.ts';
import type { NewHistoryEntry } from '../../../protocol/history.ts';
import type { Claims } from '../../../protocol/jwt.ts';
import { mayView } from '../../../protocol/scope.ts';
import { WORKFLOW_ACTIONS, isTransitionAction, transition, type Actor } from '../../../protocol/workflow.ts';
import { findArchived } from '../../archive/reader.ts';
import { createDb, type Db } from '../../db/client.ts';
import { findEvent, setRead } from '../../db/list.ts';
import { HTTPException } from 'hono/http-exception';
import { finishAction, releaseAction, reserveAction } from '../../db/action-ids.ts';
import { apiError, type ErrorBody } from '../../errors.ts';
import { requireRole } from '../../middleware/auth/index.ts';
import { limitWrites } from '../../middleware/rate-limit/index.ts';
import { roomFailure } from '../../room/failure.ts';
import type { ChangeResult } from '../../room/rpc.ts';
import { roomStub } from '../../room/stubs.ts';
import type { AppEnv } from '../../types.ts';
import { PEOPLE, errors } from '../openapi.ts';
import { EventWithReadSchema, IdParams } from './query.ts';

/** Attempts of a workflow change that keeps meeting concurrent changes. */
const CHANGE_ATTEMPTS = 4;

export const eventWorkflow = new OpenAPIHono<AppEnv>();

const PatchSchema = z.object({
  action: z.enum(WORKFLOW_ACTIONS),
  assignee: z
    .string()
    .max(200)
    .nullable()
    .optional()
    .openapi({ description: 'For assign: who (null or "" unassigns)' }),
  resolution: z.string().max(4000).optional().openapi({ description: 'For resolve: required' }),
  note: z.string().max(1000).optional().openapi({ description: "Kept in the event's history" }),
  actionId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,100}$/)
    .optional()
    .openapi({
      description:
        'A stable id of this action (the dashboard’s offline queue sends one): an action id is applied once per user; a retry or replay with the same id changes nothing and repeats the first answer (`quaycast-action-replay: true`)',
    }),
});

/** The event's state as a room change takes it (everything but seq). */
function withoutSeq(event: QuaycastEvent): NewEvent {
  const { seq: _seq, ...rest } = event;
  return rest;
}

/**
 * The answer for an event D1 does not have (or the caller may not see): 409 `archived` when it
 * moved to the archive, whose events are read-only (docs/archive.md); else 404.
 */
async function missing(env: Env, db: Db, id: string, claims: Claims): Promise<never> {
  const bucket = (env as Partial<Env>).ARCHIVE;
  const cold = bucket ? await findArchived(db, bucket, id) : undefined;
  if (cold && !isTombstone(cold.line) && mayView(claims, cold.line.category))
    apiError(409, 'archived', `event ${id} is in the archive (older than the hot window), where events are read-only`);
  apiError(404, 'not_found', `no event ${id}`);
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
  decide: (
    found: NonNullable<Awaited<ReturnType<typeof findEvent>>>,
  ) => { next: NewEvent; deleted: boolean } & Omit<NewHistoryEntry, 'at' | 'actor'>,
) {
  const user = claims.sub;
  for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt++) {
    const found = await findEvent(db, id, user);
    if (!found || found.deleted || !mayView(claims, found.category)) return missing(env, db, id, claims);
    const d = decide(found);
    // Cast: the RPC stub's type drops the `changed` branch (unknown-valued records are not provably serializable).
    const result = (await roomStub(env, found.category)
      .change(found.category, {
        id,
        expectedSeq: found.seq,
        next: d.next,
        deleted: d.deleted,
        history: {
          at: Date.now(),
          actor: user,
          action: d.action,
          fromStatus: d.fromStatus,
          toStatus: d.toStatus,
          note: d.note,
        },
      })
      .catch((err: unknown) => {
        throw roomFailure([[found.category, err]]);
      })) as unknown as ChangeResult;
    if (result.status === 'changed') return { result, read: found.read };
  }
  apiError(409, 'conflict', `event ${id} kept changing concurrently; read it again and retry`);
}

eventWorkflow.openapi(
  createRoute({
    method: 'patch',
    path: '/{id}',
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
      200: {
        description: 'The event after the change',
        content: { 'application/json': { schema: EventWithReadSchema } },
      },
      ...errors({
        400: 'Invalid body',
        401: 'Missing or invalid token',
        403: 'Role below operator',
        404: 'No such event',
        409: 'Illegal transition (details.allowed), concurrent changes, or an archived event (`archived`: read-only)',
        429: 'Write rate exceeded',
        503: 'The room could not store the change (`room_unavailable`)',
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const user = c.get('user');
    const db = createDb(c.env.DB);
    c.set('logFields', { eventId: id, action: body.action });
    const run = () => applyAction(c.env, db, id, body, user);
    if (!body.actionId) return c.json(await run(), 200);
    // Once per action id (docs/mobile.md): claim it, apply, keep the answer; a replay repeats it.
    const claim = await reserveAction(db, user.sub, body.actionId, id, body.action);
    if (claim.kind === 'busy')
      apiError(409, 'action_in_progress', `action ${body.actionId} is being applied; retry shortly`, undefined, {
        'retry-after': '1',
      });
    if (claim.kind === 'done') {
      if (claim.eventId !== id || claim.action !== body.action)
        apiError(409, 'action_id_reused', `action id ${body.actionId} was already used for another action`);
      const replay = { 'quaycast-action-replay': 'true' };
      if (claim.status !== 200) {
        const { error } = claim.response as ErrorBody;
        apiError(409, error.code, error.message, error.details, replay);
      }
      return c.json(claim.response as EventWithRead, 200, replay);
    }
    try {
      const answer = await run();
      await finishAction(db, user.sub, body.actionId, 200, answer);
      return c.json(answer, 200);
    } catch (err) {
      // An illegal transition is the action's answer (a conflict: kept and repeated); anything
      // else changed nothing, so the id is freed for a retry.
      const conflict =
        err instanceof HTTPException && err.status === 409
          ? ((await err.getResponse().json()) as ErrorBody)
          : undefined;
      if (conflict?.error.code === 'illegal_transition') {
        await finishAction(db, user.sub, body.actionId, 409, conflict);
        apiError(409, conflict.error.code, conflict.error.message, conflict.error.details);
      }
      await releaseAction(db, user.sub, body.actionId);
      if (conflict) apiError(409, conflict.error.code, conflict.error.message, conflict.error.details);
      throw err;
    }
  },
);

type EventWithRead = QuaycastEvent & { read: boolean };

/** Applies one PATCH body to the event; answers the event after it (with the caller's read state). */
async function applyAction(
  env: Env,
  db: Db,
  id: string,
  body: z.infer<typeof PatchSchema>,
  user: Claims,
): Promise<EventWithRead> {
  if (!isTransitionAction(body.action)) {
    const found = await findEvent(db, id, user.sub);
    if (!found || found.deleted || !mayView(user, found.category)) return missing(env, db, id, user);
    const read = body.action === 'markRead';
    await setRead(db, user.sub, id, read);
    return { ...found.event, read };
  }
  const action = body.action;
  const actor: Actor = { sub: user.sub, ...(user.name ? { name: user.name } : {}) };
  const { result, read } = await changeEvent(db, env, id, user, (found) => {
    const t = transition(
      found.event,
      { action, assignee: body.assignee, resolution: body.resolution },
      actor,
      Date.now(),
    );
    if (!t.ok && t.reason === 'illegal') {
      apiError(409, 'illegal_transition', `cannot ${action} an event that is ${found.event.status}`, {
        status: found.event.status,
        allowed: t.allowed,
      });
    }
    if (!t.ok) apiError(400, 'invalid_request', '1 invalid field', [{ path: t.path, message: t.message }]);
    const note = body.note ?? (action === 'assign' ? `assigned to ${t.next.assignedTo ?? 'nobody'}` : null);
    return { next: t.next, deleted: false, action, fromStatus: t.fromStatus, toStatus: t.toStatus, note };
  });
  if (result.status !== 'changed' || isTombstone(result.change)) apiError(500, 'internal', 'unexpected change result');
  return { ...result.change, read };
}

eventWorkflow.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}',
    summary: 'Delete an event',
    description:
      'Leaves a tombstone `{ id, seq, deleted: true }` with a new seq in the room, so replays carry the delete.',
    security: PEOPLE,
    middleware: [requireRole('admin'), limitWrites()],
    request: { params: IdParams },
    responses: {
      204: { description: 'Deleted' },
      ...errors({
        401: 'Missing or invalid token',
        403: 'Role below admin',
        404: 'No such event',
        409: 'Concurrent changes, or an archived event (`archived`: read-only)',
        429: 'Write rate exceeded',
        503: 'The room could not store the delete (`room_unavailable`)',
      }),
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
