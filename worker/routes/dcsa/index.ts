/**
 * The DCSA Track & Trace 2.2 resources under `/v2` (docs/dcsa.md): `GET /v2/events` and the
 * event subscriptions. Every answer carries `API-Version`; every error is in the standard's shape.
 * A request's `API-Version` header (the major it wants) must be 2 when present.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { DCSA_API_VERSION } from '../../../protocol/schemas/dcsa.ts';
import { apiError, invalidRequest } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { asDcsaError } from './errors.ts';
import { dcsaEvents } from './events.ts';
import { dcsaSubscriptions } from './subscriptions.ts';

// Validation failures throw the app's answer; dcsaAnswers (mounted by the app before every /v2
// route) re-shapes it, like every other error answer of these routes.
export const v2 = new OpenAPIHono<AppEnv>({ defaultHook: invalidRequest });

/** Re-shapes every error answer of a `/v2` request to the standard's, with `API-Version` (the app mounts it). */
export function dcsaAnswers(): MiddlewareHandler<AppEnv> {
  return async function dcsaAnswersMiddleware(c, next) {
    await next();
    c.res = await asDcsaError(c, c.res);
    c.res.headers.set('api-version', DCSA_API_VERSION);
  };
}

v2.use('*', async (c, next) => {
  const wanted = c.req.header('api-version');
  if (wanted !== undefined && wanted.trim().split('.')[0] !== '2')
    apiError(
      400,
      'invalid_request',
      `API-Version ${JSON.stringify(wanted.slice(0, 20))}: only major version 2 is served`,
    );
  await next();
});

v2.route('/events', dcsaEvents);
v2.route('/event-subscriptions', dcsaSubscriptions);
