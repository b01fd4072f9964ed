/**
 * /api/rules (docs/rules.md): rules that act. Operators and admins write (with an unscoped token:
 * a rule sees every room), viewers read (without the webhook secret). Every write is a new version.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { CATEGORIES } from '../../protocol/enums.ts';
import { roleAtLeast } from '../../protocol/roles.ts';
import { matchRule, type Rule, type RuleInput } from '../../protocol/rules.ts';
import { RuleInputSchema } from '../../protocol/schemas/rules.ts';
import { seesEverything } from '../../protocol/scope.ts';
import { getConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import {
  deliveriesOfRule,
  findDelivery,
  findRule,
  insertRule,
  listRules,
  recentEvents,
  replayDelivery,
  ruleVersions,
  updateRule,
} from '../db/rules.ts';
import { apiError } from '../errors.ts';
import { requireRole } from '../middleware/auth/index.ts';
import { limitWrites } from '../middleware/rate-limit/index.ts';
import { ruleRunnerStub } from '../rules/stub.ts';
import { newWebhookSecret } from '../rules/webhook.ts';
import type { AppEnv } from '../types.ts';
import { DELIVERIES_LISTED, DeliveryListSchema, deliveryView } from './deliveries.ts';
import { PEOPLE, errors } from './openapi.ts';

/** Events a try reads at most, and the samples it names. */
export const TRY_MAX_EVENTS = 5000;
export const TRY_SAMPLES = 20;

export const rules = new OpenAPIHono<AppEnv>();
// One component for the rule document; the routes refer to it (`#/components/schemas/RuleInput`).
const RuleInputDoc = RuleInputSchema.openapi('RuleInput');

const RuleSchema = RuleInputDoc.extend({
  id: z.string(),
  paused: z.boolean(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  secret: z.string().optional().openapi({ description: 'The webhook signing secret; operators and admins only' }),
});
const RuleIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: '9b1f0d9e-4c47-4a67-9a55-2f0f1d3c0e11' }),
});
const PutSchema = RuleInputDoc.extend({
  version: z.number().int().min(1).openapi({ description: 'The version this edit is based on (409 when it moved on)' }),
});

/** The rule as a caller of this role sees it (the secret for operators and admins only). */
function shown(rule: Rule & { secret: string }, role: Parameters<typeof roleAtLeast>[0]): Rule {
  if (roleAtLeast(role, 'operator')) return rule;
  const { secret: _secret, ...rest } = rule;
  return rest;
}

/** What the schema cannot know: plain http webhooks only in development. */
function checkEnvironment(env: Env, input: RuleInput): void {
  if (getConfig(env).environment === 'development') return;
  const steps = input.actions.flatMap((a) => (a.type === 'escalate' ? a.steps : [a]));
  const http = steps.findIndex((a) => a.type === 'webhook' && a.url.startsWith('http:'));
  if (http >= 0)
    apiError(400, 'invalid_request', '1 invalid field', [
      { path: 'actions', message: 'webhook urls must be https outside development' },
    ]);
}

/** Rule writes need an unscoped token: a rule reads every room. */
function requireUnscoped(claims: Parameters<typeof seesEverything>[0]): void {
  if (!seesEverything(claims)) apiError(403, 'forbidden', 'a token scoped to some categories cannot write rules');
}

const WRITE_ERRORS = {
  400: 'Invalid rule',
  401: 'Missing or invalid token',
  403: 'Role below operator, or a scoped token',
  429: 'Write rate exceeded',
};

rules.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'List rules',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    responses: {
      200: {
        description: 'Every rule, oldest first',
        content: { 'application/json': { schema: z.object({ data: z.array(RuleSchema) }) } },
      },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden' }),
    },
  }),
  async (c) => {
    const role = c.get('user').role;
    const all = await listRules(createDb(c.env.DB));
    return c.json({ data: all.map((r) => shown(r, role)) }, 200);
  },
);

rules.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: 'Create a rule',
    description:
      'Version 1 of a new rule; it acts on changes from now on (docs/rules.md). The answer holds its webhook signing secret.',
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: { body: { required: true, content: { 'application/json': { schema: RuleInputDoc } } } },
    responses: {
      201: { description: 'The rule', content: { 'application/json': { schema: RuleSchema } } },
      ...errors(WRITE_ERRORS),
    },
  }),
  async (c) => {
    const user = c.get('user');
    requireUnscoped(user);
    const input = c.req.valid('json');
    checkEnvironment(c.env, input);
    const db = createDb(c.env.DB);
    const id = crypto.randomUUID();
    await insertRule(db, { id, input, secret: newWebhookSecret(), at: Date.now(), actor: user.sub });
    c.set('logFields', { ruleId: id });
    return c.json((await findRule(db, id))!, 201);
  },
);

