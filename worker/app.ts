/**
 * The Hono app: the middleware every request passes (worker/middleware/), the resources and
 * where they are mounted (worker/routes/), the OpenAPI document, the one error handler.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { answerError, apiError, invalidRequest, type ErrorBody } from './errors.ts';
import { apiCors } from './middleware/origin/index.ts';
import { requestContext } from './middleware/request-context/index.ts';
import { securityHeaders } from './middleware/security-headers/index.ts';
import { dcsaAnswers, v2 } from './routes/dcsa/index.ts';
import { deadLetters } from './routes/dead-letters.ts';
import { events } from './routes/events/index.ts';
import { health } from './routes/health.ts';
import { insight, sla } from './routes/insight.ts';
import { internal } from './routes/internal/index.ts';
import { notifications } from './routes/notifications.ts';
import { push } from './routes/push.ts';
import { registerSecuritySchemes } from './routes/openapi.ts';
import { rooms } from './routes/rooms.ts';
import { rules } from './routes/rules.ts';
import { session } from './routes/session.ts';
import { stats } from './routes/stats.ts';
import type { AppEnv } from './types.ts';

/** Largest request body the API reads (the ingest batch is the biggest legitimate one). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

// Validation failures of any route answer in the API's error shape, naming each bad field.
const app = new OpenAPIHono<AppEnv>({ defaultHook: invalidRequest });

app.use('*', requestContext());
app.use('*', securityHeaders());
app.use('/api/*', apiCors());
app.use('/v2/*', apiCors());
// DCSA clients read one error shape: every /v2 answer the app's own middleware gives (405, 413,
// 404) is re-written too, not only the router's.
app.use('/v2/*', dcsaAnswers());
app.use(
  '*',
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => apiError(413, 'payload_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`),
  }),
);
// A known path with a method it does not take: 405 with Allow, not the not-found 404.
app.use(
  '*',
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      c.json(
        {
          error: {
            code: 'method_not_allowed',
            message: `${c.req.method} is not allowed here; use ${methods.join(', ')}`,
          },
        } satisfies ErrorBody,
        405,
        { allow: methods.join(', ') },
      ),
  }),
);

app.route('/', health);
app.route('/internal', internal);
app.route('/api/rooms', rooms);
app.route('/api/events', events);
app.route('/api/stats', stats);
app.route('/api/session', session);
app.route('/api/rules', rules);
app.route('/api/notifications', notifications);
app.route('/api/push', push);
app.route('/api/dead-letters', deadLetters);
app.route('/api/insight', insight);
app.route('/api/sla', sla);
app.route('/v2', v2);

// The OpenAPI document, generated from the routes' schemas (every route is a createRoute).
registerSecuritySchemes(app.openAPIRegistry);
let openApiDocument: Record<string, unknown> | undefined;
app.openapi(
  createRoute({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    responses: {
      200: {
        description: 'OpenAPI 3.1',
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  }),
  (c) => {
    // Built once per isolate: the routes do not change after start.
    openApiDocument ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Quaycast API',
        version: '1',
        description:
          'Port-operations events: post, list, export, workflow, stats, rooms. Errors are `{ error: { code, message, details? } }`.',
      },
    }) as unknown as Record<string, unknown>;
    return c.json(openApiDocument, 200);
  },
);

app.notFound((c) =>
  c.json(
    {
      error: { code: 'not_found', message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` },
    } satisfies ErrorBody,
    404,
  ),
);
app.onError(answerError);

export { app };
