/** The Hono app: middleware, routes, the one error handler. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { methodNotAllowed } from 'hono/method-not-allowed';
import { getConfig } from './config.ts';
import { apiError, type ErrorBody } from './errors.ts';
import { errorFields, log, setLogLevel } from './log.ts';
import { RoomUnavailableError } from './room/failure.ts';
import { bridgeStatus } from './routes/bridge-status.ts';
import { events, registerEventSchemas } from './routes/events.ts';
import { health } from './routes/health.ts';
import { ingest } from './routes/ingest.ts';
import { outbox } from './routes/outbox.ts';
import { rooms } from './routes/rooms.ts';
import { session } from './routes/session.ts';
import { stats } from './routes/stats.ts';
import type { AppEnv } from './types.ts';

/** Largest request body the API reads (the ingest batch is the biggest legitimate one). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const app = new OpenAPIHono<AppEnv>({
  // Validation failures of any route answer in the API's error shape, naming each bad field.
  defaultHook: (result) => {
    if (!result.success) {
      const details = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
      apiError(400, 'invalid_request', `${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
    }
  },
});

app.use('*', async function requestContext(c, next) {
  const started = Date.now();
  const incoming = c.req.header('x-request-id');
  const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
  c.set('requestId', requestId);
  c.set('logFields', {});
  setLogLevel(getConfig(c.env).logLevel);
  await next();
  c.header('x-request-id', requestId);
  const status = c.res.status;
  log(status >= 500 ? 'error' : 'info', 'request', {
    requestId,
    method: c.req.method,
    route: c.req.routePath,
    path: new URL(c.req.url).pathname,
    status,
    durationMs: Date.now() - started,
    ...c.get('logFields'),
  });
});

app.use('*', async function securityHeaders(c, next) {
  await next();
  if (c.res.status === 101) return; // upgraded sockets carry no document
  c.header('x-content-type-options', 'nosniff');
  c.header('x-frame-options', 'DENY');
  c.header('referrer-policy', 'no-referrer');
  c.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
  c.header('cross-origin-opener-policy', 'same-origin');
});

app.use('/api/*', (c, next) => cors({ origin: getConfig(c.env).corsOrigins as string[], credentials: true, maxAge: 600 })(c, next));
app.use('*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => apiError(413, 'payload_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`) }));
// A known path with a method it does not take: 405 with Allow, not the not-found 404.
app.use(
  '*',
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      c.json({ error: { code: 'method_not_allowed', message: `${c.req.method} is not allowed here; use ${methods.join(', ')}` } } satisfies ErrorBody, 405, { allow: methods.join(', ') }),
  }),
);

app.route('/', health);
app.route('/', ingest);
app.route('/', bridgeStatus);
app.route('/', outbox);
app.route('/', rooms);
app.route('/', events);
app.route('/', stats);
app.route('/', session);

// The OpenAPI document, generated from the routes' schemas (every route is a createRoute).
app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'HS256 JWT with a `role` claim: viewer < producer < operator < admin' });
app.openAPIRegistry.registerComponent('securitySchemes', 'cookie', { type: 'apiKey', in: 'cookie', name: 'qc_session', description: 'An opaque session id set by POST /api/session (browsers); authenticates GET requests only' });
app.openAPIRegistry.registerComponent('securitySchemes', 'serviceToken', { type: 'http', scheme: 'bearer', description: "The bridge's INGEST_TOKEN; opens /internal/* only" });
registerEventSchemas(app.openAPIRegistry);
let openApiDocument: Record<string, unknown> | undefined;
app.openapi(
  createRoute({
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
  }),
  (c) => {
    // Built once per isolate: the routes do not change after start.
    openApiDocument ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'Quaycast API', version: '1', description: 'Port-operations events: post, list, export, workflow, stats, rooms. Errors are `{ error: { code, message, details? } }`.' },
    }) as unknown as Record<string, unknown>;
    return c.json(openApiDocument, 200);
  },
);

app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } } satisfies ErrorBody, 404));

/** Codes of Hono's own exceptions (its validators' malformed JSON, wrong Content-Type, ...). */
const HONO_ERROR_CODES: Record<number, string> = { 400: 'invalid_request', 413: 'payload_too_large', 415: 'unsupported_media_type' };

app.onError((err, c) => {
  if (err instanceof HTTPException) {
    const res = err.getResponse();
    if (res.headers.get('content-type')?.includes('application/json')) return res;
    // Hono's own exceptions in the API's error shape.
    return c.json({ error: { code: HONO_ERROR_CODES[err.status] ?? 'error', message: err.message || res.statusText } } satisfies ErrorBody, err.status);
  }
  if (err instanceof RoomUnavailableError) {
    // Not the request's fault (docs/api.md): the other rooms' events of it are stored; a retry finds them duplicate.
    log('warn', 'room unavailable', { requestId: c.get('requestId'), rooms: err.rooms, ...errorFields(err.cause) });
    return c.json({ error: { code: 'room_unavailable', message: err.message, details: { rooms: err.rooms } } } satisfies ErrorBody, 503, { 'retry-after': '1' });
  }
  log('error', 'unhandled error', { requestId: c.get('requestId'), path: new URL(c.req.url).pathname, ...errorFields(err) });
  return c.json({ error: { code: 'internal', message: 'internal error; the request id identifies it in the logs' } } satisfies ErrorBody, 500);
});

export { app };
