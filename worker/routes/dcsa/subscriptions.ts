/**
 * `/v2/event-subscriptions` (DCSA TNT 2.2.0; docs/dcsa.md, "Subscriptions"): create, list (cursor
 * paging with the standard's headers), read, alter, stop, and rotate the secret. Viewers read;
 * operators and admins with an unscoped token write (a subscription receives every room's events).
 * The secret is taken on create and on rotation only, and never answered.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  type DcsaSubscriptionFilters,
  filtersOf,
  SUBSCRIPTION_FILTER_KEYS,
  UNSUPPORTED_SUBSCRIPTION_FILTERS,
} from '../../../protocol/schemas/dcsa-subscription.ts';
import {
  DcsaSecretBodySchema,
  DcsaSubscriptionBodyWithSecretSchema,
  DcsaSubscriptionSchema,
} from '../../../protocol/schemas/dcsa.ts';
import { seesEverything } from '../../../protocol/scope.ts';
import { getConfig } from '../../config.ts';
import { createDb } from '../../db/client.ts';
import {
  countSubscriptions,
  deleteSubscription,
  findSubscription,
  insertSubscription,
  pageSubscriptions,
  type StoredSubscription,
  type SubscriptionPosition,
  setSubscriptionSecret,
  updateSubscription,
} from '../../db/dcsa-subscriptions.ts';
import { apiError, invalidRequest } from '../../errors.ts';
import { requireRole } from '../../middleware/auth/index.ts';
import { limitWrites } from '../../middleware/rate-limit/index.ts';
import type { AppEnv } from '../../types.ts';
import { PEOPLE } from '../openapi.ts';
import { dcsaRuleId, secretBytes } from '../../rules/dcsa-callback.ts';
import { DELIVERIES_LISTED, DeliveryListSchema, deliveryView } from '../deliveries.ts';
import { deliveriesOfRule } from '../../db/rules.ts';
import { apiVersion, dcsaErrors, header } from './openapi.ts';
import * as base64url from 'jose/base64url';

export const dcsaSubscriptions = new OpenAPIHono<AppEnv>({ defaultHook: invalidRequest });

/** Subscriptions at most (each is matched against every new DCSA event). */
export const MAX_SUBSCRIPTIONS = 1000;
/** Shortest secret accepted, in bytes after base64 decoding (HMAC-SHA256 keys should not be short). */
export const MIN_SECRET_BYTES = 16;
/** Subscriptions per page: the standard's default `limit`, and the most a page answers. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

const Subscription = DcsaSubscriptionSchema.openapi('DcsaSubscription');
const BodyWithSecret = DcsaSubscriptionBodyWithSecretSchema.openapi('DcsaSubscriptionBodyWithSecret');
const Params = z.object({
  subscriptionID: z
    .uuid()
    .openapi({ param: { name: 'subscriptionID', in: 'path' }, example: '8fbdc2d8-57c8-48b9-a04b-18fd8ec1d809' }),
});
const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z.string().max(200).optional(),
});
const READ_ERRORS = { 400: 'Invalid request', 401: 'Missing or invalid token', 403: 'Forbidden' };
const WRITE_ERRORS = {
  400: 'Invalid subscription',
  401: 'Missing or invalid token',
  403: 'Role below operator, or a scoped token',
  429: 'Write rate exceeded',
};

/** The subscription as answered: its id, callback and filters (never the secret). */
function shown(s: StoredSubscription): z.infer<typeof DcsaSubscriptionSchema> {
  return { subscriptionID: s.id, callbackUrl: s.callbackUrl, ...s.filters } as z.infer<typeof DcsaSubscriptionSchema>;
}

/** Keys a subscription body may hold (the schema lets others through, and drops them). */
const KNOWN_KEYS = new Set<string>(['callbackUrl', 'secret', 'subscriptionID', ...SUBSCRIPTION_FILTER_KEYS]);

/**
 * What the schema cannot know: supported filters only, and no unknown key (a filter silently
 * dropped would send events the subscriber did not ask for); plain http only in development; a
 * secret long enough. `raw` is the body as sent.
 */
function checkBody(env: Env, body: Record<string, unknown>, raw: unknown = body): void {
  const issues: { path: string; message: string }[] = [];
  if (raw !== null && typeof raw === 'object')
    for (const k of Object.keys(raw).slice(0, 50))
      if (!KNOWN_KEYS.has(k) && !(UNSUPPORTED_SUBSCRIPTION_FILTERS as readonly string[]).includes(k))
        issues.push({ path: k.slice(0, 100), message: 'not a field of a TNT 2.2 subscription' });
  for (const k of UNSUPPORTED_SUBSCRIPTION_FILTERS)
    if (body[k] !== undefined)
      issues.push({ path: k, message: 'this filter is not supported by Quaycast (docs/dcsa.md); leave it out' });
  if (typeof body.callbackUrl === 'string' && body.callbackUrl.startsWith('http:'))
    if (getConfig(env).environment !== 'development')
      issues.push({ path: 'callbackUrl', message: 'callback urls must be https outside development' });
  if (typeof body.secret === 'string' && secretBytes(body.secret).length < MIN_SECRET_BYTES)
    issues.push({ path: 'secret', message: `must decode to at least ${MIN_SECRET_BYTES} bytes` });
  if (issues.length > 0)
    apiError(400, 'invalid_request', `${issues.length} invalid field${issues.length === 1 ? '' : 's'}`, issues);
}

