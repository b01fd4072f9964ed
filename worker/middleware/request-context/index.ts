/**
 * The request's context: its id (the caller's `x-request-id` when it is a plain token, else a
 * new one; answered in the same header), the fields a handler adds to its log line
 * (`c.set('logFields', …)`), and that one JSON log line per request (worker/log.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { getConfig } from '../../config.ts';
import { log, setLogLevel } from '../../log.ts';
import type { AppEnv } from '../../types.ts';

/** A request id taken from the caller: letters, digits, `_ . -`, at most 64 (anything else could forge log lines). */
const REQUEST_ID = /^[\w.-]{1,64}$/;

export type RequestContextOptions = {
  /** Ids the caller may give; any other is replaced. */
  idPattern?: RegExp;
  /** A new request id. */
  newId?: () => string;
};

/** Gives the request its id and log fields, and writes its log line once it is answered. */
export function requestContext({
  idPattern = REQUEST_ID,
  newId = () => crypto.randomUUID(),
}: RequestContextOptions = {}): MiddlewareHandler<AppEnv> {
  return async function requestContextMiddleware(c, next) {
    const started = Date.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && idPattern.test(incoming) ? incoming : newId();
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
  };
}