rules.openapi(
  createRoute({
    method: 'post',
    path: '/try',
    summary: 'Try a rule against recent events',
    description:
      `Evaluates a rule document against the events received in the last \`hours\` (at most ${TRY_MAX_EVENTS} read, newest first): ` +
      'how many times it would have fired. Each event is judged in its current state, as if it were new (`on` and `transition` included).',
    security: PEOPLE,
    middleware: [requireRole('operator')],
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.strictObject({ rule: RuleInputDoc, hours: z.number().int().min(1).max(168).optional() }),
          },
        },
      },
    },
    responses: {
      200: {
        description: 'How often it would have fired',
        content: {
          'application/json': {
            schema: z.object({
              fired: z.number().int(),
              evaluated: z.number().int(),
              truncated: z
                .boolean()
                .openapi({ description: `True when more than ${TRY_MAX_EVENTS} events were in the window` }),
              hours: z.number().int(),
              sample: z.array(
                z.object({ id: z.string(), category: z.enum(CATEGORIES), title: z.string(), receivedAt: z.string() }),
              ),
            }),
          },
        },
      },
      ...errors({ 400: 'Invalid rule', 401: 'Missing or invalid token', 403: 'Role below operator' }),
    },
  }),
  async (c) => {
    const { rule, hours = 24 } = c.req.valid('json');
    const events = await recentEvents(createDb(c.env.DB), Date.now() - hours * 3_600_000, TRY_MAX_EVENTS + 1);
    const truncated = events.length > TRY_MAX_EVENTS;
    const judged = events.slice(0, TRY_MAX_EVENTS);
    const fired = judged.filter((event) =>
      matchRule(rule.match, {
        kind: 'created',
        seq: event.seq,
        fromStatus: null,
        toStatus: event.status,
        actor: null,
        event,
      }),
    );
    return c.json(
      {
        fired: fired.length,
        evaluated: judged.length,
        truncated,
        hours,
        sample: fired
          .slice(0, TRY_SAMPLES)
          .map((e) => ({ id: e.id, category: e.category, title: e.title, receivedAt: e.receivedAt })),
      },
      200,
    );
  },
);

rules.openapi(
  createRoute({
    method: 'post',
    path: '/deliveries/replay',
    summary: 'Replay a failed or disabled webhook delivery',
    description:
      'Puts the delivery back to pending with a fresh attempt budget; it keeps its delivery id, so receivers still de-duplicate it.',
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: z.strictObject({ id: z.string().min(1).max(600) }) } },
      },
    },
    responses: {
      202: {
        description: 'Queued for an attempt now',
        content: { 'application/json': { schema: z.object({ id: z.string(), state: z.literal('pending') }) } },
      },
      ...errors({
        400: 'Invalid body',
        401: 'Missing or invalid token',
        403: 'Role below operator',
        404: 'No such delivery',
        409: 'The delivery is pending or delivered',
        429: 'Write rate exceeded',
      }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('json');
    const db = createDb(c.env.DB);
    const category = await replayDelivery(db, id, Date.now());
    if (!category) {
      const found = await findDelivery(db, id);
      if (!found) apiError(404, 'not_found', 'no such delivery');
      apiError(409, 'conflict', `the delivery is ${found.state}; only failed or disabled ones are replayed`);
    }
    c.executionCtx.waitUntil(ruleRunnerStub(c.env, category).nudge(category));
    return c.json({ id, state: 'pending' as const }, 202);
  },
);

rules.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    summary: 'One rule',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { params: RuleIdParams },
    responses: {
      200: { description: 'The rule', content: { 'application/json': { schema: RuleSchema } } },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden', 404: 'No such rule' }),
    },
  }),
  async (c) => {
    const rule = await findRule(createDb(c.env.DB), c.req.valid('param').id);
    if (!rule) apiError(404, 'not_found', 'no such rule');
    return c.json(shown(rule, c.get('user').role), 200);
  },
);

rules.openapi(
  createRoute({
    method: 'put',
    path: '/{id}',
    summary: 'Change a rule',
    description: 'A new version; `version` must be the current one. Saving re-enables webhook targets a 410 disabled.',
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: { params: RuleIdParams, body: { required: true, content: { 'application/json': { schema: PutSchema } } } },
    responses: {
      200: { description: 'The rule', content: { 'application/json': { schema: RuleSchema } } },
      ...errors({ ...WRITE_ERRORS, 404: 'No such rule', 409: 'The rule has a newer version' }),
    },
  }),
  async (c) => {
    const user = c.get('user');
    requireUnscoped(user);
    const { id } = c.req.valid('param');
    const { version, ...input } = c.req.valid('json');
    checkEnvironment(c.env, input);
    const db = createDb(c.env.DB);
    const next = await updateRule(db, {
      id,
      expectedVersion: version,
      input,
      at: Date.now(),
      actor: user.sub,
      change: 'updated',
    });
    if (next === undefined) {
      const found = await findRule(db, id);
      if (!found) apiError(404, 'not_found', 'no such rule');
      apiError(409, 'conflict', `the rule is at version ${found.version}`, { version: found.version });
    }
    return c.json((await findRule(db, id))!, 200);
  },
);

