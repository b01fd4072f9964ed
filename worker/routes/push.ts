/**
 * /api/push (docs/push.md): Web Push for rule notifications while the dashboard's tab is closed.
 * The VAPID public key the browser subscribes with, and the caller's own subscriptions (save,
 * delete by endpoint). Without a sound VAPID configuration push is off: the key route says
 * `enabled: false` and the subscription routes answer 503 `push_disabled`.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import {
  PushSubscriptionSchema,
  PushUnsubscribeSchema,
  base64UrlBytes,
  endpointUrl,
} from '../../protocol/schemas/push.ts';
import { getConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { MAX_SUBSCRIPTIONS_PER_USER, deletePushSubscription, savePushSubscription } from '../db/push.ts';
import { apiError } from '../errors.ts';
import { requireRole } from '../middleware/auth/index.ts';
import type { AppEnv } from '../types.ts';
import { PEOPLE, errors } from './openapi.ts';

export const push = new OpenAPIHono<AppEnv>();

const KeySchema = z.object({
  enabled: z.boolean(),
  publicKey: z.string().nullable().openapi({
    description: 'The VAPID public key (base64url, uncompressed P-256): `applicationServerKey`; null when push is off',
  }),
});

push.openapi(
  createRoute({
    method: 'get',
    path: '/key',
    summary: 'The VAPID public key browsers subscribe with, or enabled: false when push is off',
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    responses: {
      200: { description: 'The key', content: { 'application/json': { schema: KeySchema } } },
      ...errors({ 401: 'Missing or invalid token', 403: 'Forbidden' }),
    },
  }),
  (c) => {
    const config = getConfig(c.env).push;
    return c.json(
      config.enabled ? { enabled: true, publicKey: config.publicKey } : { enabled: false, publicKey: null },
      200,
    );
  },
);

function requirePush(env: Env): void {
  if (!getConfig(env).push.enabled) apiError(503, 'push_disabled', 'web push is not configured on this deployment');
}

push.openapi(
  createRoute({
    method: 'post',
    path: '/subscriptions',
    summary: "Save the browser's PushSubscription for the caller",
    description:
      `The JSON of \`PushSubscription.toJSON()\`. A user keeps at most ${MAX_SUBSCRIPTIONS_PER_USER} subscriptions; ` +
      'a new one past that replaces the oldest. Saving an endpoint again updates its keys (and its owner: the browser’s last sign-in). ' +
      "Notifications to the caller's sub and to their role (and the roles below it) are pushed to it.",
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { body: { required: true, content: { 'application/json': { schema: PushSubscriptionSchema } } } },
    responses: {
      201: {
        description: 'Saved',
        content: { 'application/json': { schema: z.object({ endpoint: z.string(), replaced: z.number().int() }) } },
      },
      ...errors({ 400: 'Invalid subscription', 401: 'Missing or invalid token', 403: 'Forbidden', 503: 'Push is off' }),
    },
  }),
  async (c) => {
    requirePush(c.env);
    const user = c.get('user');
    const body = c.req.valid('json');
    const url = endpointUrl(body.endpoint)!;
    if (url.protocol !== 'https:' && getConfig(c.env).environment !== 'development')
      apiError(400, 'invalid_request', '1 invalid field', [{ path: 'endpoint', message: 'must be an https URL' }]);
    // On the curve? The schema checked the bytes; Web Crypto checks the point.
    try {
      await crypto.subtle.importKey(
        'raw',
        base64UrlBytes(body.keys.p256dh)!,
        { name: 'ECDH', namedCurve: 'P-256' },
        false,
        [],
      );
    } catch {
      apiError(400, 'invalid_request', '1 invalid field', [
        { path: 'keys.p256dh', message: 'is not a point of P-256' },
      ]);
    }
    const replaced = await savePushSubscription(createDb(c.env.DB), {
      endpoint: body.endpoint,
      userSub: user.sub,
      role: user.role,
      p256dh: body.keys.p256dh,
      auth: body.keys.auth,
      now: Date.now(),
    });
    return c.json({ endpoint: body.endpoint, replaced }, 201);
  },
);

push.openapi(
  createRoute({
    method: 'delete',
    path: '/subscriptions',
    summary: "Delete one of the caller's subscriptions, by endpoint",
    security: PEOPLE,
    middleware: [requireRole('viewer')],
    request: { body: { required: true, content: { 'application/json': { schema: PushUnsubscribeSchema } } } },
    responses: {
      204: { description: 'Deleted' },
      ...errors({
        400: 'Invalid body',
        401: 'Missing or invalid token',
        403: 'Forbidden',
        404: 'No such subscription of the caller',
      }),
    },
  }),
  async (c) => {
    const user = c.get('user');
    const { endpoint } = c.req.valid('json');
    // Deleting works with push off too: a browser may always stop.
    if (!(await deletePushSubscription(createDb(c.env.DB), user.sub, endpoint)))
      apiError(404, 'not_found', 'no subscription of yours has this endpoint');
    return c.body(null, 204);
  },
);