function requireUnscoped(claims: Parameters<typeof seesEverything>[0]): void {
  if (!seesEverything(claims))
    apiError(403, 'forbidden', 'a token scoped to some categories cannot write subscriptions');
}

/** The list cursor: base64url of `{"v":1,"c":createdAt,"i":id}`; anything else is a 400. */
export function encodeListCursor(p: { createdAt: number; id: string }): string {
  return base64url.encode(JSON.stringify({ v: 1, c: p.createdAt, i: p.id }));
}
export function decodeListCursor(cursor: string): SubscriptionPosition {
  try {
    if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new Error('not base64url');
    const raw = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64url.decode(cursor)),
    ) as unknown;
    const p = raw as { v?: unknown; c?: unknown; i?: unknown } | null;
    if (p?.v === 1 && Number.isSafeInteger(p.c) && typeof p.i === 'string' && p.i.length <= 64)
      return { createdAt: p.c as number, id: p.i };
  } catch {
    // falls through to the 400
  }
  apiError(400, 'invalid_request', '1 invalid field', [{ path: 'cursor', message: 'not a cursor this server made' }]);
}

dcsaSubscriptions.openapi(
  createRoute({
    method: 'get',
    path: '/',
    summary: 'DCSA: list event subscriptions',
    description: 'Oldest first, a page at a time (`limit`, default 100); `Next-Page` links the next page.',
    tags: ['DCSA'],
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { query: ListQuery },
    responses: {
      200: {
        description: 'A page of subscriptions',
        headers: {
          ...apiVersion,
          'Current-Page': header('This page'),
          'Next-Page': header('The next page, when there is one'),
          'First-Page': header('The first page'),
        },
        content: { 'application/json': { schema: z.array(Subscription) } },
      },
      ...dcsaErrors(READ_ERRORS),
    },
  }),
  async (c) => {
    const { limit = DEFAULT_LIMIT, cursor } = c.req.valid('query');
    const after = cursor === undefined ? undefined : decodeListCursor(cursor);
    const { rows, more } = await pageSubscriptions(createDb(c.env.DB), after, limit);
    const link = (p: SubscriptionPosition) =>
      `/v2/event-subscriptions?limit=${limit}${p ? `&cursor=${encodeListCursor(p)}` : ''}`;
    const last = rows.at(-1);
    c.header('Current-Page', link(after));
    c.header('First-Page', link(undefined));
    if (more && last) c.header('Next-Page', link({ createdAt: last.createdAt, id: last.id }));
    return c.json(rows.map(shown), 200);
  },
);

dcsaSubscriptions.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: 'DCSA: create an event subscription',
    description:
      'Every field but callbackUrl and secret is a filter: all given must hold, a list holds when any value does. ' +
      'Matching new DCSA events are POSTed to callbackUrl as a JSON array, signed `Notification-Signature: sha256=<hex>` ' +
      '(HMAC-SHA256 of the body keyed by the decoded secret), retried until answered 2xx (docs/dcsa.md).',
    tags: ['DCSA'],
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: { body: { required: true, content: { 'application/json': { schema: BodyWithSecret } } } },
    responses: {
      201: {
        description: 'The subscription (without its secret)',
        headers: apiVersion,
        content: { 'application/json': { schema: Subscription } },
      },
      ...dcsaErrors({ ...WRITE_ERRORS, 409: `Already ${MAX_SUBSCRIPTIONS} subscriptions` }),
    },
  }),
  async (c) => {
    const user = c.get('user');
    requireUnscoped(user);
    const body = c.req.valid('json');
    checkBody(c.env, body, await c.req.json());
    const db = createDb(c.env.DB);
    if ((await countSubscriptions(db)) >= MAX_SUBSCRIPTIONS)
      apiError(409, 'limit_reached', `at most ${MAX_SUBSCRIPTIONS} subscriptions; delete one first`);
    const id = crypto.randomUUID();
    const filters: DcsaSubscriptionFilters = filtersOf(body);
    await insertSubscription(db, {
      id,
      callbackUrl: body.callbackUrl,
      filters,
      secret: body.secret,
      at: Date.now(),
      actor: user.sub,
    });
    c.set('logFields', { subscriptionId: id });
    return c.json(shown((await findSubscription(db, id))!), 201);
  },
);

dcsaSubscriptions.openapi(
  createRoute({
    method: 'get',
    path: '/{subscriptionID}',
    summary: 'DCSA: read an event subscription',
    tags: ['DCSA'],
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { params: Params },
    responses: {
      200: {
        description: 'The subscription',
        headers: apiVersion,
        content: { 'application/json': { schema: Subscription } },
      },
      ...dcsaErrors({ ...READ_ERRORS, 404: 'No such subscription' }),
    },
  }),
  async (c) => {
    const found = await findSubscription(createDb(c.env.DB), c.req.valid('param').subscriptionID);
    if (!found) apiError(404, 'not_found', 'no such subscription');
    return c.json(shown(found), 200);
  },
);