rules.openapi(
  createRoute({
    method: 'patch',
    path: '/{id}',
    summary: 'Pause or resume a rule',
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: {
      params: RuleIdParams,
      body: { required: true, content: { 'application/json': { schema: z.strictObject({ paused: z.boolean() }) } } },
    },
    responses: {
      200: { description: 'The rule', content: { 'application/json': { schema: RuleSchema } } },
      ...errors({ ...WRITE_ERRORS, 404: 'No such rule', 409: 'The rule kept changing concurrently' }),
    },
  }),
  async (c) => {
    const user = c.get('user');
    requireUnscoped(user);
    const { id } = c.req.valid('param');
    const { paused } = c.req.valid('json');
    const db = createDb(c.env.DB);
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = await findRule(db, id);
      if (!found) apiError(404, 'not_found', 'no such rule');
      const input: RuleInput = { name: found.name, paused, match: found.match, actions: found.actions };
      const change = paused ? 'paused' : 'resumed';
      const next = await updateRule(db, {
        id,
        expectedVersion: found.version,
        input,
        at: Date.now(),
        actor: user.sub,
        change,
      });
      if (next !== undefined) return c.json((await findRule(db, id))!, 200);
    }
    apiError(409, 'conflict', 'the rule kept changing concurrently; read it again and retry');
  },
);

rules.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}',
    summary: 'Delete a rule',
    description:
      'Its versions and deliveries stay readable; its pending deliveries fail (nothing is signed with a deleted secret).',
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: { params: RuleIdParams },
    responses: {
      204: { description: 'Deleted' },
      ...errors({
        401: 'Missing or invalid token',
        403: 'Role below operator, or a scoped token',
        404: 'No such rule',
        409: 'Concurrent change',
        429: 'Write rate exceeded',
      }),
    },
  }),
  async (c) => {
    const user = c.get('user');
    requireUnscoped(user);
    const { id } = c.req.valid('param');
    const db = createDb(c.env.DB);
    const found = await findRule(db, id);
    if (!found) apiError(404, 'not_found', 'no such rule');
    const input: RuleInput = { name: found.name, paused: found.paused, match: found.match, actions: found.actions };
    const next = await updateRule(db, {
      id,
      expectedVersion: found.version,
      input,
      at: Date.now(),
      actor: user.sub,
      change: 'deleted',
    });
    if (next === undefined) apiError(409, 'conflict', 'the rule changed meanwhile; read it again and retry');
    return c.body(null, 204);
  },
);

rules.openapi(
  createRoute({
    method: 'get',
    path: '/{id}/versions',
    summary: "A rule's versions (who changed what, when)",
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { params: RuleIdParams },
    responses: {
      200: {
        description: 'Oldest first',
        content: {
          'application/json': {
            schema: z.object({
              data: z.array(
                z.object({
                  version: z.number().int(),
                  at: z.string(),
                  actor: z.string(),
                  change: z.string(),
                  paused: z.boolean(),
                  rule: RuleInputDoc,
                }),
              ),
            }),
          },
        },
      },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden', 404: 'No such rule' }),
    },
  }),
  async (c) => {
    const data = await ruleVersions(createDb(c.env.DB), c.req.valid('param').id);
    if (data.length === 0) apiError(404, 'not_found', 'no such rule');
    return c.json({ data }, 200);
  },
);

rules.openapi(
  createRoute({
    method: 'get',
    path: '/{id}/deliveries',
    summary: "A rule's webhook deliveries and their attempts",
    security: PEOPLE,
    middleware: [requireRole('operator')],
    request: { params: RuleIdParams },
    responses: {
      200: {
        description: `The newest ${DELIVERIES_LISTED}`,
        content: {
          'application/json': {
            schema: DeliveryListSchema,
          },
        },
      },
      ...errors({ 401: 'Missing or invalid token', 403: 'Role below operator', 404: 'No such rule' }),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const db = createDb(c.env.DB);
    const data = await deliveriesOfRule(db, id, DELIVERIES_LISTED);
    if (data.length === 0 && !(await findRule(db, id))) apiError(404, 'not_found', 'no such rule');
    return c.json({ data: data.map(deliveryView) }, 200);
  },
);