dcsaSubscriptions.openapi(
  createRoute({
    method: 'put',
    path: '/{subscriptionID}',
    summary: 'DCSA: alter an event subscription',
    description:
      'Replaces callbackUrl and every filter (a filter left out is removed). The secret is changed by PUT …/secret only.',
    tags: ['DCSA'],
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: {
      params: Params,
      body: { required: true, content: { 'application/json': { schema: Subscription } } },
    },
    responses: {
      200: {
        description: 'The subscription',
        headers: apiVersion,
        content: { 'application/json': { schema: Subscription } },
      },
      ...dcsaErrors({ ...WRITE_ERRORS, 404: 'No such subscription' }),
    },
  }),
  async (c) => {
    requireUnscoped(c.get('user'));
    const { subscriptionID: id } = c.req.valid('param');
    const body = c.req.valid('json');
    const raw = (await c.req.json()) as Record<string, unknown>;
    const issues: { path: string; message: string }[] = [];
    if (body.subscriptionID !== id)
      issues.push({ path: 'subscriptionID', message: 'must be the subscription of the path' });
    if (raw.secret !== undefined)
      issues.push({ path: 'secret', message: 'only on create; rotate it with PUT …/secret' });
    if (issues.length > 0)
      apiError(400, 'invalid_request', `${issues.length} invalid field${issues.length === 1 ? '' : 's'}`, issues);
    checkBody(c.env, body, raw);
    const db = createDb(c.env.DB);
    const updated = await updateSubscription(db, {
      id,
      callbackUrl: body.callbackUrl,
      filters: filtersOf(body),
      at: Date.now(),
    });
    if (!updated) apiError(404, 'not_found', 'no such subscription');
    return c.json(shown((await findSubscription(db, id))!), 200);
  },
);

dcsaSubscriptions.openapi(
  createRoute({
    method: 'delete',
    path: '/{subscriptionID}',
    summary: 'DCSA: stop an event subscription',
    description:
      'Its callbacks not yet delivered fail ("the subscription was deleted"): nothing is signed with a gone secret.',
    tags: ['DCSA'],
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: { params: Params },
    responses: {
      204: { description: 'Stopped', headers: apiVersion },
      ...dcsaErrors({ ...WRITE_ERRORS, 404: 'No such subscription' }),
    },
  }),
  async (c) => {
    requireUnscoped(c.get('user'));
    if (!(await deleteSubscription(createDb(c.env.DB), c.req.valid('param').subscriptionID)))
      apiError(404, 'not_found', 'no such subscription');
    return c.body(null, 204);
  },
);

dcsaSubscriptions.openapi(
  createRoute({
    method: 'put',
    path: '/{subscriptionID}/secret',
    summary: 'DCSA: rotate the secret of an event subscription',
    description: 'Every later attempt is signed with the new secret, retries of earlier callbacks included.',
    tags: ['DCSA'],
    security: PEOPLE,
    middleware: [requireRole('operator'), limitWrites()],
    request: {
      params: Params,
      body: { required: true, content: { 'application/json': { schema: DcsaSecretBodySchema.strict() } } },
    },
    responses: {
      204: { description: 'Secret updated', headers: apiVersion },
      ...dcsaErrors({ ...WRITE_ERRORS, 404: 'No such subscription' }),
    },
  }),
  async (c) => {
    requireUnscoped(c.get('user'));
    const { secret } = c.req.valid('json');
    checkBody(c.env, { secret });
    if (!(await setSubscriptionSecret(createDb(c.env.DB), c.req.valid('param').subscriptionID, secret, Date.now())))
      apiError(404, 'not_found', 'no such subscription');
    return c.body(null, 204);
  },
);

dcsaSubscriptions.openapi(
  createRoute({
    method: 'get',
    path: '/{subscriptionID}/deliveries',
    summary: "DCSA (Quaycast extension): a subscription's callbacks and their attempts",
    description:
      'Not part of TNT 2.2: the callbacks recorded for the subscription, newest first, with every attempt (as a rule’s ' +
      'webhook deliveries). A failed one is sent again by POST /api/rules/deliveries/replay with its id.',
    tags: ['DCSA'],
    security: PEOPLE,
    middleware: [requireRole('operator')],
    request: { params: Params },
    responses: {
      200: {
        description: `The newest ${DELIVERIES_LISTED}`,
        headers: apiVersion,
        content: { 'application/json': { schema: DeliveryListSchema } },
      },
      ...dcsaErrors({ ...READ_ERRORS, 404: 'No such subscription' }),
    },
  }),
  async (c) => {
    const { subscriptionID: id } = c.req.valid('param');
    const db = createDb(c.env.DB);
    const data = await deliveriesOfRule(db, dcsaRuleId(id), DELIVERIES_LISTED);
    if (data.length === 0 && !(await findSubscription(db, id))) apiError(404, 'not_found', 'no such subscription');
    return c.json({ data: data.map(deliveryView) }, 200);
  },
);
